"""A table panel with a search box: rows holding the text (any string column, ignoring case)
are kept, and the text is marked in the cells. The search runs on a worker (``LatestJob``)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from PySide6.QtWidgets import QLineEdit, QWidget

from inspector.progress import Progress
from ui.latest_job import LatestJob
from ui.widgets.highlight_delegate import HighlightDelegate
from ui.widgets.table_panel import TablePanel


def matching_rows(table: pa.Table, columns: list[str], needle: str) -> np.ndarray:
    """Rows of ``table`` where any of ``columns`` (as text) holds ``needle``, ignoring case."""
    hit = None
    for name in columns:
        text = table.column(name)
        if pa.types.is_dictionary(text.type):
            text = text.cast(pa.string())
        found = pc.fill_null(pc.match_substring(text, needle, ignore_case=True), False)
        hit = found if hit is None else pc.or_(hit, found)
    if hit is None:
        return np.zeros(0, np.int64)
    return np.flatnonzero(hit.to_numpy(zero_copy_only=False)).astype(np.int64)


class SearchableTablePanel(TablePanel):
    """``TablePanel`` plus a search box over its text columns."""

    def __init__(self, empty_text: str, what: str, parent: QWidget | None = None) -> None:
        super().__init__(empty_text, parent)
        self.what = what  # "status lines": the caption says "N of M status lines match"
        self.search = QLineEdit(self)
        self.search.setPlaceholderText(f"Search the {what}…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search)
        self.panel_layout.insertWidget(0, self.search)
        self.highlight = HighlightDelegate(self.view)
        self.view.setItemDelegate(self.highlight)
        self.job = LatestJob(self)
        self.job.done.connect(self._show_matches)
        self._caption = ""

    def show_table(
        self, table: pa.Table, columns: list[str] | None = None, caption: str = ""
    ) -> None:
        super().show_table(table, columns, caption)
        self._caption = self.caption.text()
        if self.search.text().strip():
            self._search(self.search.text())

    def _search(self, text: str) -> None:
        needle = text.strip()
        table = self.model.table
        if not needle:
            self.job.cancel()
            self.highlight.needle = ""
            self.model.set_index(np.arange(table.num_rows, dtype=np.int64))
            self.caption.setText(self._caption)
            return
        names = [
            c for c in self.model.columns
            if c in table.column_names
            and (pa.types.is_string(t := table.schema.field(c).type) or pa.types.is_dictionary(t))
        ]  # fmt: skip

        def work(_progress: Progress) -> tuple:
            return table, needle, matching_rows(table, names, needle)

        self.job.start(work)

    def _show_matches(self, result: tuple) -> None:
        table, needle, rows = result
        if table is not self.model.table:
            return
        self.highlight.needle = needle
        self.model.set_index(rows)
        self.caption.setText(f"{len(rows):,} of {table.num_rows:,} {self.what} hold “{needle}”")
