"""Fonts and look: the bundled DejaVu fonts make text (and screenshots) the same everywhere."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from ui.resources import font_files


def apply_style(app: QApplication) -> None:
    """Load the bundled fonts and use DejaVu Sans as the application font."""
    families = set()
    for path in font_files():
        font_id = QFontDatabase.addApplicationFont(str(path))
        if font_id >= 0:
            families.update(QFontDatabase.applicationFontFamilies(font_id))
    if "DejaVu Sans" in families:
        app.setFont(QFont("DejaVu Sans", 10))
    app.setStyle("Fusion")
