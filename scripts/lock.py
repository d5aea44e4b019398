"""Write the lock files CI, the setup script and the bundle build install from.

    python scripts/lock.py        # resolves pyproject.toml's ranges today, in fresh venvs

``requirements/app.lock`` pins what ``pip install .`` resolves to (the app and the bundle);
``requirements/test.lock`` what ``pip install '.[test]'`` does (the suite, CI). Commit both: the
same versions are then installed everywhere until the locks are written again (a test checks
that they still satisfy pyproject.toml's ranges).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "osquery-event-inspector"


def freeze(extra: str) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="osquery-inspector-lock-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        target = f"{ROOT}[{extra}]" if extra else str(ROOT)
        subprocess.run([*pip, "install", "--quiet", target], check=True)
        out = subprocess.run([*pip, "freeze", "--all"], check=True, capture_output=True, text=True)
    skip = {PROJECT, "pip", "setuptools", "wheel"}

    def name(line: str) -> str:
        return line.split("==")[0].split(" @ ")[0].strip().lower().replace("_", "-")

    return sorted(
        (line for line in out.stdout.splitlines() if name(line) not in skip), key=str.lower
    )


def main() -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    for name, extra in (("app.lock", ""), ("test.lock", "test")):
        pins = freeze(extra)
        header = [
            f"# {name}: exact versions of what `pip install .{'[' + extra + ']' if extra else ''}`",
            f"# resolved to on Python {version} (written by scripts/lock.py; do not edit by hand)",
        ]
        (ROOT / "requirements" / name).write_text("\n".join([*header, *pins]) + "\n")
        print(f"requirements/{name}: {len(pins)} packages")


if __name__ == "__main__":
    main()
