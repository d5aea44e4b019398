"""Failures the user sees: an expected one is a message; an unexpected one (a bug) is a message
that points to the log folder, where its traceback was written (``inspector.logs``)."""

from __future__ import annotations

import logging
import os

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox, QWidget

from inspector.logs import log_folder

UNEXPECTED = "Unexpected error"
_log = logging.getLogger("ui.failures")


def unexpected_message(exc: BaseException, during: str) -> str:
    """Log ``exc`` with its traceback (call it inside the ``except``) and return the one line the
    window shows for it."""
    _log.error("%s failed", during, exc_info=exc)
    return f"{UNEXPECTED}: {type(exc).__name__}: {exc}"


def is_unexpected(message: str) -> bool:
    return message.startswith(UNEXPECTED)


def show_log_folder() -> bool:
    """Help → Show Log Folder: open the folder in the desktop's file manager (made if missing)."""
    folder = log_folder()
    os.makedirs(folder, exist_ok=True)
    return QDesktopServices.openUrl(QUrl.fromLocalFile(folder))


def failure_box(parent: QWidget, title: str, message: str) -> QMessageBox:
    """The message box for a failure (not yet shown); an unexpected one says where its details
    are and offers to show the log folder."""
    box = QMessageBox(
        QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent
    )
    if is_unexpected(message):
        box.setInformativeText(
            f"This is a bug. Its details (a traceback) are in the log folder:\n{log_folder()}\n"
            "Please include the newest log file when you report it."
        )
        show = box.addButton("Show Log Folder", QMessageBox.ButtonRole.ActionRole)
        show.clicked.disconnect()  # the box stays open after the folder is shown
        show.clicked.connect(show_log_folder)
    return box


def show_failure(parent: QWidget, title: str, message: str) -> None:
    """Show ``failure_box`` modally."""
    failure_box(parent, title, message).exec()
