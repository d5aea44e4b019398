"""The records tab: a filter bar, the records table and the selected record's detail.

Filtering and sorting run on a worker thread (``LatestJob``): a newer request cancels the one
running and the results of an older one are never shown, so typing never waits on 10 M rows.
The table model holds only an index array of table rows; the panel swaps that array.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from PySide6.QtCore import QCoreApplication, QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QProgressBar,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from inspector.progress import Progress
from inspector.views import record_detail as detail
from inspector.views.record_filter import (
    FilterError,
    RecordFilter,
    distinct_values,
    filter_rows,
    queries_by_subscriber,
    query_keys,
)
from inspector.views.record_sort import sort_rows, time_order
from ui.latest_job import LatestJob
from ui.models.arrow_table_model import VIRTUAL_PREFIX, ArrowTableModel
from ui.run_loading import RecordOrder
from ui.widgets.filter_bar import COMBOS, FilterBar
from ui.widgets.highlight_delegate import HighlightDelegate
from ui.widgets.record_detail_pane import RecordDetailPane
from ui.widgets.table_panel import sample_width

DEFAULT_COLUMNS = ["log_time", "event_time", "host", "query", "subscriber", "publisher", "action",
                   "counter", "eid", "line", "source", "columns"]  # fmt: skip
WIDE = {"columns": 420, "query": 240, "source": 190}
MAX_COPY_ROWS = 10_000  # Ctrl+C copies at most this many selected rows as JSON lines


@dataclass
class _Shown:
    """A finished filter/sort: what the table shows."""

    records: pa.Table
    flt: RecordFilter
    base: np.ndarray  # the filtered rows in table order (kept so a new sort needs no filter)
    rows: np.ndarray  # in view order
    columns: list[str]
    sort: tuple[str, bool] | None


def _columns_for(records: pa.Table, flt: RecordFilter) -> list[str]:
    """One query selected: its JSON keys become columns; else the record columns."""
    if flt.queries is None or len(flt.queries) != 1:
        return DEFAULT_COLUMNS
    (query,) = flt.queries
    if query is None:
        return DEFAULT_COLUMNS
    keys = [VIRTUAL_PREFIX + k for k in query_keys(records, query)]
    if not keys:
        return DEFAULT_COLUMNS
    return ["log_time", "event_time", "host", "action", *keys, "line", "source", "columns"]


class _AllRows:
    """Every row of the table, numbered on the worker."""


ALL_ROWS = _AllRows()


class RecordsPanel(QWidget):
    """Filter bar, records table (sorted by a header click) and the selected record's detail."""

    filter_changed = Signal(int, int)  # rows shown, rows in the run
    export_requested = Signal()  # the context menu's "Export to Parquet…"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records = pa.table({})
        self._shown: _Shown | None = None
        self._sort: tuple[str, bool] | None = None
        self.zone: dt.tzinfo = dt.UTC  # the detail pane's times
        self._pending_row: int | None = None  # table row to select once the next result is in
        self._select_first = False
        self.bar = FilterBar(self)
        self.bar.changed.connect(self.refresh)
        self.model = ArrowTableModel(parent=self)
        self.model.formatters["source"] = os.path.basename
        self.model.sort_requested.connect(self._sort_by)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.highlight = HighlightDelegate(self.view)  # the searched text marked in the cells
        self.view.setItemDelegate(self.highlight)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(100)  # fitting a column reads 100 rows, not 1000
        # A click flips the header's indicator; the model only asks, the worker sorts.
        header.sortIndicatorChanged.connect(self.model.sort)
        self.view.selectionModel().currentRowChanged.connect(self._on_current)
        copy = QShortcut(QKeySequence.StandardKey.Copy, self.view)
        copy.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        copy.activated.connect(self.copy_selection)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)

        self.detail = RecordDetailPane(self)
        self.detail.row_requested.connect(self.select_table_row)
        self.caption = QLabel("No records", self)
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)  # indeterminate: the work has no measurable steps
        self.busy.setMaximumSize(90, 12)
        self.busy.setTextVisible(False)
        self.busy_label = QLabel("filtering…", self)
        self.busy_label.setStyleSheet("color: #555;")
        self._set_busy(False)
        self.jobs = LatestJob(self, plain_errors=(FilterError,))
        self.jobs.done.connect(self._install)
        self.jobs.failed.connect(self._on_failed)
        self.jobs.busy_changed.connect(self._set_busy)
        self.detail_jobs = LatestJob(self)
        self.detail_jobs.done.connect(self._show_context)
        self.choice_jobs = LatestJob(self)
        self.choice_jobs.done.connect(
            lambda got: self.bar.set_values(got[1], got[2]) if got[0] is self.records else None
        )

        status = QHBoxLayout()
        status.addWidget(self.caption)
        status.addStretch(1)
        status.addWidget(self.busy_label)
        status.addWidget(self.busy)
        left = QWidget(self)
        box = QVBoxLayout(left)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(status)
        box.addWidget(self.view)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([950, 600])  # the table's columns need the room more
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.bar)
        layout.addWidget(self.splitter, 1)
        app = QCoreApplication.instance()
        if app is not None:  # a job still running at exit must end before the app does
            app.aboutToQuit.connect(self.shutdown)

    # -- public API -----------------------------------------------------------------------------
    def show_records(self, records: pa.Table, order: RecordOrder | None = None) -> None:
        """Show a newly loaded run's records, unfiltered, in time order (``order``: worked out
        already, with the run)."""
        self.jobs.cancel()
        self.detail_jobs.cancel()
        self.records = records
        self._sort = None
        self._pending_row, self._select_first = None, False
        self.bar.show_error(None)
        self.bar.set_values({})
        self.bar.reset(emit=False)  # no filter: the rows are all rows, no worker needed
        # The values with their counts take a while at 10 M rows: they arrive from the worker.
        self.choice_jobs.start(
            lambda _progress: (
                records,
                {name: distinct_values(records, name) for name, _ in COMBOS},
                queries_by_subscriber(records),
            )
        )
        self._shown = None  # new table: the model is set up afresh (and the sort arrow removed)
        if order is not None and len(order.rows) == records.num_rows:
            flt = RecordFilter()
            columns = _columns_for(records, flt)
            self._install(_Shown(records, flt, order.rows, order.ordered, columns, None))
            return
        # The rows in time order come from the worker (an argsort of 10 M times takes a while;
        # even numbering 10 M rows held the GUI thread 90 ms).
        self._start(RecordFilter(), None, base=ALL_ROWS)

    def set_time_range(self, lo: dt.datetime | None, hi: dt.datetime | None) -> None:
        """Only records whose event time (log time without one) is in [lo, hi); None clears."""
        self.bar.set_range(lo, hi, self.bar.stream)

    def focus_finding(
        self,
        host: str | None,
        subscriber: str | None,
        source: str | None,
        start: dt.datetime,
        end: dt.datetime,
        run: str | None = None,
    ) -> None:
        """Show a finding's rows (host, subscriber, stream, [start, end), and the run of a host
        given in several) and select the first."""
        with self.bar.quiet():
            self.bar.reset(emit=False)
            self.bar.set_choice("host", host)
            self.bar.set_choice("subscriber", subscriber)
            if run is not None:
                self.bar.set_choice("run", run)
        self._select_first = True
        self.bar.set_range(start, end, source)

    def set_filter(self, flt: RecordFilter) -> list[str]:
        """Show ``flt`` in the filter bar and filter by it. Returns the parts the bar cannot
        show and so leaves out (a value set of several values, explicit rows)."""
        self.bar.show_error(None)
        return self.bar.set_filter(flt)

    def is_busy(self) -> bool:
        """Whether a filter or sort is still under way (the table shows an older answer)."""
        return self.jobs.is_busy()

    def set_zone(self, zone: dt.tzinfo) -> None:
        """Times in ``zone`` (the table's and the detail pane's)."""
        self.zone = zone
        current = self.view.selectionModel().currentIndex()
        if current.isValid():
            self._on_current(current)

    @property
    def shown_filter(self) -> RecordFilter:
        """The filter of the rows the table shows now (the bar may be ahead of it)."""
        return self._shown.flt if self._shown is not None else RecordFilter()

    @property
    def shown_sort(self) -> tuple[str, bool] | None:
        """(column, descending) of the rows the table shows now, None in table order."""
        return self._shown.sort if self._shown is not None else None

    def focus_filter(self) -> None:
        """Put the cursor in the free-text box."""
        self.bar.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.bar.text.selectAll()

    def clear_filters(self) -> None:
        """Show every record (the sort order stays)."""
        self.bar.reset()

    @property
    def current_filter(self) -> RecordFilter:
        """The filter the bar shows (the table shows it once the worker is done)."""
        return self.bar.filter()

    def shutdown(self, ms: int = 30_000) -> None:
        """Cancel running work and wait for it (the window calls this when closing)."""
        for jobs in (self.jobs, self.detail_jobs, self.choice_jobs):
            jobs.cancel()
            jobs.wait(ms)

    # -- filtering and sorting (on the worker) --------------------------------------------------
    def refresh(self) -> None:
        """Filter (and sort) again with what the bar shows; the newest request wins."""
        self._start(self.bar.filter(), self._sort)

    def _sort_by(self, column: str, descending: bool) -> None:
        self._sort = (column, descending)
        self._start(self.bar.filter(), self._sort)

    def _start(
        self,
        flt: RecordFilter,
        sort: tuple[str, bool] | None,
        base: np.ndarray | _AllRows | None = None,
    ) -> None:
        records, shown = self.records, self._shown
        # The same filter with another order needs no filtering: only the sort runs again.
        if base is None and shown is not None and shown.flt == flt:
            base = shown.base
        same_columns = shown.columns if base is not None and shown is not None else None

        def work(progress: Progress) -> _Shown:
            if isinstance(base, _AllRows):
                rows = np.arange(records.num_rows, dtype=np.int64)
            else:
                rows = filter_rows(records, flt, progress) if base is None else base
            columns = same_columns or _columns_for(records, flt)
            column = sort[0] if sort is not None and sort[0] in columns else None
            # No column chosen: time order (the event's time, else the log time).
            ordered = (
                time_order(records, rows)
                if column is None or sort is None
                else sort_rows(records, rows, column, sort[1])
            )
            return _Shown(records, flt, rows, ordered, columns, sort)

        self.busy_label.setText("filtering…" if base is None else "sorting…")
        self.jobs.start(work)

    def _install(self, shown: _Shown) -> None:
        if shown.records is not self.records:
            return  # the run was replaced while this was computed
        self.bar.show_error(None)
        keep = self._pending_row if self._pending_row is not None else self._current_table_row()
        if (
            self._shown is None
            or shown.columns != self._shown.columns
            or self.model.table is not shown.records
        ):
            self.model.set_table(shown.records, shown.columns, shown.rows)
            self._fit_columns()
            self._place_sort_indicator(shown)
        else:
            self.model.set_index(shown.rows)
        self._shown = shown
        self.highlight.needle = shown.flt.text.strip()
        self.view.viewport().update()
        total = shown.records.num_rows
        self.caption.setText(f"{len(shown.rows):,} of {total:,} records" if total else "No records")
        if self._select_first and len(shown.rows):
            self._select_view_row(0)
        elif keep is not None and (at := self.model.view_row_of(keep)) is not None:
            self._select_view_row(at)
        else:
            self.detail.clear()
        self._pending_row, self._select_first = None, False
        self.filter_changed.emit(len(shown.rows), total)

    def _place_sort_indicator(self, shown: _Shown) -> None:
        """New columns: the arrow goes where the sorted column now is (or away)."""
        header = self.view.horizontalHeader()
        name, descending = shown.sort if shown.sort is not None else ("", False)
        section = shown.columns.index(name) if name in shown.columns else -1
        order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
        header.blockSignals(True)  # only moves the arrow: the rows are already in this order
        header.setSortIndicator(section, order)
        header.blockSignals(False)

    def _on_failed(self, message: str) -> None:
        """A refused filter: its error under the bar, and no rows — the previous filter's rows
        under a new filter's error would read as its answer."""
        self.bar.show_error(message)
        self.model.set_index(np.zeros(0, dtype=np.int64))
        self._shown = None
        self.detail.clear()
        total = self.records.num_rows
        self.caption.setText(f"No rows shown: the filter has an error (0 of {total:,} records)")
        self.filter_changed.emit(0, total)

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        self.busy_label.setVisible(busy)

    # -- selection and detail -------------------------------------------------------------------
    def select_table_row(self, row: int) -> None:
        """Select table row ``row``; when the filter hides it, clear the filter first."""
        at = self.model.view_row_of(row)
        if at is not None:
            self._select_view_row(at)
            return
        self._pending_row = row
        self.clear_filters()

    def _select_view_row(self, at: int) -> None:
        index = self.model.index(at, 0)
        flags = QItemSelectionModel.SelectionFlag
        self.view.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)

    def _current_table_row(self) -> int | None:
        current = self.view.selectionModel().currentIndex()
        return self.model.table_row(current.row()) if current.isValid() else None

    def _on_current(self, current, _previous=None) -> None:
        if not current.isValid():
            self.detail.clear()
            return
        records, row = self.model.table, self.model.table_row(current.row())
        # One row: cheap enough here. The raw lines and the copies go to the worker.
        title = f"Record {current.row() + 1:,} of {self.model.rowCount():,}"
        self.detail.show_record(
            title, detail.provenance(records, row), detail.record_fields(records, row, self.zone),
            detail.record_json(records, row),
        )  # fmt: skip

        def work(progress: Progress) -> tuple:
            context = detail.raw_context(records, row)
            progress.check()
            copies = detail.duplicate_siblings(records, row)
            labels = [(int(r), _short_provenance(records, int(r))) for r in copies]
            database = detail.is_database_row(records.slice(row, 1).to_pylist()[0])
            return records, row, context, database, labels

        self.detail_jobs.start(work)

    def _show_context(self, result: tuple) -> None:
        records, row, context, database, labels = result
        if records is self.model.table and row == self._current_table_row():
            self.detail.show_context(context, database)
            self.detail.show_siblings(labels)

    def context_menu(self) -> QMenu:
        """The table's context menu: copy the selected rows, export the rows shown."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        copy = menu.addAction("Copy Selected Rows as JSON Lines", lambda: self.copy_selection())
        copy.setEnabled(self.view.selectionModel().hasSelection())
        export = menu.addAction("Export to Parquet…", lambda: self.export_requested.emit())
        export.setEnabled(self.model.rowCount() > 0)
        return menu

    def _context_menu(self, pos) -> None:
        self.context_menu().popup(self.view.viewport().mapToGlobal(pos))

    def copy_selection(self) -> None:
        """Copy the selected rows (at most ``MAX_COPY_ROWS``) as JSON lines."""
        ranges = self.view.selectionModel().selection().toList()
        view_rows = [np.arange(r.top(), r.bottom() + 1) for r in ranges]  # ranges, not rows
        if not view_rows:
            return
        picked = np.unique(np.concatenate(view_rows))[:MAX_COPY_ROWS]
        rows = self.model.index_array[picked]
        lines = detail.records_json_lines(self.model.table, rows)
        QGuiApplication.clipboard().setText("\n".join(lines) + "\n")

    def _fit_columns(self) -> None:
        metrics = self.view.fontMetrics()
        for i, name in enumerate(self.model.columns):
            if name in WIDE:
                self.view.setColumnWidth(i, WIDE[name])
                continue
            self.view.setColumnWidth(i, sample_width(self.view, i))  # the first rows' text
            header = self.model.headerData(i, Qt.Orientation.Horizontal) or name
            floor = metrics.horizontalAdvance(header) + 28  # room for the sort arrow
            if name in ("log_time", "event_time"):
                floor = max(floor, metrics.horizontalAdvance("0000-00-00 00:00:00") + 14)
            width = max(self.view.columnWidth(i), floor)
            self.view.setColumnWidth(i, min(width, 260))


def _short_provenance(records: pa.Table, row: int) -> str:
    """Provenance with the file's name instead of its whole path (for the list of copies)."""
    text = detail.provenance(records, row)
    source = str(records.column("source")[row])
    if text.startswith("osquery.db key "):
        return text.split(" (", 1)[0]
    return text.replace(source, os.path.basename(source), 1)
