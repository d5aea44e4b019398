"""The Database tab: the anatomy of each ``osquery.db`` of the run, tables beside charts.

Left, the tables (subscribers, column families, index keys, duplicated content); right, the
buffered events over time (expiry edges marked) and the bytes per family. Selecting a subscriber
(in the subscribers or duplicated table) emits ``subscriber_selected``; clicking a bucket of the
chart emits ``bucket_selected`` — the window moves the timeline and filters the records.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.database.byte_units import human_bytes
from ui.widgets.table_panel import TablePanel

if TYPE_CHECKING:  # the reader and the charts come with the first report, not the window
    from inspector.database.report import DatabaseReport
    from ui.database.charts import BufferChart, BytesChart

SUBSCRIBER_COLUMNS = [  # whether expiry keeps up first: it must show on a narrow screen
    "publisher", "subscriber", "events", "span_seconds", "expiry_seconds", "span_over_expiry",
    "expiry_keeps_up", "events_per_hour", "bytes", "oldest", "newest", "distinct_times",
    "ram_index_bytes", "inversion_fraction", "adjacent_decreasing", "late_events",
    "max_lag_seconds", "first_eid", "last_eid", "events_without_time", "key_bytes",
]  # fmt: skip
FAMILY_COLUMNS = [
    "name", "domain", "keys", "key_bytes", "value_bytes", "share", "sst_bytes", "estimated_keys",
    "tombstones", "key_length_min", "key_length_median", "key_length_p99", "key_length_max",
]  # fmt: skip
INDEX_COLUMNS = [
    "family", "keys", "entries", "bytes", "share", "dangling", "missing", "repeated",
    "time_mismatch", "ram_bytes", "ram_formula",
]  # fmt: skip
DUPLICATED_COLUMNS = [
    "publisher", "subscriber", "rows", "distinct", "extra_rows", "factor", "repeated_contents",
    "first_repeat", "last_repeat",
]  # fmt: skip
BYTE_COLUMNS = ("bytes", "key_bytes", "value_bytes", "sst_bytes", "ram_bytes", "ram_index_bytes")
NOT_KEEPING_UP = QColor("#F5C6A5")


def _duration(seconds: float) -> str:
    s = int(seconds)
    h, rest = divmod(s, 3600)
    return f"{h}h{rest // 60:02d}m" if h else f"{rest // 60}m{rest % 60:02d}s"


class DatabasePanel(QWidget):
    """The anatomy reports of the run's databases, one shown at a time."""

    subscriber_selected = Signal(
        object
    )  # {"database", "publisher", "subscriber", "oldest", "newest"}
    bucket_selected = Signal(
        object
    )  # {"database", "publisher", "subscriber" (or None), "start", "end"}

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reports: list[DatabaseReport] = []
        self.report: DatabaseReport | None = None
        self.selected: dict | None = None
        self.chooser = QComboBox(self)
        self.chooser.setVisible(False)
        self.chooser.currentIndexChanged.connect(self._on_chosen)
        self.summary = QLabel("No osquery.db in this run: open an agent's osquery.db folder.", self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 1000)
        self.busy.setMaximumSize(160, 14)
        self.busy.setVisible(False)
        top = QHBoxLayout()
        top.addWidget(self.chooser)
        top.addWidget(self.summary, 1)
        top.addWidget(self.busy)

        self.subscribers = self._table("No buffered events")
        self.families = self._table("No column families")
        self.indexes = self._table("No index-like keys: osquery 4.7+ keeps its event index in RAM")
        self.duplicated = self._table("No buffered events")
        self.tables = QTabWidget(self)
        for panel, title in ((self.subscribers, "Subscribers"), (self.families, "Column families"),
                             (self.indexes, "Index keys"), (self.duplicated, "Duplicated content")):  # fmt: skip
            self.tables.addTab(panel, title)
        for panel in (self.subscribers, self.duplicated):
            panel.view.selectionModel().selectionChanged.connect(
                lambda *_a, p=panel: self._on_row_selected(p)
            )
        keeps = self.subscribers.model
        keeps.formatters["expiry_keeps_up"] = lambda v: "yes" if v else "NO"
        keeps.backgrounds["expiry_keeps_up"] = lambda v: NOT_KEEPING_UP if v is False else None
        for name in ("span_seconds", "expiry_seconds", "max_lag_seconds"):
            keeps.formatters[name] = _duration
        keeps.formatters["span_over_expiry"] = lambda v: f"{v:.2f}×"
        keeps.formatters["events_per_hour"] = lambda v: f"{v:,.0f}/h"
        keeps.formatters["inversion_fraction"] = lambda v: f"{v:.6f}"
        keeps.formatters["adjacent_decreasing"] = lambda v: f"{v:.2%}"
        self.duplicated.model.formatters["factor"] = lambda v: f"×{v:.2f}"
        for panel in (self.subscribers, self.families, self.indexes, self.duplicated):
            for name in BYTE_COLUMNS:
                panel.model.formatters[name] = human_bytes
            panel.model.formatters["share"] = lambda v: f"{v:.2%}"

        # The charts (pyqtgraph) are built with the first report: importing and building them
        # with the window cost its start 0.3 s, for a tab most sessions never open.
        self.buffer_chart: BufferChart | None = None
        self.bytes_chart: BytesChart | None = None
        self.charts = QTabWidget(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.tables)
        split.addWidget(self.charts)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setSizes([720, 520])
        self.split = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(split, 1)

    def _table(self, empty: str) -> TablePanel:
        panel = TablePanel(empty, self)
        panel.view.setSelectionMode(panel.view.SelectionMode.SingleSelection)
        return panel

    # -- content --------------------------------------------------------------------------------
    def show_pending(self, names: list[str]) -> None:
        """The reports of these databases are being measured."""
        self.summary.setText(f"Measuring {', '.join(names)}…")
        self.busy.setValue(0)
        self.busy.setVisible(True)

    def show_progress(self, fraction: float) -> None:
        self.busy.setValue(int(fraction * 1000))

    def show_none(self) -> None:
        self.reports, self.report = [], None
        self.chooser.setVisible(False)
        self.busy.setVisible(False)
        self.summary.setText("No osquery.db in this run: open an agent's osquery.db folder.")

    def show_error(self, message: str) -> None:
        self.busy.setVisible(False)
        self.summary.setText(f"<span style='color:#b00020'>Cannot measure: {message}</span>")

    def show_reports(self, reports: list[DatabaseReport]) -> None:
        self.busy.setVisible(False)
        self.reports = reports
        self.chooser.blockSignals(True)
        self.chooser.clear()
        self.chooser.addItems([r.database for r in reports])
        self.chooser.blockSignals(False)
        self.chooser.setVisible(len(reports) > 1)
        if reports:
            self._show(reports[0])
        else:
            self.show_none()

    def _on_chosen(self, index: int) -> None:
        if 0 <= index < len(self.reports):
            self._show(self.reports[index])

    def _show(self, report: DatabaseReport) -> None:
        self.report, self.selected = report, None
        subs = report.subscribers
        events = sum(subs.column("events").to_pylist())
        late = [r["subscriber"] for r in subs.to_pylist() if r["expiry_keeps_up"] is False]
        expiry = (
            f"events_expiry {report.expiry.events_expiry} s ({report.expiry.source})"
            if report.expiry.source
            else "no config says events_expiry"
        )
        text = (
            f"<b>{report.database}</b>: {human_bytes(report.database_bytes)} live, "
            f"{events:,} buffered events in family <i>{report.events_family or '—'}</i>; {expiry}"
        )
        if late:
            text += f"; <b style='color:#b00020'>expiry does not keep up: {', '.join(late)}</b>"
        self.summary.setText(text)
        self.summary.setToolTip("\n".join(report.notes))
        self.subscribers.show_table(subs, SUBSCRIBER_COLUMNS, f"{subs.num_rows} subscribers — "
                                    "select one to see its events on the timeline")  # fmt: skip
        self.families.show_table(report.column_families, FAMILY_COLUMNS,
                                 "Column families as RocksDB lists them → the osquery domain each "
                                 "holds (domain n is in family n − 1)")  # fmt: skip
        index_caption = "Index-like keys: RAM = what holding their entries in memory would take"
        self.indexes.show_table(
            report.indexes, INDEX_COLUMNS, index_caption if report.indexes.num_rows else ""
        )
        self.duplicated.show_table(report.duplicated, DUPLICATED_COLUMNS,
                                   "Rows whose content (columns without eid) repeats under other "
                                   "eids")  # fmt: skip
        buffer_chart, bytes_chart = self._charts()
        buffer_chart.show_report(report)
        bytes_chart.show_report(report)

    def _charts(self) -> tuple[BufferChart, BytesChart]:
        if self.buffer_chart is None or self.bytes_chart is None:
            from ui.database.charts import BufferChart, BytesChart

            self.buffer_chart = BufferChart(self)
            self.buffer_chart.bucket_clicked.connect(self._on_bucket)
            self.bytes_chart = BytesChart(self)
            self.charts.addTab(self.buffer_chart, "Buffered over time")
            self.charts.addTab(self.bytes_chart, "Bytes per family")
        return self.buffer_chart, self.bytes_chart

    # -- selection ------------------------------------------------------------------------------
    def _on_row_selected(self, panel: TablePanel) -> None:
        rows = panel.view.selectionModel().selectedRows()
        if not rows or self.report is None:
            return
        table = panel.model.table
        row = table.slice(panel.model.table_row(rows[0].row()), 1).to_pylist()[0]
        key = (row["publisher"], row["subscriber"])
        sub = next(
            (s for s in self.report.subscribers.to_pylist()
             if (s["publisher"], s["subscriber"]) == key), None,
        )  # fmt: skip
        if sub is None or sub["oldest"] is None:
            return
        self.selected = {"database": self.report.database, "publisher": key[0],
                         "subscriber": key[1], "oldest": sub["oldest"], "newest": sub["newest"]}  # fmt: skip
        if self.buffer_chart is not None:
            self.buffer_chart.select(key)
        self.subscriber_selected.emit(self.selected)

    def _on_bucket(self, lo: float, hi: float) -> None:
        if self.report is None:
            return
        chosen = self.selected or {}
        self.bucket_selected.emit(
            {
                "database": self.report.database,
                "publisher": chosen.get("publisher"),
                "subscriber": chosen.get("subscriber"),
                "start": dt.datetime.fromtimestamp(lo, dt.UTC),
                "end": dt.datetime.fromtimestamp(hi, dt.UTC),
            }
        )
