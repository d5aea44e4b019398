"""Cells with the searched text marked: each occurrence (case-insensitive) on a yellow ground."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

MARK = QColor(255, 224, 102)  # the search match's ground
MARGIN = 3  # the style's text margin (Fusion)


def match_spans(text: str, needle: str) -> list[tuple[int, int]]:
    """(start, end) of each case-insensitive occurrence of ``needle`` in ``text``."""
    if not needle:
        return []
    hay, low = text.lower(), needle.lower()
    spans, at = [], hay.find(low)
    while at >= 0:
        spans.append((at, at + len(low)))
        at = hay.find(low, at + len(low))
    return spans


class HighlightDelegate(QStyledItemDelegate):
    """Paints a cell as usual, with ``needle``'s occurrences marked."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.needle = ""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        spans = match_spans(text, self.needle)
        if not spans:
            super().paint(painter, option, index)
            return
        widget = opt.widget
        style = widget.style() if widget is not None else None
        opt.text = ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = opt.rect.adjusted(MARGIN, 0, -MARGIN, 0)
        metrics = opt.fontMetrics
        shown = metrics.elidedText(text, opt.textElideMode, rect.width())
        right = bool(opt.displayAlignment & Qt.AlignmentFlag.AlignRight)
        left = rect.right() - metrics.horizontalAdvance(shown) if right else rect.left()
        painter.save()
        for start, end in spans:
            if start >= len(shown):
                break
            x = left + metrics.horizontalAdvance(shown[:start])
            width = metrics.horizontalAdvance(shown[start : min(end, len(shown))])
            painter.fillRect(QRect(x, rect.top() + 2, width, rect.height() - 4), MARK)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(opt.palette.color(role) if not selected else QColor("#000000"))
        painter.setFont(opt.font)
        painter.drawText(rect, int(opt.displayAlignment), shown)
        painter.restore()
