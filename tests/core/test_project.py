"""Project hygiene: CI runs the README's test command; the code is ruff clean and type-checks."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    blocks = re.findall(r"```\n(.*?)\n```", (ROOT / "README.md").read_text(), re.S)
    return [b.strip() for b in blocks[:2]]


def test_readme_starts_with_the_two_commands() -> None:
    demo, tests = readme_commands()
    assert demo.endswith("osquery-inspector --demo")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command_exactly() -> None:
    _, tests = readme_commands()
    ci_lines = [
        ln for ln in (ROOT / ".ci/run").read_text().splitlines() if ln and not ln.startswith("#")
    ]
    assert tests in ci_lines


def test_ruff_clean() -> None:
    done = subprocess.run([_ruff(), "check", str(ROOT)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout


def _ruff() -> str:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed (it comes with the [test] extra)")
    return ruff


def test_ruff_format_clean() -> None:
    done = subprocess.run(
        [_ruff(), "format", "--check", str(ROOT)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_clean() -> None:
    """``mypy`` in the project folder, exactly as pyproject.toml configures it (strict for
    ``inspector/``), reports no error. Its cache (``.mypy_cache``) makes a re-run a few seconds."""
    pytest.importorskip("mypy", reason="mypy is not installed (it comes with the [test] extra)")
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], capture_output=True, text=True, cwd=ROOT, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr
