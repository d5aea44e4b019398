"""The page shown when the inputs held nothing osquery wrote: what was looked at, and why
nothing of it loaded (never a findings list saying all is well)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from inspector.model import Workspace

MAX_REASONS = 200


def reasons(ws: Workspace, paths: list[str]) -> list[str]:
    """One line per input looked at: its path and why it did not load."""
    if not ws.sources:
        return [f"{p}: no files in it" if p else "no inputs" for p in paths] or ["no inputs"]
    return [f"{s.path}: {s.status} — {s.reason or 'nothing osquery wrote'}" for s in ws.sources]


class NothingLoadedPage(QWidget):
    """ "Nothing loadable was found", the reasons, and buttons to open something else."""

    open_files_requested = Signal()
    open_folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.text)
        buttons = QHBoxLayout()
        for label, signal in (
            ("Open Files…", self.open_files_requested),
            ("Open Folder…", self.open_folder_requested),
        ):
            button = QPushButton(label, self)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 36, 48, 36)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    def show_workspace(self, ws: Workspace, paths: list[str]) -> None:
        """Say what was looked at and why nothing of it loaded."""
        lines = reasons(ws, paths)
        items = "".join(f"<li>{html.escape(line)}</li>" for line in lines[:MAX_REASONS])
        more = f"<p>… and {len(lines) - MAX_REASONS:,} more</p>" if len(lines) > MAX_REASONS else ""
        self.text.setText(
            "<h2>Nothing loadable was found</h2>"
            "<p>None of the inputs held anything osquery writes (results or snapshot logs, status "
            "logs, <code>osquery.conf</code> or packs, an <code>osquery.db</code>), so there is "
            "nothing to look for duplicates in — this is not a clean run.</p>"
            f"<p><b>{html.escape(', '.join(paths) or '(no inputs)')}</b></p><ul>{items}</ul>{more}"
        )
