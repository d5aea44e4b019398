"""A titled table view over an ``ArrowTableModel`` with a row count."""

from __future__ import annotations

import pyarrow as pa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.arrow_table_model import ArrowTableModel


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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.view)

    def show_table(
        self, table: pa.Table, columns: list[str] | None = None, caption: str = ""
    ) -> None:
        self.model.set_table(table, columns)
        self.caption.setText(
            caption or (f"{table.num_rows:,} rows" if table.num_rows else self.empty_text)
        )
        header = self.view.horizontalHeader()
        for i, name in enumerate(self.model._columns):
            width = (
                420
                if name in ("columns", "message", "reason", "evidence", "path", "how", "sql")
                else 0
            )
            if width:
                self.view.setColumnWidth(i, width)
            else:
                self.view.resizeColumnToContents(i)
                self.view.setColumnWidth(i, min(self.view.columnWidth(i), 260))
        header.setStretchLastSection(True)
