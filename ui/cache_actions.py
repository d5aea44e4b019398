"""File → Clear Read Cache…: what the cache holds, and removing it after asking."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from inspector.cache import ReadCache


def clear_read_cache(window: QWidget, cache: ReadCache | None = None) -> bool:
    """Ask, then remove every cached read; the status bar says what was freed."""
    cache = cache or ReadCache()
    entries, size = cache.usage()
    if not entries:
        QMessageBox.information(
            window, "Clear Read Cache", f"The read cache is empty.\n\n{cache.directory}"
        )
        return False
    answer = QMessageBox.question(
        window,
        "Clear Read Cache",
        f"Remove {entries:,} cached {'input' if entries == 1 else 'inputs'} "
        f"({size / 1e6:,.1f} MB)?\n\nOpening them again reads the files afresh; the files "
        f"themselves are not touched.\n\n{cache.directory}",
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    freed = cache.clear()
    message = getattr(window, "message", None)
    if message is not None:
        message.setText(f"Read cache cleared: {freed / 1e6:,.1f} MB freed")
    return True
