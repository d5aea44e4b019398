"""Where the app's bundled files are: fonts, the sample run."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """``resources/`` next to the packages (a source checkout, or a PyInstaller bundle)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def font_files() -> list[Path]:
    return sorted((resources_dir() / "fonts").glob("*.ttf"))


def icon_files() -> list[Path]:
    """The app icon at every size rendered (PNG), smallest first."""
    files = (resources_dir() / "icons").glob("osquery-inspector-*.png")
    return sorted(files, key=lambda p: int(p.stem.rsplit("-", 1)[-1]))
