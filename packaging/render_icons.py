"""Render the app icon (``resources/icons/osquery-inspector.svg``) to the PNG sizes desktops use.

Run it after editing the SVG: ``.venv/bin/python packaging/render_icons.py``. The PNGs are
committed, so neither the build nor the app needs Qt's SVG support to show the icon.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parent.parent / "resources" / "icons"
ICON_NAME = "osquery-inspector"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_path(size: int) -> Path:
    """Where the PNG of one size goes."""
    return ICON_DIR / f"{ICON_NAME}-{size}.png"


def render(svg: Path, sizes: tuple[int, ...] = SIZES) -> list[Path]:
    """Render ``svg`` to one transparent PNG per size; return the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"not a valid SVG: {svg}")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        if not image.save(str(png_path(size))):
            raise SystemExit(f"could not write {png_path(size)}")
        written.append(png_path(size))
    return written


if __name__ == "__main__":
    for path in render(ICON_DIR / f"{ICON_NAME}.svg"):
        print(path)
