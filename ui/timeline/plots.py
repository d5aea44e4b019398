"""pyqtgraph pieces of the timeline: a lane's plot, the brush-aware view box, the date axis."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from inspector.views.timeline_frames import Lane

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
LANE_COLOURS = ["#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#D55E00", "#F0E442"]
FACTOR_COLOUR = "#D55E00"
BURST_BRUSH = (230, 159, 0, 70)
BRUSH_BRUSH = (0, 114, 178, 45)
MARKER_PENS = {
    "config_change": pg.mkPen("#0072B2", width=1.5, style=Qt.PenStyle.DashLine),
    "worker_restart": pg.mkPen("#D55E00", width=1.5),
    "worker_start": pg.mkPen("#D55E00", width=1, style=Qt.PenStyle.DotLine),
    "agent_start": pg.mkPen("#009E73", width=1.5),
    "agent_stop": pg.mkPen("#009E73", width=1.5, style=Qt.PenStyle.DashLine),
    "database_error": pg.mkPen("#CC0000", width=1.5),
}
DEFAULT_MARKER_PEN = pg.mkPen("#888888", width=1, style=Qt.PenStyle.DotLine)


def steps(starts: np.ndarray, values: np.ndarray, width_s: float) -> tuple[np.ndarray, np.ndarray]:
    """A bucket series as a step polyline: each value held flat across its bucket."""
    x = np.empty(2 * len(starts))
    x[0::2] = starts
    x[1::2] = starts + width_s
    y = np.repeat(values.astype(float), 2)
    return x, y


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


class ZonedDateAxis(pg.DateAxisItem):
    """A date axis in a chosen time zone (its offset taken where the view is, so DST is right)."""

    def __init__(self, zone: str = "UTC", **kwargs) -> None:
        super().__init__(orientation="bottom", **kwargs)
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


class LanePlot:
    """One lane's plot: a step curve, its burst shading, markers, brush and cursor."""

    def __init__(self, lane: Lane, colour: str, factor: bool) -> None:
        self.key = lane.key
        self.factor = factor
        self.view = BrushViewBox()
        self.axis = ZonedDateAxis()
        self.plot = pg.PlotItem(viewBox=self.view, axisItems={"bottom": self.axis})
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=False, alpha=0.15)
        self.plot.getAxis("left").setWidth(48)
        # No pyqtgraph auto-downsampling: it fixes its factor while the lane is still unlaid-out
        # and then draws min/max zigzags. Re-binning to about a bucket per three pixels (sums,
        # and the peak factor for factor lanes) is what keeps every burst visible at any zoom.
        self.plot.setClipToView(True)
        pen = pg.mkPen(FACTOR_COLOUR if factor else colour, width=1.2)
        fill = pg.mkBrush(FACTOR_COLOUR + "30" if factor else colour + "55")
        # Steps drawn as a plain polyline (pyqtgraph's stepMode breaks with clip-to-view), so
        # peak downsampling and clipping work; factor lanes have gaps (NaN) and no fill.
        self.curve = pg.PlotDataItem(
            [0.0], [0.0], pen=pen, connect="finite",
            fillLevel=None if factor else 0.0, fillBrush=None if factor else fill,
        )  # fmt: skip
        self.plot.addItem(self.curve)
        # The run compared with (after), aligned onto this run's time: dashed, no fill.
        self.overlay = pg.PlotDataItem(
            [0.0], [np.nan], connect="finite",
            pen=pg.mkPen("#222222", width=1.2, style=Qt.PenStyle.DashLine),
        )  # fmt: skip
        self.overlay.setVisible(False)
        self.plot.addItem(self.overlay)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("#555555", width=1))
        self.cursor.setVisible(False)
        self.plot.addItem(self.cursor, ignoreBounds=True)
        self.brush = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(*BRUSH_BRUSH))
        self.brush.setVisible(False)
        self.plot.addItem(self.brush, ignoreBounds=True)
        self.decorations: list = []
        self.starts = np.zeros(0)
        self.values = np.zeros(0)
        self.width_s = 60.0
        self.set_lane(lane, 60.0)

    def set_lane(self, lane: Lane, width_s: float) -> None:
        """New bucket values (after a re-bin)."""
        self.starts, self.values, self.width_s = lane.starts, lane.values, width_s
        if len(lane.starts):
            self.curve.setData(*steps(lane.starts, lane.values, width_s))
        else:
            self.curve.setData([0.0], [np.nan])
        top = np.nanmax(lane.values) if len(lane.values) and np.isfinite(lane.values).any() else 1
        if self.factor:
            self.view.setYRange(1.0, max(2.0, float(top) * 1.1), padding=0)
        else:
            self.view.setYRange(0, max(1.0, float(top) * 1.1), padding=0)

    def set_overlay(self, lane: Lane | None, width_s: float, offset_s: float) -> None:
        """The compared run's lane shifted by ``offset_s`` onto this run's time (None: hide)."""
        if lane is None or not len(lane.starts):
            self.overlay.setVisible(False)
            return
        self.overlay.setData(*steps(lane.starts + offset_s, lane.values, width_s))
        self.overlay.setVisible(True)
        top = float(np.nanmax(lane.values)) if np.isfinite(lane.values).any() else 0.0
        low, high = self.view.viewRange()[1]
        if top * 1.1 > high:
            self.view.setYRange(low, top * 1.1, padding=0)

    def value_at(self, t: float) -> float | None:
        """The lane's value in the bucket holding ``t`` (None outside its data)."""
        if not len(self.starts):
            return None
        i = int(np.searchsorted(self.starts, t, side="right")) - 1
        if i < 0 or t >= self.starts[i] + self.width_s:
            return None
        v = float(self.values[i])
        return None if np.isnan(v) else v

    def clear_decorations(self) -> None:
        for item in self.decorations:
            self.plot.removeItem(item)
        self.decorations = []

    def add_marker(self, t: float, kind: str, text: str) -> None:
        line = pg.InfiniteLine(pos=t, angle=90, pen=MARKER_PENS.get(kind, DEFAULT_MARKER_PEN))
        line.setToolTip(text)
        line.setZValue(5)
        self.plot.addItem(line, ignoreBounds=True)
        self.decorations.append(line)

    def add_burst(self, lo: float, hi: float, text: str) -> None:
        region = pg.LinearRegionItem(
            values=(lo, hi), movable=False, brush=pg.mkBrush(*BURST_BRUSH), pen=pg.mkPen(None)
        )
        region.setToolTip(text)
        region.setZValue(-5)
        self.plot.addItem(region, ignoreBounds=True)
        self.decorations.append(region)
