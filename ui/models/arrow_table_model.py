"""A read-only Qt table model over an Arrow table that never copies it.

The model holds the table and an index array (which rows, in which order); ``data()`` formats
values from a small cache of row pages converted on demand, so a 10-million-row table costs
only the pages on screen. No per-cell Qt objects, no proxy model.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import pyarrow as pa
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

PAGE_ROWS = 256
MAX_PAGES = 16
MAX_ROWS = 70_000_000  # below Qt's ~71.5 M row limit of item views


def format_value(value: object) -> str:
    """How a cell shows a value: times in UTC ISO form, nulls empty."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{value.microsecond // 1000:03d}" if value.microsecond else text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text if len(text) <= 500 else text[:500] + "…"


class ArrowTableModel(QAbstractTableModel):
    """Rows ``index[i]`` of ``table``, showing ``columns`` (all by default)."""

    def __init__(
        self, table: pa.Table | None = None, columns: list[str] | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        # Per-column display functions (e.g. a file name for a path); the tooltip keeps the value.
        self.formatters: dict[str, Callable[[object], str]] = {}
        self._table = pa.table({})
        self._columns: list[str] = []
        self._numeric: list[bool] = []
        self._index = np.arange(0, dtype=np.int64)
        self._pages: OrderedDict[int, list[tuple]] = OrderedDict()
        if table is not None:
            self.set_table(table, columns)

    # -- content ------------------------------------------------------------------------------
    def set_table(
        self, table: pa.Table, columns: list[str] | None = None, index: np.ndarray | None = None
    ) -> None:
        """Show ``table`` (optionally only ``columns``, and only/ordered by ``index``)."""
        self.beginResetModel()
        self._table = table
        self._columns = [c for c in (columns or table.column_names) if c in table.column_names]
        rows = (
            np.arange(table.num_rows, dtype=np.int64)
            if index is None
            else np.asarray(index, np.int64)
        )
        self._index = rows[:MAX_ROWS]
        self._numeric = [
            pa.types.is_integer(table.schema.field(c).type)
            or pa.types.is_floating(table.schema.field(c).type)
            for c in self._columns
        ]
        self._pages.clear()
        self.endResetModel()

    @property
    def table(self) -> pa.Table:
        return self._table

    def table_row(self, row: int) -> int:
        """The table row shown at view row ``row``."""
        return int(self._index[row])

    # -- Qt interface -----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._index)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section] if section < len(self._columns) else None
        return str(section + 1)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = self._numeric[index.column()]
            horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
            return horizontal | Qt.AlignmentFlag.AlignVCenter
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        value = self._row(index.row())[index.column()]
        text = format_value(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                text if len(text) > 40 or self._columns[index.column()] in self.formatters else None
            )
        formatter = self.formatters.get(self._columns[index.column()])
        return formatter(value) if formatter is not None and value is not None else text

    # -- page cache --------------------------------------------------------------------------
    def _row(self, row: int) -> tuple:
        page_no, offset = divmod(row, PAGE_ROWS)
        page = self._pages.get(page_no)
        if page is None:
            page = self._load_page(page_no)
            self._pages[page_no] = page
            if len(self._pages) > MAX_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page_no)
        return page[offset]

    def _load_page(self, page_no: int) -> list[tuple]:
        rows = self._index[page_no * PAGE_ROWS : (page_no + 1) * PAGE_ROWS]
        if not len(rows):
            return []
        selected = self._table.select(self._columns)
        if rows[-1] - rows[0] == len(rows) - 1 and bool(np.all(np.diff(rows) == 1)):
            part = selected.slice(int(rows[0]), len(rows))  # in file order: a zero-copy slice
        else:
            part = selected.take(pa.array(rows))
        columns = [part.column(i).to_pylist() for i in range(part.num_columns)]
        return list(zip(*columns, strict=True)) if columns else [() for _ in rows]
