"""The process's one ``QApplication``."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication


def application(argv: list[str] | None = None) -> QApplication:
    """The ``QApplication`` already made in this process (by a test, a benchmark), else a new one
    with ``argv``. Qt types ``instance()`` as the core application; a widget app needs this one."""
    existing = QApplication.instance()
    if existing is None:
        return QApplication([] if argv is None else argv)
    if not isinstance(existing, QApplication):
        raise RuntimeError("a QCoreApplication without widgets already runs in this process")
    return existing
