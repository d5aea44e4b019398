"""Double-clicking a Problems row: the rejected line in its file, with the lines around it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from inspector.progress import Progress
from inspector.views.record_detail import lines_around
from ui.latest_job import LatestJob

CONTEXT_LINES = 5


class ProblemContextDialog(QDialog):
    """The file's lines around a rejected one (read on a worker), that line marked."""

    def __init__(self, path: str, line: int, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Line {line:,} of {path}")
        self.resize(900, 420)
        self.title = QLabel(f"<b>{path}</b>, line {line:,}: {reason}", self)
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        mono = QFont("DejaVu Sans Mono")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.text.setFont(mono)
        self.text.setPlainText("reading…")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.job = LatestJob(self)
        self.job.done.connect(self._show)
        self.job.failed.connect(
            lambda message: self.text.setPlainText(f"(could not read: {message})")
        )

        def work(_progress: Progress) -> list[tuple[int, str, bool]]:
            return lines_around(path, line, CONTEXT_LINES, CONTEXT_LINES)

        self.job.start(work)

    def _show(self, lines: list[tuple[int, str, bool]]) -> None:
        width = len(str(max((n for n, _, _ in lines), default=1)))
        # NUL bytes (a crash's padding) shown as ␀, not as nothing.
        shown = (text.replace("\x00", "␀") for _, text, _ in lines)
        self.text.setPlainText(
            "\n".join(f"{n:>{width}}  {text}" for (n, _, _), text in zip(lines, shown, strict=True))
        )
        marks = []
        for i, (_, _, is_line) in enumerate(lines):
            if is_line:
                mark = QTextEdit.ExtraSelection()
                mark.format.setBackground(QColor(255, 224, 102))
                mark.cursor = QTextCursor(self.text.document().findBlockByNumber(i))
                self.text.setTextCursor(mark.cursor)
                mark.cursor.movePosition(
                    QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor
                )
                marks.append(mark)
        self.text.setExtraSelections(marks)

    def marked_text(self) -> str:
        """The marked (rejected) line as shown."""
        marks = self.text.extraSelections()
        return marks[0].cursor.selectedText() if marks else ""

    def done(self, result: int) -> None:
        self.job.cancel()
        super().done(result)


def open_problem(parent: QWidget, row: dict) -> ProblemContextDialog | None:
    """Show a Problems row's line in context (rows of whole files have no line: None)."""
    if row.get("line") is None or not row.get("source"):
        return None
    dialog = ProblemContextDialog(
        str(row["source"]), int(row["line"]), str(row.get("reason") or ""), parent
    )
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
