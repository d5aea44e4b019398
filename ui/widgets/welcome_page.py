"""The page shown before anything is open: what the app does and how to start."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

TEXT = """<h1>osquery Event Inspector</h1>
<p>Open what an osquery agent left on disk — results and snapshot logs (rotated,
<code>.zst</code>/<code>.gz</code>), glog or JSON status logs, <code>osquery.conf</code> and packs —
to see its hosts, queries, subscribers and publishers, status-log markers, and every rejected line.</p>
<p>Drop files or folders anywhere on this window, or:</p>"""


class WelcomePage(QWidget):
    """Buttons to open files, a folder, or the bundled demo run."""

    open_files_requested = Signal()
    open_folder_requested = Signal()
    open_demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        text = QLabel(TEXT, self)
        text.setWordWrap(True)
        text.setTextFormat(Qt.TextFormat.RichText)
        buttons = QHBoxLayout()
        for label, signal in (
            ("Open Files…", self.open_files_requested),
            ("Open Folder…", self.open_folder_requested),
            ("Open Demo Run", self.open_demo_requested),
        ):
            button = QPushButton(label, self)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 36, 48, 36)
        layout.addWidget(text)
        layout.addLayout(buttons)
        layout.addStretch(1)
