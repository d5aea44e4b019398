"""``build_app.py``: its options, what the bundle leaves out, the smoke test's checks, the size
report. No bundle is built here (``python build_app.py`` does that, in about a minute)."""

from __future__ import annotations

import ast
import configparser
import struct
import zlib
from pathlib import Path

import pytest

import build_app

ROOT = Path(build_app.__file__).resolve().parent


# --- options ----------------------------------------------------------------------------------


def test_no_options_build_and_smoke_test() -> None:
    args = build_app.parse_args([])
    assert (args.skip_build, args.no_smoke, args.clean) == (False, False, False)


@pytest.mark.parametrize(
    ("argv", "attribute"),
    [(["--skip-build"], "skip_build"), (["--no-smoke"], "no_smoke"), (["--clean"], "clean")],
)
def test_each_option_sets_its_flag(argv: list[str], attribute: str) -> None:
    assert getattr(build_app.parse_args(argv), attribute) is True


@pytest.mark.parametrize(
    "argv", [["--skip-build", "--no-smoke"], ["--skip-build", "--clean"], ["--bogus"]]
)
def test_contradictory_or_unknown_options_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        build_app.parse_args(argv)
    assert exc.value.code == 2


# --- what the bundle leaves out ------------------------------------------------------------------


def imported_modules(*packages: str) -> set[str]:
    """Every absolute module name imported anywhere in the given source packages."""
    names: set[str] = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names.add(node.module)
                    names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_app_imports_nothing_the_bundle_excludes() -> None:
    """A new import of an excluded module (pandas, a Qt module...) must update build_app.py,
    or the frozen app fails where the source checkout works."""
    imports = imported_modules("inspector", "ui")
    assert "PySide6.QtWidgets" in imports  # the scan sees the imports
    assert sorted(n for n in imports if build_app.is_excluded_module(n)) == []


@pytest.mark.parametrize(
    "name",
    [
        "PySide6.QtCore", "PySide6.QtGui", "PySide6.QtWidgets", "PySide6.QtOpenGL",
        "PySide6.QtOpenGLWidgets", "PySide6.QtSvg", "pyarrow", "pyarrow.compute", "pyarrow.parquet",
        "pyarrow.acero", "pyarrow.dataset", "pyarrow._csv", "pyarrow._json", "numpy",
        "duckdb", "rocksdict", "zstandard", "zstandard.backend_c", "platformdirs", "tzdata",
        "pyqtgraph",
    ],
)  # fmt: skip
def test_what_the_app_and_its_libraries_use_stays(name: str) -> None:
    assert not build_app.is_excluded_module(name)


@pytest.mark.parametrize(
    "name",
    [
        "PySide6.QtWebEngineCore", "PySide6.Qt3DCore", "PySide6.QtQuick", "PySide6.QtQml",
        "PySide6.QtMultimedia", "PySide6.QtNetwork", "pyarrow.flight", "pyarrow._s3fs",
        "pyarrow._gcsfs", "pyarrow._azurefs", "pyarrow.substrait", "pyarrow.gandiva",
        "pyarrow.tests.test_io", "pandas", "pandas.core.frame", "zstandard.backend_cffi",
    ],
)  # fmt: skip
def test_unused_modules_are_excluded(name: str) -> None:
    assert build_app.is_excluded_module(name)


def test_an_excluded_name_does_not_exclude_a_longer_one() -> None:
    assert build_app.is_excluded_module("pandas.io")
    assert not build_app.is_excluded_module("pandasql")
    assert not build_app.is_excluded_module("pyarrow.flightless")


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/xcbglintegrations/libqxcb-glx-integration.so",
        "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libicudata.so.73",
        "pyarrow/libarrow.so.2600",
        "pyarrow/libarrow_python.so.2600",
        "pyarrow/libarrow_substrait.so.2600",  # libarrow_python links it
        "pyarrow/lib.cpython-311-x86_64-linux-gnu.so",
        "resources/fonts/DejaVuSans.ttf",
        "resources/icons/osquery-inspector-256.png",
        "inspector/catalog/event_tables.json",
    ],
)
def test_files_the_app_needs_stay(dest: str) -> None:
    assert not build_app.is_excluded_file(dest)


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so",
        "PySide6/Qt/translations/qtbase_de.qm",
        "pyarrow/libarrow_flight.so.2600",
        "pyarrow/libarrow_s3.so.2600",
        "pyarrow/libarrow_python.so",
        "pyarrow/libarrow_python.so.2600.1.0",
        "pyarrow/include/arrow/api.h",
        "pyarrow/includes/libarrow.pxd",
    ],
)
def test_files_nothing_uses_are_dropped(dest: str) -> None:
    assert build_app.is_excluded_file(dest)


def test_pruning_drops_system_libraries_only_an_excluded_plugin_needed() -> None:
    site = "/venv/lib/python3.11/site-packages"
    entries = [
        ("PySide6/QtGui.abi3.so", f"{site}/PySide6/QtGui.abi3.so", "EXTENSION"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", f"{site}/PySide6/Qt/lib/libQt6Gui.so.6", "BINARY"),
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libfontconfig.so.1", "/usr/lib/x86_64-linux-gnu/libfontconfig.so.1", "BINARY"),
        ("libexpat.so.1", "/lib/x86_64-linux-gnu/libexpat.so.1", "BINARY"),
        (
            "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
            f"{site}/PySide6/Qt/plugins/platformthemes/libqgtk3.so",
            "BINARY",
        ),
        ("libgtk-3.so.0", "/usr/lib/x86_64-linux-gnu/libgtk-3.so.0", "BINARY"),
        ("pyarrow/libarrow_flight.so.2600", f"{site}/pyarrow/libarrow_flight.so.2600", "BINARY"),
        ("libarrow_flight.so.2600", "pyarrow/libarrow_flight.so.2600", "SYMLINK"),
        ("libpython3.11.so.1.0", "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", "BINARY"),
        ("resources/fonts/DejaVuSans.ttf", "/src/resources/fonts/DejaVuSans.ttf", "DATA"),
    ]
    links = {
        f"{site}/PySide6/QtGui.abi3.so": ["libQt6Gui.so.6"],
        f"{site}/PySide6/Qt/lib/libQt6Gui.so.6": ["libfontconfig.so.1", "libc.so.6"],
        "/usr/lib/x86_64-linux-gnu/libfontconfig.so.1": ["libexpat.so.1"],
        f"{site}/PySide6/Qt/plugins/platformthemes/libqgtk3.so": ["libgtk-3.so.0"],
    }
    kept, dropped = build_app.prune_toc(entries, lambda source: links.get(source, []))
    assert {e[0] for e in dropped} == {
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",  # a pattern
        "libgtk-3.so.0",  # only the dropped plugin needed it
        "pyarrow/libarrow_flight.so.2600",  # a pattern
        "libarrow_flight.so.2600",  # a link to a dropped file
    }
    assert kept == [e for e in entries if e not in dropped]  # order kept


# --- the smoke test's checks ---------------------------------------------------------------------


def test_harmless_qt_lines_on_stderr_are_allowed() -> None:
    stderr = (
        "This plugin does not support propagateSizeHints()\n"
        "\n"
        "QFontDatabase: Cannot find font directory /x/lib/fonts.\n"
        "Fontconfig error: Cannot load default config file: No such file: (null)\n"
    )
    assert build_app.unexpected_stderr(stderr) == []


def test_other_stderr_lines_are_reported() -> None:
    stderr = (
        "This plugin does not support propagateSizeHints()\n"
        "Traceback (most recent call last):\n"
        "ModuleNotFoundError: No module named 'pandas'\n"
        'qt.qpa.plugin: Could not load the Qt platform plugin "xcb"\n'
    )
    assert build_app.unexpected_stderr(stderr) == [
        "Traceback (most recent call last):",
        "ModuleNotFoundError: No module named 'pandas'",
        'qt.qpa.plugin: Could not load the Qt platform plugin "xcb"',
    ]


def make_png(path: Path, width: int, height: int) -> Path:
    """A PNG signature and IHDR chunk: all that png_size reads."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr)))
    return path


def test_png_size_reads_the_header(tmp_path: Path) -> None:
    assert build_app.png_size(make_png(tmp_path / "shot.png", 1600, 1000)) == (1600, 1000)


def test_png_size_rejects_other_files(tmp_path: Path) -> None:
    (tmp_path / "shot.png").write_text("not a picture, but long enough to have a header")
    with pytest.raises(build_app.SmokeTestError):
        build_app.png_size(tmp_path / "shot.png")


def test_the_smoke_environment_has_no_display_and_private_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_PLUGIN_PATH", "/elsewhere")
    env = build_app.smoke_env(tmp_path)
    assert "DISPLAY" not in env and "QT_PLUGIN_PATH" not in env
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        assert Path(env[name]).parent == tmp_path


def test_the_smallest_results_log_is_the_sample(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "osqueryd.results.log").write_text("x" * 50)
    (tmp_path / "osquery.log").write_text("x" * 20)
    (tmp_path / "osqueryd.INFO.log").write_text("x")  # a status log, not results
    (tmp_path / "big.results.log").write_text("x" * 500)
    assert build_app.pick_sample(tmp_path) == tmp_path / "osquery.log"
    assert build_app.pick_sample(tmp_path / "missing") is None


# --- the venv and the size report ----------------------------------------------------------------


def test_the_venv_gets_runtime_dependencies_only() -> None:
    requirements = build_app.runtime_requirements()
    assert any(r.startswith("pyarrow") for r in requirements)
    assert not any(r.startswith(("pytest", "ruff", "hypothesis")) for r in requirements)
    locked = build_app.locked_requirements()  # what the bundle is built from: exact pins
    assert locked and all("==" in r for r in locked)
    assert any(r.startswith("pyarrow==") for r in locked)
    assert not any(r.lower().startswith(("pytest", "ruff", "hypothesis", "mypy")) for r in locked)


def test_the_venv_is_made_again_when_its_requirements_change() -> None:
    same = build_app.requirements_fingerprint(["b>=1", "a"], python="3.11.7")
    assert same == build_app.requirements_fingerprint(["a", "b>=1"], python="3.11.7")
    assert same != build_app.requirements_fingerprint(["a", "b>=2"], python="3.11.7")
    assert same != build_app.requirements_fingerprint(["a", "b>=1"], python="3.12.1")


def make_bundle(root: Path) -> Path:
    """A fake one-folder bundle with files of known sizes."""
    sizes = {
        "osquery-inspector": 700,
        "_internal/libbig.so": 5000,
        "_internal/pkg/a.so": 3000,
        "_internal/pkg/sub/b.so": 2500,
        "_internal/other/c.txt": 100,
        "_internal/base_library.zip": 10,
    }
    for name, size in sizes.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(b"\0" * size)
    (root / "_internal" / "liblink.so").symlink_to("pkg/a.so")
    return root


def test_size_report_counts_files_and_ranks_files_and_package_folders(tmp_path: Path) -> None:
    report = build_app.size_report(make_bundle(tmp_path), top=4)
    assert report.total_bytes == 11310  # the symbolic link is not counted
    assert report.file_count == 6
    assert report.biggest == [
        ("_internal/pkg/", 5500),
        ("_internal/libbig.so", 5000),
        ("_internal/pkg/a.so", 3000),
        ("_internal/pkg/sub/b.so", 2500),
    ]


def test_size_report_text_says_whether_the_target_is_met(tmp_path: Path) -> None:
    report = build_app.size_report(make_bundle(tmp_path))
    text = build_app.format_size_report(report, target_mb=1)
    assert text.splitlines()[0] == "bundle: 0.0 MB in 6 files (within the 1 MB target)"
    assert "_internal/pkg/" in text
    over = build_app.SizeReport(total_bytes=400_000_000, file_count=3)
    assert "OVER the 350 MB target" in build_app.format_size_report(over, target_mb=350)


# --- the packaging files ---------------------------------------------------------------------


def test_the_desktop_entry_names_the_executable_and_an_icon_that_exists() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(build_app.DESKTOP_FILE, encoding="utf-8")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == build_app.APP_NAME
    icons = ROOT / "resources" / "icons"
    assert (icons / f"{section['Icon']}.svg").is_file()
    assert (icons / f"{section['Icon']}-256.png").is_file()
