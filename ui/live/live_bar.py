"""The strip shown while following: what is happening, a Live button and Pause/Resume."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

FLUSH_HINT = "events in osquery.db show only when osqueryd flushes them"


class LiveBar(QWidget):
    """``Following: 12,345 lines · 230 lines/s · lag 0.2 s · osquery.db flushed 12:00:05``."""

    live_requested = Signal()  # back to following "now"
    pause_toggled = Signal(bool)  # True: paused
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel("Following…", self)
        self.last_news = ""
        self.news = QLabel("", self)
        self.news.setStyleSheet("color: #b3261e; font-weight: bold;")
        self.news.setMaximumWidth(420)
        self.live = QPushButton("● Live", self)
        self.live.setCheckable(True)
        self.live.setChecked(True)
        self.live.setToolTip("Keep the timeline's right edge at now")
        self.live.clicked.connect(self._on_live)
        self.pause = QPushButton("Pause", self)
        self.pause.setCheckable(True)
        self.pause.toggled.connect(self._on_pause)
        self.stop = QPushButton("Stop", self)
        self.stop.clicked.connect(self.stop_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status, 1)
        layout.addWidget(self.news)
        layout.addWidget(self.live)
        layout.addWidget(self.pause)
        layout.addWidget(self.stop)

    def _on_live(self, checked: bool) -> None:
        if checked:
            self.live_requested.emit()
        else:
            self.live.setChecked(False)

    def _on_pause(self, paused: bool) -> None:
        self.pause.setText("Resume" if paused else "Pause")
        self.pause_toggled.emit(paused)

    def show_news(self, text: str) -> None:
        """Announce a new finding (elided to fit; the whole text in the tooltip)."""
        metrics = self.news.fontMetrics()
        self.news.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, 420))
        self.news.setToolTip(text)
        self.last_news = text

    def set_following(self, following: bool) -> None:
        """``False``: the user panned away from now."""
        self.live.setChecked(following)

    def show_counts(
        self, lines: int, rate: float, lag: float, held: int, records: int,
        last_flush: float | None, paused: bool,
    ) -> None:  # fmt: skip
        parts = [
            f"{'Paused' if paused else 'Following'}: {lines:,} lines",
            f"{rate:,.0f} lines/s",
            f"lag {lag:.1f} s",
        ]
        if held < records:
            parts.append(f"{held:,} of {records:,} records in memory")
        if last_flush is not None:
            when = dt.datetime.fromtimestamp(last_flush, dt.UTC)
            parts.append(f"osquery.db last flushed {when:%H:%M:%S} UTC")
        self.status.setText(" · ".join(parts))
        if last_flush is not None:
            self.status.setToolTip(FLUSH_HINT)
