"""A read-only Qt table model over an Arrow table that never copies it.

The model holds the table and an index array (which rows, in which order); ``data()`` formats
values from a small cache of row pages converted on demand, so a 10-million-row table costs
only the pages on screen. No per-cell Qt objects, no proxy model.

Besides the table's own columns it can show "virtual" columns named ``columns.<key>``: a key of
the ``columns`` JSON text, parsed per page (at most ``PAGE_ROWS`` ``json.loads`` per page).
Sorting is the owner's job (it may take seconds at 10 M rows): ``sort()`` only emits
``sort_requested`` and the owner installs the sorted rows with ``set_index``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal

from inspector.arrow_columns import take_rows

PAGE_ROWS = 64  # a screenful or two: a cold page costs ~1 ms
MAX_PAGES = 64
MAX_ROWS = 70_000_000  # below Qt's ~71.5 M row limit of item views
VIRTUAL_PREFIX = "columns."  # a column named columns.<key> shows that key of the columns JSON


DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole
ALIGNMENT = Qt.ItemDataRole.TextAlignmentRole
BACKGROUND = Qt.ItemDataRole.BackgroundRole
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def format_value(value: object, zone: dt.tzinfo = dt.UTC) -> str:
    """How a cell shows a value: times in ``zone`` (UTC by default), nulls empty."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        # An instant (zone-aware) in the display zone; a wall-clock time (naive: the agent's
        # clock as written) as it is.
        if value.tzinfo is not None:
            value = value.astimezone(zone)
        text = value.strftime("%Y-%m-%d %H:%M:%S")
        return f"{text}.{value.microsecond // 1000:03d}" if value.microsecond else text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return text if len(text) <= 500 else text[:500] + "…"


def _json_cell(value: object) -> object:
    """A JSON value as a cell shows it: strings as they are, other values as JSON text."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


class ArrowTableModel(QAbstractTableModel):
    """Rows ``index[i]`` of ``table``, showing ``columns`` (all by default)."""

    sort_requested = Signal(str, bool)  # column name, descending

    def __init__(
        self, table: pa.Table | None = None, columns: list[str] | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        # Per-column display functions (e.g. a file name for a path); the tooltip keeps the value.
        # column → how its (non-null) values read: each column has its own value type
        self.formatters: dict[str, Callable[[Any], str]] = {}
        # Per-column cell backgrounds (e.g. a compare table's change word); value → colour or None.
        self.backgrounds: dict[str, Callable[[object], object]] = {}
        self._table = pa.table({})
        self.zone: dt.tzinfo = dt.UTC  # the zone times are shown in (headers name it)
        self.zone_label = "UTC"
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
        self._columns = [c for c in (columns or table.column_names) if self._known(table, c)]
        rows = (
            np.arange(table.num_rows, dtype=np.int64)
            if index is None
            else np.asarray(index, np.int64)
        )
        self._index = rows[:MAX_ROWS]
        self._numeric = [
            c in table.column_names
            and (
                pa.types.is_integer(table.schema.field(c).type)
                or pa.types.is_floating(table.schema.field(c).type)
            )
            for c in self._columns
        ]
        self._pages.clear()
        self.endResetModel()

    def set_zone(self, zone: dt.tzinfo, label: str) -> None:
        """Show times in ``zone``; time column headers say ``label``."""
        self.zone, self.zone_label = zone, label
        if self._columns:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._columns) - 1)
            self.dataChanged.emit(
                self.index(0, 0), self.index(max(0, len(self._index) - 1), len(self._columns) - 1)
            )

    def is_time(self, section: int) -> bool:
        """Whether the column at ``section`` holds instants (zone-aware timestamps), shown in
        the display zone; a naive timestamp is a wall clock as written and stays as it is."""
        name = self._columns[section]
        if name not in self._table.column_names:
            return False
        typ = self._table.schema.field(name).type
        return pa.types.is_timestamp(typ) and typ.tz is not None

    @staticmethod
    def _known(table: pa.Table, name: str) -> bool:
        virtual = name.startswith(VIRTUAL_PREFIX) and "columns" in table.column_names
        return name in table.column_names or virtual

    def set_index(self, index: np.ndarray) -> None:
        """Show rows ``index`` (e.g. newly filtered or sorted) of the same table and columns."""
        self.beginResetModel()
        self._index = np.asarray(index, np.int64)[:MAX_ROWS]
        self._pages.clear()
        self.endResetModel()

    @property
    def index_array(self) -> np.ndarray:
        """The table rows shown, in view order (do not modify)."""
        return self._index

    @property
    def columns(self) -> list[str]:
        """The column names shown (``columns.<key>`` for virtual ones)."""
        return list(self._columns)

    def column_name(self, section: int) -> str:
        """The name of the column at ``section``."""
        return self._columns[section]

    def view_row_of(self, table_row: int) -> int | None:
        """Where table row ``table_row`` is shown, or None (a vectorised search of the index)."""
        found = np.flatnonzero(self._index == table_row)
        return int(found[0]) if len(found) else None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Ask the owner to sort (it installs the result with ``set_index``)."""
        if 0 <= column < len(self._columns):
            descending = order == Qt.SortOrder.DescendingOrder
            self.sort_requested.emit(self._columns[column], descending)

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
            if section >= len(self._columns):
                return None
            name = self._columns[section]
            virtual = name.startswith(VIRTUAL_PREFIX) and name not in self._table.column_names
            if virtual:
                return name.removeprefix(VIRTUAL_PREFIX)
            return f"{name} ({self.zone_label})" if self.is_time(section) else name
        return str(section + 1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = DISPLAY):
        # The hottest function of the app (every visible cell, every repaint): Qt's enums are
        # looked up once at import, not per call.
        if role == DISPLAY:
            if not index.isValid():
                return None
            column = index.column()
            value = self._row(index.row())[column]
            formatter = self.formatters.get(self._columns[column])
            if formatter is not None and value is not None:
                return formatter(value)
            return format_value(value, self.zone)
        if not index.isValid():
            return None
        if role == ALIGNMENT:
            return RIGHT if self._numeric[index.column()] else LEFT
        if role == BACKGROUND:
            colour = self.backgrounds.get(self._columns[index.column()])
            return colour(self._row(index.row())[index.column()]) if colour is not None else None
        if role != TOOLTIP:
            return None
        text = format_value(self._row(index.row())[index.column()], self.zone)
        return text if len(text) > 40 or self._columns[index.column()] in self.formatters else None

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
        real = [c for c in self._columns if c in self._table.column_names]
        keys = {c: c.removeprefix(VIRTUAL_PREFIX) for c in self._columns if c not in real}
        wanted = real + (["columns"] if keys and "columns" not in real else [])
        selected = self._table.select(wanted)
        if rows[-1] - rows[0] == len(rows) - 1 and bool(np.all(np.diff(rows) == 1)):
            part = selected.slice(int(rows[0]), len(rows))  # in file order: a zero-copy slice
        else:
            part = take_rows(selected, rows)  # chunk by chunk: no 2 GB concatenation
        values = {name: _pylist(part.column(name)) for name in wanted}
        if keys:  # one json.loads per row of this page, only while a virtual column is shown
            parsed = [_parsed(text) for text in values["columns"]]
            for name, key in keys.items():
                values[name] = [_json_cell(obj.get(key)) for obj in parsed]
        columns = [values[name] for name in self._columns]
        return list(zip(*columns, strict=True)) if columns else [() for _ in rows]


def _pylist(column: pa.ChunkedArray) -> list:
    """A column's values as Python objects; dictionary columns decoded through their (small)
    dictionary with numpy — pyarrow's own to_pylist is ten times slower for them."""
    if not pa.types.is_dictionary(column.type):
        return column.to_pylist()
    out: list = []
    for chunk in column.iterchunks():
        values = np.array([*chunk.dictionary.to_pylist(), None], dtype=object)
        indices = chunk.indices.fill_null(-1).to_numpy(zero_copy_only=False)  # -1: the None
        out.extend(values[indices].tolist())
    return out


def _parsed(text: str | None) -> dict:
    try:
        obj = json.loads(text) if text else {}
    except ValueError:
        return {}
    return obj if isinstance(obj, dict) else {}
