"""The stacked lanes: a time ruler pinned above them, one view box per lane (linked in time),
markers, bursts, brush, cursor, and the keyboard (arrows pan, +/- zoom, Home/End).

Lanes are built a few at a time between events (``set_frame(..., gradual=True)``): a run with a
hundred lanes never holds the GUI thread for more than a batch (~40 ms)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from inspector.model.runs import run_of_lane_host
from inspector.views.timeline_frames import Frame, Lane
from ui.timeline.colours import lane_colour
from ui.timeline.plots import AXIS_WIDTH, LanePlot, ZonedDateAxis, elide

LANE_HEIGHT = 64
LABEL_WIDTH = 250  # fits "auditeventpublisher · osquery.db" at 9 pt
RULER_HEIGHT = 30
BATCH_SECONDS = 0.025  # one batch of lanes built per event-loop turn
SPARE_BATCH_SECONDS = 0.015  # lanes made ahead (``make_spares``) per event-loop turn
PAN_SHARE, ZOOM_STEP = 0.2, 1.5


def _lane_order(lane: Lane) -> tuple:
    """Per host: event subscribers (results log, then the database buffer), then queries."""
    host, _publisher, subscriber, query, stream = lane.key
    return (host or "", subscriber is None, subscriber or query or "", stream != "results")


def _label_html(key: tuple) -> str:
    """Two lines: what the lane counts, then where from (publisher, database, factor); each cut
    with an ellipsis to the label column (the tree and the tooltip have the whole name)."""
    host, publisher, subscriber, query, stream = key[:5]
    factor = len(key) > 5
    title = subscriber or query or "?"
    where = [publisher or ("query" if query else "")]
    if (run := run_of_lane_host(host)) is not None:  # one run of a host given in several
        where.append(run)
    if stream == "database":
        where.append("osquery.db")
    if stream == "subscriptions":
        title = f"⊕ {title}"
        where.insert(0, "subscriptions")
    if factor:
        title = f"× {title}"
        where.insert(0, "factor")
    sub = " · ".join(w for w in where if w)
    room = LABEL_WIDTH - 12
    return (f"<b>{elide(title, room, bold=True)}</b><br>"
            f"<span style='color:#666666'>{elide(sub, room)}</span>")  # fmt: skip


def _match_key(key: tuple, by_host: bool) -> tuple:
    """How a lane pairs with the compared run's: by host × subscriber (or query) × stream, or
    without the host when each run holds one host (product.md's pairing)."""
    host, _publisher, subscriber, query, stream = key[:5]
    return (host if by_host else "", subscriber, query if subscriber is None else None, stream,
            len(key) > 5)  # fmt: skip


class LanesWidget(pg.GraphicsLayoutWidget):
    """The lanes' canvas; keys pan and zoom the timeline (``keyed``)."""

    keyed = Signal(int)  # Qt.Key

    KEYS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Plus, Qt.Key.Key_Equal,
            Qt.Key.Key_Minus, Qt.Key.Key_Home, Qt.Key.Key_End)  # fmt: skip

    def keyPressEvent(self, ev: QKeyEvent) -> None:
        if ev.key() in self.KEYS:
            self.keyed.emit(ev.key())
            ev.accept()
            return
        super().keyPressEvent(ev)


class TimelineView(QWidget):
    """Lanes stacked top to bottom under a pinned ruler; pan/zoom in time is shared by all."""

    range_changed = Signal(float, float, int)  # lo, hi (s), plot width in pixels — debounced
    brushed = Signal(object, object)  # lo, hi (s) or None, None when cleared
    cursor_text = Signal(str)
    built = Signal()  # every lane of the newest frame is built

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=False, foreground="#333333", background="#ffffff")
        self.graphics = LanesWidget()
        self.graphics.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.graphics.keyed.connect(self.key_step)
        self.graphics.ci.layout.setSpacing(0)
        self.graphics.ci.setContentsMargins(0, 0, 8, 0)
        self.scroll_area = QScrollArea(self)
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll_area.setWidget(self.graphics)
        # The ruler: outside the scroll area, so it stays in view whatever lane is scrolled to.
        self.ruler = pg.GraphicsLayoutWidget()
        self.ruler.setFixedHeight(RULER_HEIGHT)
        self.ruler.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.ruler.ci.layout.setSpacing(0)
        self.ruler_axis = ZonedDateAxis(orientation="bottom")
        self.ruler.ci.addItem(self.ruler_axis, row=0, col=0)
        self.ruler.ci.setContentsMargins(LABEL_WIDTH + AXIS_WIDTH, 0, 0, 0)
        self.graphics.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.ruler)
        layout.addWidget(self.scroll_area)
        self.plots: dict[tuple, LanePlot] = {}  # key (+ "factor") → plot
        self.order: list[tuple] = []
        self.hidden: set[tuple] = set()
        self.labels: dict[tuple, str] = {}
        self.highlighted: tuple | None = None
        self.width_s = 60.0
        self.zone = "UTC"
        self.span: tuple[float, float] | None = None  # the run's whole time range (Home/End)
        self.brush_range: tuple[float, float] | None = None
        self._pending: list[tuple[Lane, str, bool]] = []  # lanes still to build (gradual)
        self._view_after_build: tuple[float, float] | None = None
        self._laid_out: list[tuple] = []  # the lanes in the grid, top to bottom
        self._updates: list[tuple[tuple, Lane]] = []  # re-binned lanes still to set
        self._ruler_master: pg.ViewBox | None = None
        # Called with (key, plot) for each lane built: its markers and bursts (the panel's).
        self.decorate: Callable[[tuple, LanePlot], None] | None = None
        self._build = QTimer(self)
        self._build.setSingleShot(True)
        self._build.timeout.connect(self._build_batch)
        # Lanes made ahead while the window waits for a run: a lane's items cost ~3 ms to make,
        # and a run's 20-odd lanes are then built from them at once.
        self._spares: list[LanePlot] = []
        self._spares_wanted = 0
        self._make_spares = QTimer(self)
        self._make_spares.setSingleShot(True)
        self._make_spares.timeout.connect(self._make_spare_batch)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(200)
        self._debounce.timeout.connect(self._emit_range)
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)

    # -- content ------------------------------------------------------------------------------
    def set_frame(
        self, frame: Frame, factor_default: set[tuple] | None = None, gradual: bool = False
    ) -> None:
        """Build the lanes of a newly loaded run (factor lanes hidden unless in
        ``factor_default``); ``gradual``: a batch per event-loop turn, ``built`` when done."""
        view = self.current_range()
        for plot in self.plots.values():
            plot.view.sigXRangeChanged.disconnect()
        if self._ruler_master is not None:  # its lanes go: the ruler lets go of them first
            self._ruler_master.sigResized.disconnect(self._align_ruler)
            self._ruler_master = None
        scene = self.graphics.scene()
        for plot in self.plots.values():
            for item in plot.items():
                # an item already gone with its parent: removing it again makes Qt warn
                if item.scene() is scene:
                    scene.removeItem(item)
        grid = self.graphics.ci.layout
        while grid.count():
            grid.removeAt(grid.count() - 1)
        self.plots.clear()
        self._laid_out = []
        self.order, self.hidden, self.labels, self.highlighted = [], set(), {}, None
        self._updates = []
        self.width_s = frame.width_us / 1e6
        factors = {lane.key: lane for lane in frame.factor_lanes}
        pending: list[tuple[Lane, str, bool]] = []
        for lane in sorted(frame.lanes, key=_lane_order):
            colour = lane_colour(lane.key[2] or lane.key[3])
            pending.append((lane, colour, False))
            if lane.key in factors:
                pending.append((factors[lane.key], colour, True))
                if factor_default is None or lane.key not in factor_default:
                    self.hidden.add((*lane.key, "factor"))
        for lane in frame.subscription_lanes:  # beside its subscriber's lanes
            at = max((i + 1 for i, (other, _, _) in enumerate(pending)
                      if other.key[:3] == lane.key[:3]), default=len(pending))  # fmt: skip
            pending.insert(at, (lane, lane_colour(lane.key[2]), False))
            finite = lane.values[np.isfinite(lane.values)]
            if not len(finite) or finite.min() == finite.max():  # shown when it changed
                self.hidden.add(lane.key)
        for lane, _colour, factor in pending:  # the order and labels are known at once
            key = (*lane.key, "factor") if factor else lane.key
            self.order.append(key)
            self.labels[key] = lane.label
        self._pending = pending
        self._view_after_build = view
        if gradual:
            # Not painted until every lane is in: a repaint after each batch doubled its cost.
            self.graphics.setUpdatesEnabled(False)
            self._build.start(0)
        else:
            self._build_batch(budget=None)

    def _build_batch(self, budget: float | None = BATCH_SECONDS) -> None:
        start = time.perf_counter()
        while self._pending and (budget is None or time.perf_counter() - start < budget):
            lane, colour, factor = self._pending.pop(0)
            self._add(lane, colour, factor)
        self._relayout()
        if self._pending:
            self._build.start(0)
        else:
            self.graphics.setUpdatesEnabled(True)
            self.drop_spares()  # made for this run: the next load makes its own
            self.built.emit()

    def is_building(self) -> bool:
        return bool(self._pending)

    def make_spares(self, count: int) -> None:
        """Make up to ``count`` lanes ahead, a few per event-loop turn (the window stays
        responsive); the next run's lanes are built from them."""
        self._spares_wanted = count
        if len(self._spares) < count and not self._pending:
            self._make_spares.start(0)

    def drop_spares(self) -> None:
        """Let go of the lanes made ahead (items in no scene must not outlive the application:
        deleting them at the interpreter's exit crashes it, as pyqtgraph's ``cleanup`` notes)."""
        self._spares_wanted = 0
        self._make_spares.stop()
        self._spares.clear()

    def spare_count(self) -> int:
        return len(self._spares)

    def _make_spare_batch(self) -> None:
        start = time.perf_counter()
        while len(self._spares) < self._spares_wanted and not self._pending:
            self._spares.append(LanePlot())
            if time.perf_counter() - start >= SPARE_BATCH_SECONDS:
                break
        if len(self._spares) < self._spares_wanted and not self._pending:
            self._make_spares.start(0)

    def _add(self, lane: Lane, colour: str, factor: bool) -> None:
        key = (*lane.key, "factor") if factor else lane.key
        if self._spares:
            plot = self._spares.pop()
            plot.configure(lane, colour, factor, _label_html(key))
        else:
            plot = LanePlot(lane, colour, factor, _label_html(key))
        plot.label.setToolTip(self.labels.get(key, lane.label))
        plot.set_lane(lane, self.width_s)
        plot.view.brushed.connect(self._on_brushed)
        plot.view.sigXRangeChanged.connect(self._on_x_changed)
        self.plots[key] = plot
        if self.decorate is not None:
            self.decorate(key, plot)

    def update_frame(self, frame: Frame) -> None:
        """New bucket values after a re-bin; lanes the frame lacks are shown empty."""
        self.width_s = frame.width_us / 1e6
        empty = Lane((), "", np.zeros(0), np.zeros(0))
        got = {lane.key: lane for lane in frame.lanes}
        got.update({(*lane.key, "factor"): lane for lane in frame.factor_lanes})
        got.update({lane.key: lane for lane in frame.subscription_lanes})
        # The lanes in view first, the rest a batch per event-loop turn: a hundred lanes'
        # curves set at once held the GUI thread for each zoom step.
        shown = set(self.keys_in_view())
        order = sorted(self.plots, key=lambda k: k not in shown)
        self._updates = [(key, got.get(key, empty)) for key in order]
        self._update_batch()

    def _update_batch(self) -> None:
        start = time.perf_counter()
        while self._updates and time.perf_counter() - start < BATCH_SECONDS:
            key, lane = self._updates.pop(0)
            if key in self.plots:
                self.plots[key].set_lane(lane, self.width_s)
        if self._updates:
            QTimer.singleShot(0, self._update_batch)

    def keys_in_view(self) -> list[tuple]:
        """The visible lanes scrolled into view (at least partly)."""
        top = self.scroll_area.verticalScrollBar().value()
        bottom = top + self.scroll_area.viewport().height()
        keys = self.visible_keys()
        return [k for i, k in enumerate(keys)
                if i * LANE_HEIGHT < bottom and (i + 1) * LANE_HEIGHT > top]  # fmt: skip

    def set_overlay(self, frame: Frame | None, offset_s: float, by_host: bool) -> None:
        """Overlay the compared run's lanes (``frame``) onto the matching lanes, or clear it."""
        found: dict[tuple, Lane] = {}
        if frame is not None:
            for lane in frame.lanes:
                found[_match_key(lane.key, by_host)] = lane
            for lane in frame.factor_lanes:
                found[_match_key((*lane.key, "factor"), by_host)] = lane
            for lane in frame.subscription_lanes:
                found[_match_key(lane.key, by_host)] = lane
        width_s = frame.width_us / 1e6 if frame is not None else self.width_s
        for key, plot in self.plots.items():
            plot.set_overlay(found.get(_match_key(key, by_host)), width_s, offset_s)

    def set_hidden(self, hidden: set[tuple]) -> None:
        if set(hidden) == self.hidden:
            return
        self.hidden = set(hidden)
        self._relayout()

    def visible_keys(self) -> list[tuple]:
        """Lanes shown (built and not hidden), top to bottom."""
        return [k for k in self.order if k not in self.hidden and k in self.plots]

    def _relayout(self) -> None:
        """Put the visible lanes in the grid, top to bottom. The lanes' items stay in the scene
        (hidden when not shown): taking them out and back made pyqtgraph re-walk them (~7 ms a
        lane), and a batch of new lanes at the bottom is only appended."""
        view = self.current_range() or self._view_after_build
        grid = self.graphics.ci.layout
        visible = self.visible_keys()
        if visible[: len(self._laid_out)] != self._laid_out:
            while grid.count():
                grid.removeAt(grid.count() - 1)
            for key in self._laid_out:
                if key in self.plots:
                    for item in self.plots[key].items():
                        item.setVisible(False)
            self._laid_out = []
        for row in range(len(self._laid_out), len(visible)):
            plot = self.plots[visible[row]]
            plot.label.setFixedWidth(LABEL_WIDTH)
            for col, item in enumerate(plot.items()):
                if item.parentItem() is not self.graphics.ci:
                    item.setParentItem(self.graphics.ci)
                item.setVisible(True)
                grid.addItem(item, row, col)
            grid.setRowFixedHeight(row, LANE_HEIGHT)
            plot.view.setXLink(None if row == 0 else self.plots[visible[0]].view)
            if self.brush_range is not None:
                plot.show_brush(*self.brush_range)
        self._laid_out = visible
        if visible:
            grid.setColumnFixedWidth(0, LABEL_WIDTH)
            grid.setColumnFixedWidth(1, AXIS_WIDTH)
        self.graphics.setMinimumHeight(max(1, len(visible)) * LANE_HEIGHT)
        self.graphics.setMaximumHeight(max(1, len(visible)) * LANE_HEIGHT)
        master = self.plots[visible[0]].view if visible else None
        if master is not None:
            if self._ruler_master is not master:
                if self._ruler_master is not None:
                    self._ruler_master.sigResized.disconnect(self._align_ruler)
                master.sigResized.connect(self._align_ruler)
                self._ruler_master = master
            self._align_ruler()
            self.ruler_axis.setRange(*master.viewRange()[0])
            if view is not None:
                master.setXRange(*view, padding=0)

    def _align_ruler(self, *_args) -> None:
        """Give the ruler's axis exactly the lanes' plotting columns (left edge and width)."""
        if self._ruler_master is None:
            return
        rect = self._ruler_master.sceneBoundingRect()
        left = self.graphics.mapFromScene(rect.topLeft())
        x = (
            self.graphics.mapTo(self, left).x()
            - self.ruler.mapTo(self, self.ruler.rect().topLeft()).x()
        )
        right = max(0, self.ruler.width() - x - int(rect.width()))
        self.ruler.ci.setContentsMargins(max(0, x), 0, right, 0)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        QTimer.singleShot(0, self._align_ruler)

    # -- lanes in view --------------------------------------------------------------------------
    def lane_top(self, key: tuple) -> int | None:
        """The lane's top edge in the lanes' canvas (pixels), None when it is not shown."""
        keys = self.visible_keys()
        return keys.index(key) * LANE_HEIGHT if key in keys else None

    def scroll_to_lane(self, key: tuple) -> bool:
        """Scroll the lane into view; False when it is not shown."""
        top = self.lane_top(key)
        if top is None:
            return False
        self.scroll_area.ensureVisible(0, top + LANE_HEIGHT // 2, 0, LANE_HEIGHT)
        return True

    def highlight(self, key: tuple | None) -> None:
        """Tint one lane (None: none)."""
        for k, plot in self.plots.items():
            plot.set_highlighted(k == key)
        self.highlighted = key

    # -- time range -----------------------------------------------------------------------------
    def master(self) -> LanePlot | None:
        keys = self.visible_keys()
        return self.plots[keys[0]] if keys else None

    def current_range(self) -> tuple[float, float] | None:
        m = self.master()
        if m is None:
            return None
        lo, hi = m.view.viewRange()[0]
        return (lo, hi)

    def zoom_to(self, lo: float, hi: float) -> None:
        m = self.master()
        if hi <= lo:
            return
        if m is None:
            self._view_after_build = (lo, hi)
            return
        m.view.setXRange(lo, hi, padding=0)

    def key_step(self, key: int) -> None:
        """Arrows pan by a fifth of the view, +/- zoom about the centre, Home/End go to the
        run's start or end keeping the zoom."""
        view = self.current_range()
        if view is None:
            return
        lo, hi = view
        span, centre = hi - lo, (lo + hi) / 2
        if key == Qt.Key.Key_Left:
            self.zoom_to(lo - span * PAN_SHARE, hi - span * PAN_SHARE)
        elif key == Qt.Key.Key_Right:
            self.zoom_to(lo + span * PAN_SHARE, hi + span * PAN_SHARE)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            half = max(span / ZOOM_STEP, 1.0) / 2
            self.zoom_to(centre - half, centre + half)
        elif key == Qt.Key.Key_Minus:
            half = span * ZOOM_STEP / 2
            self.zoom_to(centre - half, centre + half)
        elif key == Qt.Key.Key_Home and self.span is not None:
            self.zoom_to(self.span[0], self.span[0] + span)
        elif key == Qt.Key.Key_End and self.span is not None:
            self.zoom_to(self.span[1] - span, self.span[1])

    def _on_x_changed(self, *_args) -> None:
        # The ruler follows the lanes' range (set, not linked: a link outlived its view box).
        view = self.current_range()
        if view is not None:
            self.ruler_axis.setRange(*view)
        self._debounce.start()

    def _emit_range(self) -> None:
        view = self.current_range()
        m = self.master()
        if view is not None and m is not None:
            self.range_changed.emit(view[0], view[1], int(m.view.width()))

    def set_zone(self, zone: str) -> None:
        self.zone = zone
        self.ruler_axis.set_zone(zone)

    # -- brush and cursor -----------------------------------------------------------------------
    def _on_brushed(self, lo: float, hi: float, finished: bool) -> None:
        self.set_brush(lo, hi)
        if finished:
            self.brushed.emit(lo, hi) if hi > lo else self.clear_brush()

    def set_brush(self, lo: float, hi: float) -> None:
        self.brush_range = (lo, hi)
        # The lanes shown; a hidden lane gets its brush when it is shown (``_relayout``): the
        # brush's items are made on first use, ~1 ms a lane.
        for key in self._laid_out:
            self.plots[key].show_brush(lo, hi)

    def clear_brush(self) -> None:
        self.brush_range = None
        for plot in self.plots.values():
            plot.hide_brush()
        self.brushed.emit(None, None)

    def hide_cursor(self) -> None:
        for plot in self.plots.values():
            plot.hide_cursor()

    def _on_mouse_moved(self, pos) -> None:
        m = self.master()
        if m is None:
            return
        over = next((p for p in self.plots.values() if p.view.isVisible()
                     and p.view.sceneBoundingRect().contains(pos)), None)  # fmt: skip
        if over is None:
            self.hide_cursor()
            return
        t = m.view.mapSceneToView(pos).x()
        text = self.show_cursor(t, over)
        self.graphics.setToolTip(text.replace("; ", "\n"))

    def show_cursor(self, t: float, over: LanePlot | None = None) -> str:
        """Put the time cursor at ``t`` and say the value of every visible lane there (and the
        markers and bursts under the mouse, on the lane ``over``)."""
        parts = []
        keys = self.visible_keys()
        # Lanes of several hosts (or runs of one host) read alike: name the host then.
        hosts = len({key[0] for key in keys}) > 1
        for key in keys:
            plot = self.plots[key]
            plot.cursor.setPos(t)
            plot.cursor.setVisible(True)
            value = plot.value_at(t)
            if value is not None:
                shown = f"×{value:.2f}" if plot.factor else f"{int(value)}"
                label = f"[{key[0]}] {self.labels[key]}" if hosts else self.labels[key]
                parts.append(f"{label}: {shown}")
        when = dt.datetime.fromtimestamp(t, dt.UTC).astimezone(ZoneInfo(self.zone))
        text = f"{when:%Y-%m-%d %H:%M:%S} {when.tzname()} — " + ("; ".join(parts) or "no events")
        if over is not None:
            view = self.current_range()
            pixels = max(over.view.width(), 1.0)
            tolerance = (view[1] - view[0]) / pixels * 3 if view else 0.0
            notes = over.notes_near(t, tolerance)
            if notes:
                text += " — " + "; ".join(n.replace("\n", ": ") for n in notes)
        self.cursor_text.emit(text)
        return text
