"""The selected record in full: fields, provenance, raw lines around it, its copies.

The pane only displays what it is given; the records panel computes it (the raw lines and the
copies off the GUI thread, since a line deep in a compressed file takes a while to reach).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QTextCursor, QTextOption
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

HIGHLIGHT = QColor("#ffe9a8")  # the record's own line: a light amber readable in both themes
ROW_ROLE = Qt.ItemDataRole.UserRole


def _section(title: str, body: QWidget) -> QWidget:
    """``body`` under a small bold title."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 4, 0, 0)
    label = QLabel(f"<b>{title}</b>", box)
    layout.addWidget(label)
    layout.addWidget(body)
    return box


class RecordDetailPane(QWidget):
    """Fields (name/value), provenance, raw lines with the record's line marked, and copies."""

    row_requested = Signal(int)  # a copy was clicked: show this table row

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.json_text = ""
        self.title = QLabel("No record selected", self)
        self.title.setStyleSheet("font-weight: bold;")
        self.copy_button = QPushButton("Copy as JSON", self)
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_json)
        self.provenance = QLabel("", self)
        self.provenance.setWordWrap(True)
        self.provenance.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.fields = QTableWidget(0, 2, self)
        self.fields.setHorizontalHeaderLabels(["field", "value"])
        self.fields.verticalHeader().setVisible(False)
        self.fields.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.fields.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.fields.horizontalHeader().setStretchLastSection(True)
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setAlternatingRowColors(True)
        self.fields.setWordWrap(False)

        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.raw = QPlainTextEdit(self)
        self.raw.setReadOnly(True)
        # Wrapped: a results line is a kilobyte or two of JSON, unreadable when scrolled sideways.
        self.raw.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.raw.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self.raw.setFont(mono)
        self.raw.setPlaceholderText("The lines around the record in its file appear here.")

        self.siblings = QListWidget(self)
        self.siblings.itemClicked.connect(self._on_sibling)
        self.siblings.itemActivated.connect(self._on_sibling)

        # The fields get the height; the raw lines and the copies share a tabbed box below them
        # (three titled boxes left the fields two rows at 1280×800).
        self.lower_tabs = QTabWidget(self)
        self.lower_tabs.setDocumentMode(True)
        self.lower_tabs.addTab(self.raw, "Raw lines")
        self.lower_tabs.addTab(self.siblings, "Copies")
        self.siblings_box = self.siblings
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(_section("Fields", self.fields))
        splitter.addWidget(self.lower_tabs)
        self.fields.setMinimumHeight(4 * (self.fontMetrics().height() + 6))
        self.raw.setMinimumHeight(3 * self.fontMetrics().height())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 300])
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.provenance)
        layout.addWidget(splitter, 1)

    # -- content -------------------------------------------------------------------------------
    def clear(self, message: str = "No record selected") -> None:
        """Show nothing (no selection)."""
        self.title.setText(message)
        self.provenance.setText("")
        self.fields.setRowCount(0)
        self.raw.setPlainText("")
        self.siblings.clear()
        self.json_text = ""
        self.copy_button.setEnabled(False)

    def show_record(
        self, title: str, provenance: str, fields: list[tuple[str, str]], json_text: str
    ) -> None:
        """The record's fields and provenance (raw lines and copies follow separately)."""
        self.title.setText(title)
        self.provenance.setText(provenance)
        self.fields.setRowCount(len(fields))
        for i, (name, value) in enumerate(fields):  # one record: a few dozen cells
            shown = value if len(value) <= 300 else value[:300] + "…"
            for j, text in enumerate((name, shown)):
                item = QTableWidgetItem(text)
                item.setToolTip(value if j and len(value) > 60 else "")
                self.fields.setItem(i, j, item)
        self.fields.resizeColumnToContents(0)
        self.fields.setColumnWidth(0, min(self.fields.columnWidth(0) + 8, 260))
        self.json_text = json_text
        self.copy_button.setEnabled(bool(json_text))
        self.raw.setPlainText("reading…")
        self.siblings.clear()

    def show_context(self, lines: list[tuple[int, str, bool]], database: bool) -> None:
        """The raw lines around the record, its own line highlighted and scrolled to."""
        if database:
            self.raw.setPlainText("(read from osquery.db: a database row has no lines of text)")
            return
        width = len(str(max((n for n, _, _ in lines), default=1)))
        # The neighbours are cut to one screen line each so the record's own line, shown whole
        # and wrapped, fits in the box with its context around it.
        room = self.raw.viewport().width() // max(self.raw.fontMetrics().horizontalAdvance("0"), 1)
        room = max(room - width - 4, 40)
        shown = [
            text if is_record or len(text) <= room else text[: room - 2] + " …"
            for _, text, is_record in lines
        ]
        self.raw.setPlainText(
            "\n".join(f"{n:>{width}}  {text}" for (n, _, _), text in zip(lines, shown, strict=True))
        )
        marks = []
        for i, (_, _, is_record) in enumerate(lines):
            if not is_record:
                continue
            mark = QTextEdit.ExtraSelection()
            mark.format.setBackground(HIGHLIGHT)
            mark.cursor = QTextCursor(self.raw.document().findBlockByNumber(i))
            self.raw.setTextCursor(mark.cursor)
            self.raw.ensureCursorVisible()
            # The whole (wrapped) line, not just one screen line of it.
            mark.cursor.movePosition(
                QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
            )
            marks.append(mark)
        self.raw.setExtraSelections(marks)

    def show_siblings(self, siblings: list[tuple[int, str]]) -> None:
        """Copies of the record as (table row, where it was read); clicking one shows it."""
        self.siblings.clear()
        at = self.lower_tabs.indexOf(self.siblings)
        self.lower_tabs.setTabText(at, f"Copies ({len(siblings)})" if siblings else "Copies")
        self.lower_tabs.setTabToolTip(at, "Same content, host, subscriber and stream")
        if not siblings:
            self.siblings.addItem("(none: this content appears once here)")
            self.siblings.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
            return
        for row, label in siblings:
            item = QListWidgetItem(label)
            item.setData(ROW_ROLE, row)
            self.siblings.addItem(item)

    def raw_text(self) -> str:
        """What the raw-lines box shows (for tests and copying)."""
        return self.raw.toPlainText()

    # -- actions -------------------------------------------------------------------------------
    def copy_json(self) -> None:
        """Put the record as one line of JSON on the clipboard."""
        if self.json_text:
            QGuiApplication.clipboard().setText(self.json_text + "\n")

    def _on_sibling(self, item: QListWidgetItem) -> None:
        row = item.data(ROW_ROLE)
        if row is not None:
            self.row_requested.emit(int(row))
