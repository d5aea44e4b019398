"""pyqtgraph pieces of the timeline: a lane (label, value axis, view box), the brush-aware view
box, the zoned date axis of the pinned ruler.

A lane is a view box with a left axis beside it, not a ``PlotItem`` (which builds four axes, a
title and buttons: 20 ms a lane against 6 ms)."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics

from inspector.views.timeline_frames import Lane
from ui.timeline.colours import FACTOR_COLOUR, LANE_COLOURS  # noqa: F401 - the Database tab uses them
from ui.timeline.decorations import BurstSpans, MarkerLines

BURST_BRUSH = (230, 159, 0, 70)
BRUSH_BRUSH = (0, 114, 178, 45)
HIGHLIGHT = QColor(221, 235, 255)  # the lane of the selected finding (not the bursts' amber)
LANE_BORDER = pg.mkPen("#d8d8d8", width=1)  # separates the lanes (and so their ticks)
MARKER_PENS = {
    "config_change": pg.mkPen("#0072B2", width=1.5, style=Qt.PenStyle.DashLine),
    "worker_restart": pg.mkPen("#D55E00", width=1.5),
    "worker_start": pg.mkPen("#D55E00", width=1, style=Qt.PenStyle.DotLine),
    "agent_start": pg.mkPen("#009E73", width=1.5),
    "agent_stop": pg.mkPen("#009E73", width=1.5, style=Qt.PenStyle.DashLine),
    "database_error": pg.mkPen("#CC0000", width=1.5),
}
DEFAULT_MARKER_PEN = pg.mkPen("#888888", width=1, style=Qt.PenStyle.DotLine)
AXIS_WIDTH = 48
# Stacking of the items made on first use, as when they were made with the lane: above the
# curve (0), below the markers (5).
OVERLAY_Z, CURSOR_Z, BRUSH_Z = 1, 2, 3
LABEL_FONT_PT = 9


def steps(starts: np.ndarray, values: np.ndarray, width_s: float) -> tuple[np.ndarray, np.ndarray]:
    """A bucket series as a step polyline: each value held flat across its bucket (NaN: a gap)."""
    x = np.empty(2 * len(starts))
    x[0::2] = starts
    x[1::2] = starts + width_s
    y = np.repeat(values.astype(float), 2)
    return x, y


def nice_tick(top: float) -> float:
    """A round value at most ~70 % of ``top`` (1, 2, 5 × 10^k): the lane's one labelled tick above
    zero, low enough that its label never reaches the lane above."""
    if top <= 0:
        return 1.0
    target = top * 0.7
    power = 10 ** math.floor(math.log10(target)) if target > 0 else 1
    for step in (5, 2, 1):
        if step * power <= target:
            return step * power
    return power


class BrushViewBox(pg.ViewBox):
    """Pans and zooms along time only; Shift+drag selects a time range (the brush)."""

    brushed = Signal(float, float, bool)  # lo, hi (seconds), finished

    def __init__(self) -> None:
        super().__init__(enableMenu=False)
        self.setMouseEnabled(x=True, y=False)

    def mouseDragEvent(self, ev, axis=None) -> None:
        shift = ev.modifiers() & Qt.KeyboardModifier.ShiftModifier
        if ev.button() == Qt.MouseButton.LeftButton and shift:
            ev.accept()
            a = self.mapSceneToView(ev.buttonDownScenePos()).x()
            b = self.mapSceneToView(ev.scenePos()).x()
            self.brushed.emit(min(a, b), max(a, b), ev.isFinish())
            return
        super().mouseDragEvent(ev, axis)


class LaneAxis(pg.AxisItem):
    """A lane's value axis: ticks, no title. pyqtgraph renders the title's HTML again at each
    range change, shown or not (~1 ms a lane while a run's lanes are built, and again at every
    zoom); a hidden title is left alone."""

    def _updateLabel(self) -> None:
        if self.label.isVisible():
            super()._updateLabel()
            return
        self._adjustSize()
        self.picture = None
        self.update()


class ZonedDateAxis(pg.DateAxisItem):
    """A date axis in a chosen time zone (its offset taken where the view is, so DST is right)."""

    def __init__(self, zone: str = "UTC", orientation: str = "bottom", **kwargs) -> None:
        super().__init__(orientation=orientation, **kwargs)
        self.set_zone(zone)

    def set_zone(self, zone: str) -> None:
        self.zone = ZoneInfo(zone)
        self.picture = None
        self.update()

    def tickStrings(self, values, scale, spacing):
        if len(values):
            middle = dt.datetime.fromtimestamp(float(np.median(values)), dt.UTC)
            offset = middle.astimezone(self.zone).utcoffset() or dt.timedelta(0)
            self.utcOffset = -offset.total_seconds()
        return super().tickStrings(values, scale, spacing)


def elide(text: str, width: int, bold: bool = False) -> str:
    """``text`` cut with an ellipsis to fit ``width`` pixels at the lane label's font."""
    font = QFont()
    font.setPointSizeF(LABEL_FONT_PT)
    font.setBold(bold)
    return QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideMiddle, width)


class LanePlot:
    """One lane: its label, value axis and view box holding the step curve, the compared run's
    curve, burst shading, markers, brush and cursor."""

    def __init__(
        self, lane: Lane | None = None, colour: str = "#000000", factor: bool = False,
        label_html: str = "",
    ) -> None:  # fmt: skip
        """A lane's items; without ``lane``, a spare made ahead that ``configure`` gives one."""
        self.key: tuple = ()
        self.factor = False
        self.counts = False
        self.view = BrushViewBox()
        self.view.setBorder(LANE_BORDER)
        self.axis = LaneAxis("left")
        self.axis.setWidth(AXIS_WIDTH)
        self.axis.linkToView(self.view)
        self.label = pg.LabelItem("", justify="right", size=f"{LABEL_FONT_PT}pt")
        # Steps drawn as a plain polyline (pyqtgraph's stepMode breaks with clip-to-view);
        # re-binning to about a bucket per three pixels keeps every burst visible at any zoom.
        self.curve = pg.PlotDataItem([0.0], [0.0], connect="finite", clipToView=True)
        self.view.addItem(self.curve)
        # The compared run's curve, the mouse's cursor line and the brush are made when first
        # shown (``overlay``, ``cursor``, ``brush``): a run's lanes are built while the window
        # waits for them, and most lanes never show these.
        self._overlay: pg.PlotDataItem | None = None
        self._cursor: pg.InfiniteLine | None = None
        self._brush: pg.LinearRegionItem | None = None
        self.markers = MarkerLines()
        self.view.addItem(self.markers, ignoreBounds=True)
        self.bursts = BurstSpans(pg.mkBrush(*BURST_BRUSH))
        self.view.addItem(self.bursts, ignoreBounds=True)
        self.marker_notes: list[tuple[float, str]] = []  # (t, text): the cursor line says them
        self.burst_notes: list[tuple[float, float, str]] = []
        self.starts = np.zeros(0)
        self.values = np.zeros(0)
        self.width_s = 60.0
        if lane is not None:
            self.configure(lane, colour, factor, label_html)

    def configure(self, lane: Lane, colour: str, factor: bool, label_html: str = "") -> None:
        """Make this (new) lane ``lane``'s: its key, colours, label and values."""
        self.key = lane.key
        self.factor = factor
        # Factor lanes have gaps (NaN) and no fill; rate lanes have gaps where no data was.
        # Subscription lanes: a count in force, drawn as a line (no fill), like factors.
        self.counts = len(lane.key) > 4 and lane.key[4] == "subscriptions"
        self.curve.setPen(
            pg.mkPen(FACTOR_COLOUR if factor else colour, width=2.0 if self.counts else 1.2)
        )
        if not factor and not self.counts:
            self.curve.setFillBrush(pg.mkBrush(colour + "55"))
            self.curve.setFillLevel(0.0)
        self.label.setText(label_html)
        self.set_lane(lane, 60.0)

    @property
    def overlay(self) -> pg.PlotDataItem:
        """The run compared with (after), aligned onto this run's time: dashed, no fill."""
        if self._overlay is None:
            self._overlay = pg.PlotDataItem(
                [0.0], [np.nan], connect="finite",
                pen=pg.mkPen("#222222", width=1.2, style=Qt.PenStyle.DashLine),
            )  # fmt: skip
            self._overlay.setVisible(False)
            self._overlay.setZValue(OVERLAY_Z)
            self.view.addItem(self._overlay)
        return self._overlay

    @property
    def cursor(self) -> pg.InfiniteLine:
        """The mouse's time cursor line."""
        if self._cursor is None:
            self._cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#555555", width=1))
            self._cursor.setVisible(False)
            self._cursor.setZValue(CURSOR_Z)
            self.view.addItem(self._cursor, ignoreBounds=True)
        return self._cursor

    @property
    def brush(self) -> pg.LinearRegionItem:
        """The brushed time range."""
        if self._brush is None:
            self._brush = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*BRUSH_BRUSH))
            self._brush.setVisible(False)
            self._brush.setZValue(BRUSH_Z)
            self.view.addItem(self._brush, ignoreBounds=True)
        return self._brush

    @staticmethod
    def _shown(item: pg.GraphicsObject | None) -> bool:
        return item is not None and item.isVisible()

    def cursor_shown(self) -> bool:
        return self._shown(self._cursor)

    def overlay_shown(self) -> bool:
        return self._shown(self._overlay)

    def hide_cursor(self) -> None:
        if self._cursor is not None:
            self._cursor.setVisible(False)

    def show_brush(self, lo: float, hi: float) -> None:
        self.brush.setRegion((lo, hi))
        self.brush.setVisible(True)

    def hide_brush(self) -> None:
        if self._brush is not None:
            self._brush.setVisible(False)

    def shown_curves(self) -> list[pg.GraphicsObject]:
        """The brush and the curves as drawn, bottom to top (what an export draws)."""
        return [item for item in (self._brush, self.curve, self._overlay) if self._shown(item)]

    def items(self) -> tuple:
        """The lane's three grid items: label, value axis, view box."""
        return (self.label, self.axis, self.view)

    def set_highlighted(self, on: bool) -> None:
        """Tint the lane (the selected finding's lane)."""
        self.view.setBackgroundColor(HIGHLIGHT if on else None)

    def set_lane(self, lane: Lane, width_s: float) -> None:
        """New bucket values (after a re-bin)."""
        self.starts, self.values, self.width_s = lane.starts, lane.values, width_s
        if len(lane.starts):
            self.curve.setData(*steps(lane.starts, lane.values, width_s))
        else:
            self.curve.setData([0.0], [np.nan])
        finite = lane.values[np.isfinite(lane.values)] if len(lane.values) else lane.values
        top = float(finite.max()) if len(finite) else 1.0
        self._set_y(top)

    def _set_y(self, top: float) -> None:
        if self.factor:
            high = max(2.0, top * 1.1)
            self.view.setYRange(1.0, high, padding=0)
            tick = nice_tick(high - 1) + 1
            self.axis.setTicks([[(tick, f"×{tick:g}")], []])
        else:
            high = max(1.0, top * 1.1)
            self.view.setYRange(0, high, padding=0)
            tick = nice_tick(high)
            # One labelled tick (the baseline is zero): a label at the lane's bottom edge would
            # sit beside the next lane's top and read as its.
            self.axis.setTicks([[(tick, f"{tick:,.0f}" if tick >= 1 else f"{tick:g}")], []])

    def set_overlay(self, lane: Lane | None, width_s: float, offset_s: float) -> None:
        """The compared run's lane shifted by ``offset_s`` onto this run's time (None: hide)."""
        if lane is None or not len(lane.starts):
            if self._overlay is not None:
                self._overlay.setVisible(False)
            return
        self.overlay.setData(*steps(lane.starts + offset_s, lane.values, width_s))
        self.overlay.setVisible(True)
        top = float(np.nanmax(lane.values)) if np.isfinite(lane.values).any() else 0.0
        high = self.view.viewRange()[1][1]
        if top * 1.1 > high:
            self._set_y(top)

    def value_at(self, t: float) -> float | None:
        """The lane's value in the bucket holding ``t`` (None outside its data or in a gap)."""
        if not len(self.starts):
            return None
        i = int(np.searchsorted(self.starts, t, side="right")) - 1
        if i < 0 or t >= self.starts[i] + self.width_s:
            return None
        v = float(self.values[i])
        return None if np.isnan(v) else v

    def clear_decorations(self) -> None:
        self.marker_notes, self.burst_notes = [], []
        self.markers.set_lines([])
        self.bursts.set_spans([])

    def set_decorations(
        self, markers: list[tuple[float, str, str]], bursts: list[tuple[float, float, str]]
    ) -> None:
        """Markers (time, kind, text) and bursts (lo, hi, text) of this lane."""
        self.marker_notes = [(t, text) for t, _kind, text in markers]
        self.burst_notes = list(bursts)
        self.markers.set_lines([(t, MARKER_PENS.get(k, DEFAULT_MARKER_PEN)) for t, k, _ in markers])
        self.bursts.set_spans([(lo, hi) for lo, hi, _ in bursts])

    @property
    def decoration_texts(self) -> list[str]:
        """What the lane's markers and bursts say (their tooltips)."""
        return [text for _, text in self.marker_notes] + [text for *_, text in self.burst_notes]

    def notes_near(self, t: float, tolerance_s: float) -> list[str]:
        """Texts of the markers within ``tolerance_s`` of ``t`` and the bursts holding ``t``."""
        near = [text for when, text in self.marker_notes if abs(when - t) <= tolerance_s]
        return near + [text for lo, hi, text in self.burst_notes if lo <= t <= hi]
