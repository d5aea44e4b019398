"""The stacked lanes: one plot per lane, linked in time, with markers, bursts, brush and cursor."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QScrollArea, QVBoxLayout, QWidget

from inspector.views.timeline_frames import Frame, Lane
from ui.timeline.plots import LANE_COLOURS, LanePlot

LANE_HEIGHT = 64
LABEL_WIDTH = 250  # fits "auditeventpublisher · osquery.db" at 9 pt


def _lane_order(lane: Lane) -> tuple:
    """Per host: event subscribers (results log, then the database buffer), then queries."""
    host, _publisher, subscriber, query, stream = lane.key
    return (host or "", subscriber is None, subscriber or query or "", stream != "results")


def _label_html(key: tuple) -> str:
    """Two lines: what the lane counts, then where from (publisher, database, factor)."""
    _host, publisher, subscriber, query, stream = key[:5]
    factor = len(key) > 5
    title = subscriber or query or "?"
    where = [publisher or ("query" if query else "")]
    if stream == "database":
        where.append("osquery.db")
    if factor:
        title = f"× {title}"
        where.insert(0, "factor")
    sub = " · ".join(w for w in where if w)
    return f"<b>{title}</b><br><span style='color:#666666'>{sub}</span>"


def _match_key(key: tuple, by_host: bool) -> tuple:
    """How a lane pairs with the compared run's: by host × subscriber (or query) × stream, or
    without the host when each run holds one host (product.md's pairing)."""
    host, _publisher, subscriber, query, stream = key[:5]
    return (host if by_host else "", subscriber, query if subscriber is None else None, stream,
            len(key) > 5)  # fmt: skip


class TimelineView(QWidget):
    """Lanes stacked top to bottom; pan/zoom in time is shared by all of them."""

    range_changed = Signal(float, float, int)  # lo, hi (s), plot width in pixels — debounced
    brushed = Signal(object, object)  # lo, hi (s) or None, None when cleared
    cursor_text = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False, foreground="#333333", background="#ffffff")
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.ci.layout.setSpacing(0)
        self.graphics.ci.setContentsMargins(0, 0, 8, 0)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.graphics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scroll)
        self.plots: dict[tuple, LanePlot] = {}  # key (+ "factor") → plot
        self.order: list[tuple] = []
        self.hidden: set[tuple] = set()
        self.labels: dict[tuple, str] = {}
        self.width_s = 60.0
        self.zone = "UTC"
        self.brush_range: tuple[float, float] | None = None
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._emit_range)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # -- content ------------------------------------------------------------------------------
    def set_frame(self, frame: Frame, factor_default: set[tuple] | None = None) -> None:
        """Build the lanes of a newly loaded run (factor lanes hidden unless in ``factor_default``)."""
        for plot in self.plots.values():
            plot.plot.vb.sigXRangeChanged.disconnect()
        self.plots.clear()
        self.order = []
        self.hidden = set()
        self.labels = {}
        self.width_s = frame.width_us / 1e6
        factors = {lane.key: lane for lane in frame.factor_lanes}
        for i, lane in enumerate(sorted(frame.lanes, key=_lane_order)):
            self._add(lane, LANE_COLOURS[i % len(LANE_COLOURS)], factor=False)
            if lane.key in factors:
                fkey = (*lane.key, "factor")
                self._add(factors[lane.key], LANE_COLOURS[0], factor=True)
                if factor_default is None or lane.key not in factor_default:
                    self.hidden.add(fkey)
        self._relayout()

    def _add(self, lane: Lane, colour: str, factor: bool) -> None:
        key = (*lane.key, "factor") if factor else lane.key
        plot = LanePlot(lane, colour, factor)
        plot.set_lane(lane, self.width_s)
        plot.view.brushed.connect(self._on_brushed)
        plot.plot.vb.sigXRangeChanged.connect(self._on_x_changed)
        self.plots[key] = plot
        self.order.append(key)
        self.labels[key] = lane.label

    def update_frame(self, frame: Frame) -> None:
        """New bucket values after a re-bin; lanes the frame lacks are shown empty."""
        self.width_s = frame.width_us / 1e6
        empty = Lane((), "", np.zeros(0), np.zeros(0))
        got = {lane.key: lane for lane in frame.lanes}
        got.update({(*lane.key, "factor"): lane for lane in frame.factor_lanes})
        for key, plot in self.plots.items():
            plot.set_lane(got.get(key, empty), self.width_s)

    def set_overlay(self, frame: Frame | None, offset_s: float, by_host: bool) -> None:
        """Overlay the compared run's lanes (``frame``) onto the matching lanes, or clear it."""
        found: dict[tuple, Lane] = {}
        if frame is not None:
            for lane in frame.lanes:
                found[_match_key(lane.key, by_host)] = lane
            for lane in frame.factor_lanes:
                found[_match_key((*lane.key, "factor"), by_host)] = lane
        width_s = frame.width_us / 1e6 if frame is not None else self.width_s
        for key, plot in self.plots.items():
            plot.set_overlay(found.get(_match_key(key, by_host)), width_s, offset_s)

    def set_hidden(self, hidden: set[tuple]) -> None:
        self.hidden = set(hidden)
        self._relayout()

    def visible_keys(self) -> list[tuple]:
        return [k for k in self.order if k not in self.hidden]

    def _relayout(self) -> None:
        view = self.current_range()
        self.graphics.ci.clear()
        visible = self.visible_keys()
        master = None
        for row, key in enumerate(visible):
            plot = self.plots[key]
            label = pg.LabelItem(_label_html(key), justify="right", size="9pt")
            label.setFixedWidth(LABEL_WIDTH)
            self.graphics.ci.addItem(label, row=row, col=0)
            self.graphics.ci.addItem(plot.plot, row=row, col=1)
            self.graphics.ci.layout.setRowFixedHeight(
                row, LANE_HEIGHT + (28 if row == len(visible) - 1 else 0)
            )
            plot.plot.showAxis("bottom", row == len(visible) - 1)
            if master is None:
                master = plot.plot
                plot.plot.setXLink(None)
            else:
                plot.plot.setXLink(master)
        self.graphics.setMinimumHeight(max(1, len(visible)) * LANE_HEIGHT + 30)
        if view is not None and master is not None:
            master.setXRange(*view, padding=0)

    # -- time range -----------------------------------------------------------------------------
    def master(self) -> LanePlot | None:
        keys = self.visible_keys()
        return self.plots[keys[0]] if keys else None

    def current_range(self) -> tuple[float, float] | None:
        m = self.master()
        if m is None:
            return None
        lo, hi = m.plot.vb.viewRange()[0]
        return (lo, hi)

    def zoom_to(self, lo: float, hi: float) -> None:
        m = self.master()
        if m is not None and hi > lo:
            m.plot.setXRange(lo, hi, padding=0)

    def _on_x_changed(self, *_args) -> None:
        self._debounce.start()

    def _emit_range(self) -> None:
        view = self.current_range()
        m = self.master()
        if view is not None and m is not None:
            self.range_changed.emit(view[0], view[1], int(m.plot.vb.width()))

    def set_zone(self, zone: str) -> None:
        self.zone = zone
        for plot in self.plots.values():
            plot.axis.set_zone(zone)

    # -- brush and cursor -----------------------------------------------------------------------
    def _on_brushed(self, lo: float, hi: float, finished: bool) -> None:
        self.set_brush(lo, hi)
        if finished:
            self.brushed.emit(lo, hi) if hi > lo else self.clear_brush()

    def set_brush(self, lo: float, hi: float) -> None:
        self.brush_range = (lo, hi)
        for plot in self.plots.values():
            plot.brush.setRegion((lo, hi))
            plot.brush.setVisible(True)

    def clear_brush(self) -> None:
        self.brush_range = None
        for plot in self.plots.values():
            plot.brush.setVisible(False)
        self.brushed.emit(None, None)

    def _on_mouse_moved(self, pos) -> None:
        m = self.master()
        if m is None:
            return
        inside = any(p.plot.sceneBoundingRect().contains(pos) for p in self.plots.values())
        for plot in self.plots.values():
            plot.cursor.setVisible(inside)
        if not inside:
            return
        t = m.plot.vb.mapSceneToView(pos).x()
        self.show_cursor(t)

    def show_cursor(self, t: float) -> str:
        """Put the time cursor at ``t`` and say the value of every visible lane there."""
        parts = []
        for key in self.visible_keys():
            plot = self.plots[key]
            plot.cursor.setPos(t)
            plot.cursor.setVisible(True)
            value = plot.value_at(t)
            if value is not None:
                shown = f"×{value:.2f}" if plot.factor else f"{int(value)}"
                parts.append(f"{self.labels[key]}: {shown}")
        when = dt.datetime.fromtimestamp(t, dt.UTC).astimezone(ZoneInfo(self.zone))
        text = f"{when:%Y-%m-%d %H:%M:%S} {when.tzname()} — " + ("; ".join(parts) or "no events")
        self.cursor_text.emit(text)
        return text
