"""The compare tab: which runs, how they are aligned, and the delta table per lane."""

from __future__ import annotations

import datetime as dt
import os

import pyarrow as pa
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from inspector.analysis.compare import Comparison
from inspector.views.timeline_frames import MARKER_KINDS
from ui.drops import accept_file_drags, dropped_paths
from ui.widgets.table_panel import TablePanel

COMPARE_COLUMNS = [
    "change", "subscriber", "query", "source", "host", "publisher",
    "rows_before", "rows_after", "rate_before", "rate_after",
    "duplicate_factor_before", "duplicate_factor_after", "bursts_before", "bursts_after",
    "divergence_offset_s", "divergence_kind", "host_before", "host_after",
]  # fmt: skip
# Colour-blind-safe tints (Okabe–Ito), with a sign so the change reads without colour too.
CHANGE_LOOK = {
    "duplication": ("▲ duplication", "#F5C6A5"),
    "deduplication": ("▼ deduplication", "#BFE3D6"),
    "appeared": ("+ appeared", "#C6DDF0"),
    "vanished": ("− vanished", "#DDDDDD"),
    "rate": ("~ rate", "#F7E7A6"),
    "source_missing": ("? source missing", "#EEEEEE"),
}
ALIGNMENTS = ["start", *[k for k in MARKER_KINDS if k != "agent_start"]]


class ComparePanel(QWidget):
    """Delta table of the current run (before) against another (after)."""

    alignment_changed = Signal(str, str)  # before, after specs: "start" or "MARKER[:N]"
    jump_requested = Signal(object)  # the pair row (dict) whose divergence to show
    export_requested = Signal()
    paths_dropped = Signal(list)  # a run dropped here becomes the run after
    swap_requested = Signal()
    cancel_requested = Signal()  # stop loading the run after

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.comparison: Comparison | None = None
        self.runs = QLabel(
            "Compare this run with another: File → Compare With…, or drop the other run's "
            "folder here.",
            self,
        )
        self.runs.setWordWrap(True)
        self.before_align = self._alignment_box()
        self.after_align = self._alignment_box()
        self.first = QPushButton("Jump to first divergence", self)
        self.first.clicked.connect(self._jump_first)
        swap = QPushButton("Swap before/after", self)
        swap.clicked.connect(self.swap_requested)
        export = QPushButton("Export…", self)
        export.clicked.connect(self.export_requested)
        # Loading the run after: its progress and a way out.
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(240)
        self.progress_text = QLabel("", self)
        self.progress_text.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.cancel = QPushButton("Cancel", self)
        self.cancel.clicked.connect(self.cancel_requested)
        loading = QHBoxLayout()
        loading.addWidget(self.progress)
        loading.addWidget(self.cancel)
        loading.addWidget(self.progress_text, 1)
        self.show_loading(False)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Align before on", self))
        bar.addWidget(self.before_align)
        bar.addWidget(QLabel("after on", self))
        bar.addWidget(self.after_align)
        bar.addWidget(self.first)
        bar.addWidget(swap)
        bar.addWidget(export)
        bar.addStretch(1)
        self.table = TablePanel("No comparison yet", self)
        model = self.table.model
        model.formatters["change"] = lambda v: CHANGE_LOOK.get(v, (v, None))[0]
        model.backgrounds["change"] = _change_colour
        model.formatters["divergence_offset_s"] = _offset
        for name in ("rate_before", "rate_after"):
            model.formatters[name] = lambda v: f"{v:,.1f}/h"
        for name in ("duplicate_factor_before", "duplicate_factor_after"):
            model.formatters[name] = lambda v: f"×{v:.2f}"
        self.table.view.doubleClicked.connect(self._jump_row)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.runs)
        layout.addLayout(loading)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._set_enabled(False)

    def _alignment_box(self) -> QComboBox:
        box = QComboBox(self)
        box.setEditable(True)  # MARKER:N for the N-th marker
        box.addItems(ALIGNMENTS)
        box.setToolTip(
            "start (agent start) or a marker kind; add :N for the N-th, e.g. config_change:2"
        )
        box.activated.connect(lambda _i: self._emit_alignment())
        line = box.lineEdit()  # there is one: the box is editable
        if line is not None:
            line.editingFinished.connect(self._emit_alignment)
        return box

    def _emit_alignment(self) -> None:
        self.alignment_changed.emit(self.before_align.currentText().strip() or "start",
                                    self.after_align.currentText().strip() or "start")  # fmt: skip

    def set_alignment(self, before: str, after: str) -> None:
        for box, value in ((self.before_align, before), (self.after_align, after)):
            box.blockSignals(True)
            box.setCurrentText(value)
            box.blockSignals(False)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.before_align, self.after_align, self.first):
            w.setEnabled(on)

    def show_loading(self, busy: bool) -> None:
        """Show (or hide) the progress of loading the run after, with its Cancel button."""
        for w in (self.progress, self.cancel, self.progress_text):
            w.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self.progress_text.setText("")

    def show_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.progress_text.setText(message)

    # -- content ------------------------------------------------------------------------------
    def show_comparison(self, result: Comparison, before_name: str, after_name: str) -> None:
        self.comparison = result
        rows = result.table.to_pylist()
        rose = sorted({r["subscriber"] or r["query"] for r in rows if r["change"] == "duplication"})
        self.runs.setText(
            f"<b>Before</b> (solid lanes): {before_name} — <b>after</b> (dashed): {after_name}. "
            f"{len(rows)} lane pairs; duplication rose in: {', '.join(rose) or 'none'}."
        )
        table = result.table
        self.table.show_table(
            table, COMPARE_COLUMNS, f"{table.num_rows} pairs, biggest changes first"
        )
        self._set_enabled(True)
        self.first.setEnabled(result.first_divergence is not None)

    def show_error(self, message: str) -> None:
        """A failed comparison: its reason, and no table — the previous comparison's rows would
        read as this one's answer."""
        self.comparison = None
        self.runs.setText(f"<span style='color:#b00020'>Cannot compare: {message}</span>")
        self.table.show_table(pa.table({}), None, "No comparison: see the error above")
        self._set_enabled(False)
        for box in (self.before_align, self.after_align):
            box.setEnabled(True)  # a better alignment may fix it

    def _jump_first(self) -> None:
        if self.comparison is not None and self.comparison.first_divergence is not None:
            self.jump_requested.emit(self.comparison.first_divergence)

    def _jump_row(self, index) -> None:
        table: pa.Table = self.table.model.table
        row = table.slice(self.table.model.table_row(index.row()), 1).to_pylist()[0]
        if row["divergence_before"] is not None:
            self.jump_requested.emit(row)

    # -- dropping the other run ------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accept_file_drags(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event)
        if paths:
            self.paths_dropped.emit(paths)


def _change_colour(value: object) -> QColor | None:
    look = CHANGE_LOOK.get(str(value))
    return QColor(look[1]) if look else None


def _offset(seconds: float) -> str:
    sign = "-" if seconds < 0 else "+"
    s = int(abs(seconds))
    return (
        f"{sign}{s // 3600}h{s % 3600 // 60:02d}m"
        if s >= 3600
        else f"{sign}{s // 60}m{s % 60:02d}s"
    )


def run_name(paths: list[str]) -> str:
    """A short name for a run: its folders' or files' names."""
    return ", ".join(os.path.basename(p.rstrip("/")) or p for p in paths)


def divergence_window(row: dict, before: bool = True) -> tuple[dt.datetime, dt.datetime]:
    """A few minutes around a pair's divergence, in the run before's time (or after's)."""
    at = row["divergence_before" if before else "divergence_after"]
    return at - dt.timedelta(minutes=10), at + dt.timedelta(minutes=20)
