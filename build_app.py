"""Build the desktop bundle (``dist/osquery-inspector/``) and smoke-test it like a user would.

    python build_app.py               # venv (reused) -> PyInstaller -> size report -> smoke test
    python build_app.py --clean       # start over: remove build/ (venv, work files) and dist/
    python build_app.py --skip-build  # only smoke-test the bundle that is already in dist/
    python build_app.py --no-smoke    # build without the smoke test

The bundle is made from a clean virtual environment (``build/venv``) that holds only the app's
runtime dependencies and PyInstaller: PyInstaller collects whatever it finds installed. The
spec (``packaging/osquery-inspector.spec``) takes its exclusion lists from this module. Only the
standard library is used here, so any Python >= 3.11 can run this script.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent
APP_NAME = "osquery-inspector"
BUILD_DIR = ROOT / "build"
VENV_DIR = BUILD_DIR / "venv"
WORK_DIR = BUILD_DIR / "pyinstaller"
DIST_DIR = ROOT / "dist"
BUNDLE_DIR = DIST_DIR / APP_NAME
PACKAGING_DIR = ROOT / "packaging"
SPEC_FILE = PACKAGING_DIR / f"{APP_NAME}.spec"
DESKTOP_FILE = PACKAGING_DIR / f"{APP_NAME}.desktop"
INSTALL_SCRIPT = PACKAGING_DIR / "install-desktop-entry.sh"
SAMPLES_DIR = ROOT.parent / "shared" / "samples" / "real"
REQUIREMENTS_STAMP = "requirements.sha256"  # in the venv: what it was made from

PYINSTALLER_REQUIREMENT = "pyinstaller==6.22.3"
APP_LOCK = ROOT / "requirements" / "app.lock"
SIZE_TARGET_MB = 350
SCREENSHOT_SIZE = (1600, 1000)
SMOKE_TIMEOUT_S = 300
# What the project install needs beside its packages (the pyproject's readme and license).
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "inspector", "ui")

# --- What the bundle leaves out -------------------------------------------------------------
# Python modules PyInstaller must not collect. The app imports QtCore/QtGui/QtWidgets, and QtSvg
# for the timeline's SVG export; pyqtgraph needs QtOpenGL and QtOpenGLWidgets too, and makes do
# without QtTest.
EXCLUDED_QT_MODULES = tuple(
    f"PySide6.{name}"
    for name in (
        "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
        "QtBluetooth", "QtCharts", "QtConcurrent", "QtDataVisualization", "QtDBus", "QtDesigner",
        "QtGraphs", "QtHelp", "QtHttpServer", "QtLocation", "QtMultimedia", "QtMultimediaWidgets",
        "QtNetwork", "QtNetworkAuth", "QtNfc", "QtPdf", "QtPdfWidgets", "QtPositioning",
        "QtPrintSupport", "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2", "QtQuickTest",
        "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus",
        "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvgWidgets",
        "QtTest", "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore",
        "QtWebEngineQuick", "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
    )
)  # fmt: skip
# pyarrow parts the code never reaches (it uses pyarrow, .compute, .parquet; group_by pulls in
# .acero and .dataset, whose imports of the rest are optional). Their shared libraries go too.
EXCLUDED_PYARROW_MODULES = (
    "pyarrow.flight", "pyarrow._flight",
    "pyarrow._s3fs", "pyarrow._gcsfs", "pyarrow._azurefs", "pyarrow._hdfs",
    "pyarrow.substrait", "pyarrow._substrait",
    "pyarrow.orc", "pyarrow._orc", "pyarrow._dataset_orc",
    "pyarrow.parquet.encryption", "pyarrow._parquet_encryption",
    "pyarrow._dataset_parquet_encryption",
    "pyarrow.gandiva", "pyarrow.cuda", "pyarrow._cuda",
    "pyarrow.feather", "pyarrow._feather", "pyarrow.interchange",
    "pyarrow.tests", "pyarrow.benchmark", "pyarrow.conftest",
)  # fmt: skip
# pandas is a declared dependency but no module of the app imports it (pyarrow and DuckDB only
# probe for it); zstandard's CFFI backend is a fallback the C backend makes unused.
EXCLUDED_OTHER_MODULES = (
    "pandas", "dateutil", "pytz",
    "zstandard._cffi", "zstandard.backend_cffi", "cffi",
    "pyqtgraph.opengl", "pyqtgraph.examples", "pyqtgraph.jupyter",
    "tkinter", "_tkinter", "IPython", "matplotlib", "scipy", "polars",
    "PyInstaller", "setuptools", "pkg_resources", "pip",
)  # fmt: skip
EXCLUDED_MODULES = EXCLUDED_QT_MODULES + EXCLUDED_PYARROW_MODULES + EXCLUDED_OTHER_MODULES

# Files dropped from the bundle after analysis, as glob patterns on their path inside
# ``_internal`` ("*" matches "/" too). Qt plugins the app has no use for (it draws widgets in
# windows on X11, Wayland or offscreen), Qt's translations (the app is English only),
# pyarrow's build files and the libraries of the excluded modules above.
_QT = "PySide6/Qt"
EXCLUDED_FILES = (
    f"{_QT}/plugins/egldeviceintegrations/*",
    f"{_QT}/plugins/generic/*",
    f"{_QT}/plugins/platforms/libqeglfs.so",
    f"{_QT}/plugins/platforms/libqlinuxfb.so",
    f"{_QT}/plugins/platforms/libqminimalegl.so",
    f"{_QT}/plugins/platforms/libqvkkhrdisplay.so",
    f"{_QT}/plugins/platforms/libqvnc.so",
    f"{_QT}/plugins/platformthemes/libqgtk3.so",
    f"{_QT}/plugins/imageformats/*",
    f"{_QT}/plugins/iconengines/*",
    f"{_QT}/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    f"{_QT}/plugins/wayland-graphics-integration-server/*",
    f"{_QT}/lib/libQt6EglFSDeviceIntegration.so*",
    f"{_QT}/lib/libQt6EglFsKmsSupport.so*",
    f"{_QT}/lib/libQt6WaylandCompositor.so*",
    f"{_QT}/lib/libQt6Network.so*",
    f"{_QT}/translations/*",
    "pyarrow/include/*",
    "pyarrow/src/*",
    "pyarrow/tests/*",
    "pyarrow/*.pxd",
    "pyarrow/*.pyx",
    "pyarrow/*.pxi",
    "pyarrow/*.h",
    "pyarrow/*.cc",
    "pyarrow/libarrow_flight.so*",
    "pyarrow/libarrow_python_flight.so*",
    "pyarrow/libarrow_s3.so*",
    "pyarrow/libarrow_python_parquet_encryption.so*",
    # pyarrow's wheel holds three copies of libarrow_python; the extensions load *.so.<abi>.
    "pyarrow/libarrow_python.so",
    "pyarrow/libarrow_python.so.*.*.*",
    "zstandard/*.pyi",
)
# Where system libraries come from: those that no kept binary needs any more (the GTK stack of
# the GTK theme plugin, the JPEG library of its image plugin...) are left out too.
SYSTEM_LIBRARY_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/", "/usr/local/lib/")
# Binaries that carry symbols they do not need, stripped after the build (``strip`` breaks
# libraries that auditwheel patched, such as numpy.libs/*, so only these).
STRIPPED_FILES = (
    "libpython3*.so*",
    "python3*/lib-dynload/*.so",
    "pyarrow/*.so*",
    "zstandard/*.so",
    "rocksdict/*.so",
)

# Lines the frozen app may print on stderr without failing the smoke test (regular expressions).
ALLOWED_STDERR = (
    r"This plugin does not support propagateSizeHints\(\)",
    r"^QFontDatabase: Cannot find font directory ",
    r"^Note that Qt no longer ships fonts\.",
    r"^Fontconfig (warning|error): ",
    r"^qt\.qpa\.fonts: ",
)


@dataclass
class SizeReport:
    """What a folder holds: total bytes, regular file count and the biggest entries."""

    total_bytes: int
    file_count: int
    biggest: list[tuple[str, int]] = field(default_factory=list)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command line of this script."""
    parser = argparse.ArgumentParser(
        description="Build dist/osquery-inspector/ with PyInstaller and smoke-test it."
    )
    parser.add_argument(
        "--skip-build", action="store_true", help="smoke-test the bundle already in dist/"
    )
    parser.add_argument("--no-smoke", action="store_true", help="build without the smoke test")
    parser.add_argument(
        "--clean",
        action="store_true",
        help="remove build/ (venv, PyInstaller cache) and dist/ first",
    )
    args = parser.parse_args(argv)
    if args.skip_build and args.no_smoke:
        parser.error("--skip-build with --no-smoke leaves nothing to do")
    if args.skip_build and args.clean:
        parser.error("--clean removes the bundle that --skip-build would test")
    return args


def log(message: str) -> None:
    """Progress on stdout, flushed so that it interleaves with the tools' output."""
    print(f"[build_app] {message}", flush=True)


def run(command: Sequence[str | os.PathLike], **kwargs) -> None:
    """Run a build step; stop the build if it fails."""
    log("$ " + " ".join(str(c) for c in command))
    subprocess.run([str(c) for c in command], check=True, **kwargs)


# --- The build venv -------------------------------------------------------------------------


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """The project's runtime dependencies (no extras), as written in pyproject.toml."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return list(data["project"]["dependencies"])


def requirements_fingerprint(requirements: Iterable[str], python: str = sys.version) -> str:
    """What the venv was made from: when this changes, the venv is made again."""
    text = "\n".join([python, PYINSTALLER_REQUIREMENT, *sorted(requirements)])
    return hashlib.sha256(text.encode()).hexdigest()


def venv_python(venv: Path = VENV_DIR) -> Path:
    """The interpreter of a venv."""
    return venv / "bin" / "python"


def locked_requirements(lock: Path = APP_LOCK) -> list[str]:
    """The pinned versions the bundle is built from (``requirements/app.lock``)."""
    return [
        line.strip()
        for line in lock.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]


def ensure_venv(venv: Path = VENV_DIR) -> Path:
    """Make (or reuse) the build venv: the project without extras at the locked versions
    (``requirements/app.lock``, so the bundle is reproducible), plus PyInstaller."""
    fingerprint = requirements_fingerprint(locked_requirements())
    stamp = venv / REQUIREMENTS_STAMP
    if venv_python(venv).exists() and stamp.exists() and stamp.read_text().strip() == fingerprint:
        log(f"reusing {venv.relative_to(ROOT)} (requirements unchanged)")
        return venv_python(venv)
    if venv.exists():
        log(f"requirements changed: making {venv.relative_to(ROOT)} again")
        shutil.rmtree(venv)
    run([sys.executable, "-m", "venv", venv])
    with tempfile.TemporaryDirectory(prefix="osquery-inspector-src-") as tmp:
        source = copy_project(Path(tmp) / "src")
        pip: list[str | os.PathLike[str]] = [
            venv_python(venv), "-m", "pip", "install", "--quiet", "--no-warn-script-location"
        ]  # fmt: skip
        run([*pip, "-r", APP_LOCK])
        run([*pip, "--no-deps", source])
        run([*pip, PYINSTALLER_REQUIREMENT])
    stamp.write_text(fingerprint + "\n")
    return venv_python(venv)


def copy_project(target: Path) -> Path:
    """A copy of what ``pip install`` needs, so that the install writes no build files into the
    checkout (setuptools builds in the source folder)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


# --- PyInstaller ----------------------------------------------------------------------------


def matches_any(dest: str, patterns: Iterable[str]) -> bool:
    """Whether a path inside the bundle's ``_internal`` matches one of the glob ``patterns``."""
    dest = dest.replace(os.sep, "/")
    return any(fnmatch.fnmatchcase(dest, pattern) for pattern in patterns)


def is_excluded_file(dest: str) -> bool:
    """Whether a file, by its path inside the bundle's ``_internal``, is left out."""
    return matches_any(dest, EXCLUDED_FILES)


def is_excluded_module(name: str, excluded: Iterable[str] = EXCLUDED_MODULES) -> bool:
    """Whether a module (or a submodule of one) is on the exclusion list."""
    return any(name == e or name.startswith(e + ".") for e in excluded)


def prune_toc(
    entries: Sequence[tuple[str, str, str]],
    needed: Callable[[str], Iterable[str]],
    patterns: Iterable[str] = EXCLUDED_FILES,
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Split PyInstaller's (dest, source, typecode) entries into (kept, dropped).

    Dropped: files matching ``patterns``; system libraries that no kept binary needs (through
    ``needed(source)``, the names a binary links against); symbolic links to dropped files."""
    patterns = tuple(patterns)
    kept = [e for e in entries if e[2] == "SYMLINK" or not matches_any(e[0], patterns)]
    binaries = {e[0]: e for e in kept if e[2] in ("BINARY", "EXTENSION")}
    by_name = {Path(dest).name: dest for dest in binaries}
    links = {Path(e[0]).name: e[1] for e in kept if e[2] == "SYMLINK" and e[1] in binaries}
    by_name.update(links)
    reached = _reachable(
        [dest for dest, e in binaries.items() if _is_root(e)],
        lambda dest: [by_name[n] for n in needed(binaries[dest][1]) if n in by_name],
    )
    kept = [e for e in kept if e[0] not in binaries or e[0] in reached]
    present = {e[0] for e in kept}
    kept = [e for e in kept if e[2] != "SYMLINK" or e[1] in present]
    present = {e[0] for e in kept}
    return kept, [e for e in entries if e[0] not in present]


def _is_root(entry: tuple[str, str, str]) -> bool:
    """Binaries kept for their own sake: Python extensions, libpython, and the libraries that
    come with the packages (Qt's plugins, numpy.libs...); system libraries only when needed."""
    dest, source, typecode = entry
    return (
        typecode == "EXTENSION"
        or Path(dest).name.startswith("libpython")
        or not source.startswith(SYSTEM_LIBRARY_DIRS)
    )


def _reachable(roots: Iterable[str], edges: Callable[[str], Iterable[str]]) -> set[str]:
    """Every node reachable from ``roots`` (the roots included)."""
    seen: set[str] = set()
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(edges(node))
    return seen


def strip_binaries(bundle: Path, patterns: Iterable[str] = STRIPPED_FILES) -> int:
    """Strip unneeded symbols from the bundle's binaries that match ``patterns``; return the
    bytes saved (0 without binutils' ``strip``)."""
    strip = shutil.which("strip")
    internal = bundle / "_internal"
    if strip is None:
        log("no 'strip' (binutils): the bundle keeps its symbols")
        return 0
    before = after = 0
    for path in sorted(internal.rglob("*")):
        relative = path.relative_to(internal).as_posix()
        if path.is_symlink() or not path.is_file() or not matches_any(relative, patterns):
            continue
        before += path.stat().st_size
        subprocess.run([strip, "--strip-unneeded", str(path)], check=True)
        after += path.stat().st_size
    return before - after


def build_bundle(python: Path) -> None:
    """Run PyInstaller on the spec, then add the desktop entry beside the executable."""
    run(
        [
            python, "-m", "PyInstaller", SPEC_FILE, "--noconfirm", "--clean",
            "--log-level", "WARN", "--distpath", DIST_DIR, "--workpath", WORK_DIR,
        ],
        cwd=ROOT,
    )  # fmt: skip
    log(f"stripped {strip_binaries(BUNDLE_DIR) / 1e6:.1f} MB of symbols")
    shutil.copy2(DESKTOP_FILE, BUNDLE_DIR / DESKTOP_FILE.name)
    shutil.copy2(INSTALL_SCRIPT, BUNDLE_DIR / INSTALL_SCRIPT.name)
    (BUNDLE_DIR / INSTALL_SCRIPT.name).chmod(0o755)


# --- The size report ------------------------------------------------------------------------


def size_report(folder: Path, top: int = 15) -> SizeReport:
    """Total size and file count of ``folder``, and its ``top`` biggest entries: every file, and
    every folder directly under the package folder (``_internal`` in a bundle). Symbolic links
    are neither counted nor followed."""
    packages = folder / "_internal" if (folder / "_internal").is_dir() else folder
    sizes: dict[str, int] = {}
    total = count = 0
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        size = path.stat().st_size
        total += size
        count += 1
        relative = path.relative_to(folder)
        sizes[relative.as_posix()] = size
        top_dir = _package_dir(path, packages, folder)
        if top_dir is not None:
            sizes[top_dir] = sizes.get(top_dir, 0) + size
    biggest = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))[:top]
    return SizeReport(total, count, biggest)


def _package_dir(path: Path, packages: Path, folder: Path) -> str | None:
    """The folder directly under ``packages`` that holds ``path`` ("name/"), or None."""
    try:
        parts = path.relative_to(packages).parts
    except ValueError:
        return None
    if len(parts) < 2:
        return None
    return (packages / parts[0]).relative_to(folder).as_posix() + "/"


def format_size_report(report: SizeReport, target_mb: int = SIZE_TARGET_MB) -> str:
    """The size report as printed at the end of the build."""
    mb = report.total_bytes / 1e6
    verdict = "within" if mb <= target_mb else "OVER"
    target = f"{verdict} the {target_mb} MB target"
    lines = [f"bundle: {mb:.1f} MB in {report.file_count} files ({target})"]
    lines.append(f"the {len(report.biggest)} biggest files and package folders:")
    lines += [f"  {size / 1e6:8.1f} MB  {name}" for name, size in report.biggest]
    return "\n".join(lines)


# --- The smoke test -------------------------------------------------------------------------


class SmokeTestError(RuntimeError):
    """The frozen app did not behave."""


def unexpected_stderr(text: str, allowed: Iterable[str] = ALLOWED_STDERR) -> list[str]:
    """The non-blank lines of ``text`` that no allowed pattern matches."""
    patterns = [re.compile(p) for p in allowed]
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    return [line for line in lines if not any(p.search(line) for p in patterns)]


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG file, from its header."""
    header = path.read_bytes()[:24]
    if len(header) < 24 or header[:8] != b"\x89PNG\r\n\x1a\n" or header[12:16] != b"IHDR":
        raise SmokeTestError(f"{path} is not a PNG file")
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def smoke_env(home: Path) -> dict[str, str]:
    """A user's environment without a display: offscreen Qt, private cache and settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "PYTHONPATH", "PYTHONHOME")
        and not k.startswith(("QT_", "XDG_"))
    }
    env["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        env[name] = str(home / name.removeprefix("XDG_").removesuffix("_HOME").lower())
    return env


def run_frozen(
    executable: Path, args: Sequence[str], env: dict[str, str], timeout: float = SMOKE_TIMEOUT_S
) -> subprocess.CompletedProcess:
    """Run the frozen app; fail on a non-zero exit, a timeout or unexpected stderr lines."""
    command = " ".join(args)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [str(executable), *args], env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeTestError(f"{command}: no exit after {timeout:.0f} s") from exc
    seconds = time.perf_counter() - started
    log(f"  {APP_NAME} {command}: exit {done.returncode} in {seconds:.1f} s")
    if done.returncode != 0:
        raise SmokeTestError(
            f"{command} exited {done.returncode}\n--- stderr:\n{done.stderr[-4000:]}"
        )
    strange = unexpected_stderr(done.stderr)
    if strange:
        raise SmokeTestError(f"{command} printed on stderr:\n" + "\n".join(strange[:40]))
    return done


def check_bundled_files(bundle: Path) -> None:
    """The files the app looks up at run time are where it looks (sys._MEIPASS/...)."""
    internal = bundle / "_internal"
    wanted = {
        "fonts": sorted((internal / "resources" / "fonts").glob("*.ttf")),
        "icon": sorted((internal / "resources" / "icons").glob(f"{APP_NAME}*.png")),
        "catalog": [internal / "inspector" / "catalog" / "event_tables.json"],
    }
    for what, paths in wanted.items():
        if not paths or not all(p.is_file() for p in paths):
            raise SmokeTestError(f"the bundle lacks its {what} files under {internal}")


def smoke_screenshot(executable: Path, env: dict[str, str], tmp: Path) -> None:
    """Open the demo run offscreen and check the screenshot it saves."""
    shot = tmp / "shot.png"
    run_frozen(executable, ["--demo", "--screenshot", str(shot)], env)
    if not shot.is_file():
        raise SmokeTestError(f"--screenshot wrote no {shot}")
    if png_size(shot) != SCREENSHOT_SIZE:
        raise SmokeTestError(f"the screenshot is {png_size(shot)}, not {SCREENSHOT_SIZE}")
    log(f"  screenshot {shot.name}: {SCREENSHOT_SIZE[0]}x{SCREENSHOT_SIZE[1]} OK")


def pick_sample(samples: Path = SAMPLES_DIR) -> Path | None:
    """The smallest results log among the real samples (None when they are not here)."""
    if not samples.is_dir():
        return None
    logs = [
        p
        for p in samples.rglob("*.log")
        if p.is_file() and ("results" in p.name or p.name == "osquery.log")
    ]
    return min(logs, key=lambda p: (p.stat().st_size, str(p)), default=None)


def smoke_scan(executable: Path, env: dict[str, str], tmp: Path) -> None:
    """``scan --json`` on a real sample (or a demo run the frozen app writes) must parse."""
    sample = pick_sample()
    if sample is None:
        sample = tmp / "demo-run"
        run_frozen(executable, ["demo", str(sample), "--size", "2MB"], env)
    done = run_frozen(executable, ["scan", "--json", str(sample)], env)
    try:
        doc = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise SmokeTestError(f"scan --json printed no JSON: {exc}\n{done.stdout[:2000]}") from exc
    rows = sum(s.get("rows") or 0 for s in doc.get("sources", []))
    if not rows:
        raise SmokeTestError(f"scan --json {sample} loaded no rows: {done.stdout[:2000]}")
    log(f"  scan --json {sample.name}: {rows} rows, {len(doc.get('findings', []))} findings OK")


def smoke_test(bundle: Path = BUNDLE_DIR) -> None:
    """Start the frozen app as a user would, without a display; raise SmokeTestError if not OK."""
    executable = bundle / APP_NAME
    if not executable.is_file():
        raise SmokeTestError(f"no bundle at {bundle} (build it first)")
    log(f"smoke test of {executable}")
    check_bundled_files(bundle)
    with tempfile.TemporaryDirectory(prefix="osquery-inspector-smoke-") as tmp:
        env = smoke_env(Path(tmp))
        smoke_screenshot(executable, env, Path(tmp))
        smoke_scan(executable, env, Path(tmp))
    log("smoke test passed")


# --- main -----------------------------------------------------------------------------------


def clean() -> None:
    """Remove the build venv, PyInstaller's cache and the bundle."""
    for folder in (BUILD_DIR, DIST_DIR):
        if folder.exists():
            log(f"removing {folder.relative_to(ROOT)}")
            shutil.rmtree(folder)


def build() -> None:
    """Venv, PyInstaller, size report."""
    started = time.perf_counter()
    python = ensure_venv()
    venv_done = time.perf_counter()
    build_bundle(python)
    done = time.perf_counter()
    print(format_size_report(size_report(BUNDLE_DIR)), flush=True)
    log(
        f"built {BUNDLE_DIR.relative_to(ROOT)} in {done - started:.0f} s "
        f"(venv {venv_done - started:.0f} s, PyInstaller {done - venv_done:.0f} s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Build and/or smoke-test; 0 when everything passed."""
    args = parse_args(argv)
    if args.clean:
        clean()
    try:
        if not args.skip_build:
            build()
        if not args.no_smoke:
            smoke_test()
    except subprocess.CalledProcessError as exc:
        log(f"FAILED: {exc}")
        return 1
    except SmokeTestError as exc:
        log(f"SMOKE TEST FAILED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
