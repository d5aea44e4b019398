"""Files and folders dropped on a widget."""

from __future__ import annotations

from PySide6.QtGui import QDragEnterEvent, QDropEvent


def accept_file_drags(event: QDragEnterEvent) -> None:
    """Accept a drag that carries URLs (files or folders)."""
    if event.mimeData().hasUrls():
        event.acceptProposedAction()


def dropped_paths(event: QDropEvent) -> list[str]:
    """The local paths of a drop (accepting it when there are any)."""
    paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
    if paths:
        event.acceptProposedAction()
    return paths
