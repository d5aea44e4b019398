"""The core's layers import one way: foundation ← readers ← loading; foundation ← analysis ← views.

Every import statement of ``inspector/`` (function-level ones included) is checked against the
layer table below; a module that imports a layer above its own fails the test with its file and
line. ``import inspector`` and ``import inspector.analysis`` must not load the readers or the
cache (the notebook API loads them on first use).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "inspector"

# Layer of a module: the first prefix that matches (longest prefixes first).
LAYER_OF_PREFIX = {
    "inspector.schema": "foundation",
    "inspector.progress": "foundation",
    "inspector.duck": "foundation",
    "inspector.content_hash": "foundation",
    "inspector.catalog": "foundation",
    "inspector.timezones": "foundation",
    "inspector.files": "foundation",
    "inspector.model": "foundation",
    "inspector.arrow_columns": "foundation",
    "inspector.units": "foundation",
    "inspector.gil_friendly": "foundation",
    "inspector.readers": "readers",
    "inspector.loading": "loading",
    "inspector.analysis": "analysis",
    "inspector.sql": "analysis",
    "inspector.views": "views",
}
# What each layer may import (besides itself and the package root's ``__version__``).
MAY_IMPORT = {
    "foundation": {"foundation"},
    "readers": {"foundation"},
    "loading": {"foundation", "readers"},
    "analysis": {"foundation"},
    "views": {"foundation", "analysis"},
    "app": {"foundation", "readers", "loading", "analysis", "views", "app"},
}


def layer_of(module: str) -> str:
    for prefix in sorted(LAYER_OF_PREFIX, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return LAYER_OF_PREFIX[prefix]
    return "app"  # cli, export, session, demo, api, database, live, fleet, the package root


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parent).with_suffix("").parts
    return ".".join(parts).removesuffix(".__init__")


def imported_modules(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, module) of every ``inspector`` import in the file, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                # ``from inspector.x import y`` may import the submodule inspector.x.y
                candidate = f"{base}.{alias.name}"
                sub = CORE.parent / Path(*candidate.split("."))
                named = candidate if sub.with_suffix(".py").exists() or sub.is_dir() else base
                out.append((node.lineno, named))
    return [(line, m) for line, m in out if m == "inspector" or m.startswith("inspector.")]


def test_layers_import_one_way() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        module = module_name(path)
        mine = layer_of(module)
        for line, imported in imported_modules(path, module):
            if imported == "inspector":
                continue  # the package root: __version__ and the lazy API only
            theirs = layer_of(imported)
            if theirs != mine and theirs not in MAY_IMPORT[mine]:
                offenders.append(
                    f"{path.relative_to(CORE.parent)}:{line} ({mine}) imports {imported} ({theirs})"
                )
    assert offenders == [], "\n".join(offenders)


def test_the_layer_check_catches_an_upward_import(tmp_path) -> None:
    """The checker itself: an analysis module importing the loading pipeline is reported."""
    fake = CORE / "analysis" / "_layer_probe.py"
    fake.write_text("from inspector.loading.pipeline import load\n")
    try:
        found = imported_modules(fake, module_name(fake))
        assert found == [(1, "inspector.loading.pipeline")]
        assert layer_of("inspector.loading.pipeline") not in MAY_IMPORT[layer_of(module_name(fake))]
    finally:
        fake.unlink()


def test_importing_the_package_and_the_analysis_loads_no_reader_or_cache() -> None:
    """Every module of the analysis and the views, the model and the package root."""
    upper = [
        module_name(p)
        for folder in ("analysis", "views", "model")
        for p in sorted((CORE / folder).rglob("*.py"))
    ]
    code = (
        "import importlib, sys, inspector\n"
        f"for m in {upper!r}: importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('inspector.readers', "
        "'inspector.loading')))\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
