"""Markers and burst shading of a lane, each drawn by one light item (not an item per line).

A run with 16 status markers and 19 lanes made 304 ``InfiniteLine`` items (0.3–0.6 s of the GUI
thread to build); these items paint every marker or burst of a lane in one ``paint`` call.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QBrush, QPainter, QPen


class _ViewSpanning(pg.GraphicsObject):
    """An item as tall as its view box's visible range, as wide as its x extent."""

    def __init__(self) -> None:
        super().__init__()
        self._x: tuple[float, float] | None = None

    def _set_extent(self, xs: list[float]) -> None:
        self.prepareGeometryChange()
        self._x = (min(xs), max(xs)) if xs else None
        self.update()

    def _view_rect(self) -> QRectF:
        vb = self.getViewBox()
        return vb.viewRect() if vb is not None else QRectF()

    def boundingRect(self) -> QRectF:
        if self._x is None:
            return QRectF()
        view = self._view_rect()
        lo, hi = self._x
        pad = max(view.width() * 0.01, 1e-6)  # the pen's width, in data units
        return QRectF(lo - pad, view.top(), hi - lo + 2 * pad, view.height())

    def viewRangeChanged(self) -> None:
        self.prepareGeometryChange()
        self.update()


class MarkerLines(_ViewSpanning):
    """Vertical lines at marker times, each with its kind's pen."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[float, QPen]] = []
        self.setZValue(5)

    def set_lines(self, lines: list[tuple[float, QPen]]) -> None:
        self.lines = lines
        self._set_extent([t for t, _ in lines])

    def paint(self, painter: QPainter, *_args) -> None:
        view = self._view_rect()
        for t, pen in self.lines:
            painter.setPen(pen)
            painter.drawLine(QPointF(t, view.top()), QPointF(t, view.bottom()))


class BurstSpans(_ViewSpanning):
    """Shaded time ranges (duplicate bursts) behind a lane's curve."""

    def __init__(self, brush: QBrush) -> None:
        super().__init__()
        self.spans: list[tuple[float, float]] = []
        self.brush = brush
        self.setZValue(-5)

    def set_spans(self, spans: list[tuple[float, float]]) -> None:
        self.spans = spans
        self._set_extent([x for span in spans for x in span])

    def paint(self, painter: QPainter, *_args) -> None:
        view = self._view_rect()
        painter.setPen(pg.mkPen(None))
        painter.setBrush(self.brush)
        for lo, hi in self.spans:
            painter.drawRect(QRectF(lo, view.top(), hi - lo, view.height()))
