"""A titled table view over an ``ArrowTableModel`` with a row count."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.arrow_table_model import ArrowTableModel

SAMPLE_ROWS = 40


def sample_width(view: QTableView, column: int, rows: int = SAMPLE_ROWS) -> int:
    """The width the first ``rows`` cells of ``column`` (and its header) need, in pixels."""
    model = view.model()
    metrics = view.fontMetrics()
    texts = [str(model.headerData(column, Qt.Orientation.Horizontal) or "")]
    texts += [
        str(model.data(model.index(r, column)) or "") for r in range(min(rows, model.rowCount()))
    ]
    return max(metrics.horizontalAdvance(t[:80]) for t in texts) + 16


class TablePanel(QWidget):
    """Shows an Arrow table; fixed row heights keep scrolling cheap at millions of rows."""

    def __init__(self, empty_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ArrowTableModel(parent=self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        vertical = self.view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.caption = QLabel(empty_text, self)
        self.empty_text = empty_text
        self.panel_layout = QVBoxLayout(self)  # the caption above the table (subclasses add to it)
        self.panel_layout.setContentsMargins(4, 4, 4, 4)
        self.panel_layout.addWidget(self.caption)
        self.panel_layout.addWidget(self.view)
        self._sized = True  # the columns fit the table shown (see ``show_table``)
        self.stretch_last = True  # the last column takes the room left
        self._sorts_here = False

    def sort_here(self) -> None:
        """Sort by a header click, on this thread: for small tables only (a few thousand rows
        sort in milliseconds; the records table sorts in a worker instead)."""
        header = self.view.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.sortIndicatorChanged.connect(self.model.sort)
        self.model.sort_requested.connect(self._sort_by)
        self._sorts_here = True

    def _sort_by(self, column: str, descending: bool) -> None:
        table = self.model.table
        if column not in table.column_names:
            return
        order = "descending" if descending else "ascending"
        try:
            rows = pc.sort_indices(table, sort_keys=[(column, order, "at_end")])
        except pa.ArrowNotImplementedError:  # a column of lists: not sortable
            return
        self.model.set_index(rows.to_numpy())

    def show_table(
        self, table: pa.Table, columns: list[str] | None = None, caption: str = ""
    ) -> None:
        self.model.set_table(table, columns)
        if self._sorts_here:  # a new table comes in its own order
            self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.caption.setText(
            caption or (f"{table.num_rows:,} rows" if table.num_rows else self.empty_text)
        )
        # Columns are sized when the table is in view: measuring text for the tables of tabs
        # not open took ~25 ms of every run shown.
        self._sized = False
        if self.isVisible():
            self._size_columns()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._sized:
            self._size_columns()

    def _size_columns(self) -> None:
        self._sized = True
        table = self.model.table
        header = self.view.horizontalHeader()
        # Off while the widths are set: a stretched last column keeps its stretch otherwise.
        header.setStretchLastSection(False)
        metrics = self.view.fontMetrics()
        for i, name in enumerate(self.model._columns):
            wide = {"columns": 420, "message": 420, "reason": 420, "evidence": 420, "path": 360,
                    "how": 360, "sql": 360, "notes": 300, "query": 240}.get(name)  # fmt: skip
            if wide:
                self.view.setColumnWidth(i, wide)
                continue
            # The first rows' text measured here (Qt's resizeColumnToContents asked the model
            # for every cell's size hints: ~1 s over five tables); those rows may be empty (e.g.
            # database rows have no query), so each column also gets the width its type needs.
            self.view.setColumnWidth(i, sample_width(self.view, i))
            typ = table.schema.field(name).type
            if pa.types.is_timestamp(typ):
                floor = metrics.horizontalAdvance("0000-00-00 00:00:00") + 14
            elif pa.types.is_integer(typ):
                floor = metrics.horizontalAdvance(name) + 16
            else:
                floor = max(metrics.horizontalAdvance(name) + 16, 110)
            width = max(self.view.columnWidth(i), floor)
            self.view.setColumnWidth(i, min(width, 260))
        if self.stretch_last:
            header.setStretchLastSection(True)
