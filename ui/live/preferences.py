"""Preferences: how much memory a followed run may hold in records (QSettings)."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

LIMIT_KEY = "live/memory_limit_mb"
DEFAULT_LIMIT_MB = 512


def live_memory_limit_bytes() -> int:
    """The records a follow keeps in memory, in bytes (the rest is kept as per-lane counts)."""
    try:
        mb = int(str(QSettings().value(LIMIT_KEY, DEFAULT_LIMIT_MB)))
    except (TypeError, ValueError):
        mb = DEFAULT_LIMIT_MB
    return max(16, mb) * 1024 * 1024


class PreferencesDialog(QDialog):
    """Edit the preferences; OK stores them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.limit = QSpinBox(self)
        self.limit.setRange(16, 64 * 1024)
        self.limit.setSingleStep(64)
        self.limit.setSuffix(" MB")
        self.limit.setValue(live_memory_limit_bytes() // (1024 * 1024))
        form = QFormLayout()
        form.addRow("Records kept while following:", self.limit)
        hint = QLabel(
            "Following an agent for hours keeps its newest records up to this size; older "
            "ones are let go and counted per lane, so the rate lanes still cover the whole run.",
            self,
        )
        hint.setWordWrap(True)
        hint.setStyleSheet("color: #666;")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(buttons)

    def accept(self) -> None:
        QSettings().setValue(LIMIT_KEY, self.limit.value())
        super().accept()
