"""The fleet heat map: host × subscriber rows, time columns, a cell's colour its duplication
factor; and under it the rollout lane (hosts duplicating per column, config changes drawn).

One ``ImageItem`` holds the cells in view and one curve each lane: nothing per cell is a Qt
item, so thousands of rows cost what a picture of them costs. Where the view holds more cells
than the screen has pixels (a fleet of hundreds of hosts), each pixel shows the highest factor
of the cells it covers (``heat_grid.pooled``): a duplicating lane is never sampled away.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer, Signal

from inspector.fleet.heat_grid import HeatGrid, pooled

NO_EVENTS = (236, 236, 236)
# factor → colour: healthy green-grey at 1, orange at 1.5, red at 2, dark red from 3 on
STOPS = np.array([1.0, 1.25, 1.5, 2.0, 3.0])
COLOURS = np.array(
    [(214, 232, 214), (250, 220, 150), (245, 160, 80), (215, 48, 39), (120, 0, 20)], dtype=float
)
LABEL_WIDTH = 230
TITLE = "Duplication factor per host × subscriber"


def _legend() -> str:
    """The colour scale in words, as the title's second line (HTML)."""

    def swatch(rgb, text: str) -> str:
        colour = "#" + "".join(f"{int(c):02x}" for c in rgb)
        return f'<span style="color:{colour}">■</span> {text}'

    parts = [swatch(c, f"×{v:g}" if v < STOPS[-1] else f"≥ ×{v:g}")
             for v, c in zip(STOPS, COLOURS, strict=True)]  # fmt: skip
    parts.append(swatch(NO_EVENTS, "no events"))
    return '<br><span style="font-size:9pt">' + " &nbsp; ".join(parts) + "</span>"


LEGEND = _legend()
LABEL_PIXELS = 14  # a row label needs this much height
SEPARATOR_PIXELS = 6  # lines between hosts only where a host's rows are this tall on screen


def cell_colours(values: np.ndarray) -> np.ndarray:
    """RGBA bytes of every cell (``values``: factors, NaN where a lane had no events)."""
    rgba = np.empty((*values.shape, 4), dtype=np.uint8)
    known = ~np.isnan(values)
    v = np.where(known, values, 1.0)
    for channel in range(3):
        rgba[..., channel] = np.where(
            known, np.interp(v, STOPS, COLOURS[:, channel]), NO_EVENTS[channel]
        ).astype(np.uint8)
    rgba[..., 3] = 255
    return rgba


def row_ticks(
    grid: HeatGrid, lo: float, hi: float, pixels_per_row: float
) -> list[tuple[float, str]]:
    """Left-axis labels for rows ``lo``..``hi``: every row when a label fits in one, else the
    first row of as many hosts as fit (one label per ``LABEL_PIXELS``)."""
    first, last = max(0, int(np.floor(lo))), min(len(grid.rows), int(np.ceil(hi)) + 1)
    if pixels_per_row >= LABEL_PIXELS:
        return [(i + 0.5, grid.label(i)) for i in range(first, last)]
    hosts = grid.row_hosts
    starts = [i for i in range(len(hosts)) if i == 0 or hosts[i - 1] != hosts[i]]
    blocks = zip(starts, [*starts[1:], len(hosts)], strict=True)
    out: list[tuple[float, str]] = []
    next_free = -np.inf
    for a, b in blocks:  # a host's label in the middle of its rows, as many as fit
        middle = (a + b) / 2
        if b > first and a < last and middle * pixels_per_row >= next_free:
            out.append((middle, hosts[a] or "?"))
            next_free = middle * pixels_per_row + LABEL_PIXELS
    return out


class FleetHeatmap(pg.GraphicsLayoutWidget):
    """The heat map and the rollout lane, x axes linked."""

    host_activated = Signal(str)  # a row was double-clicked: its host
    cell_pointed = Signal(str)  # a cell was clicked: what it holds, in words

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.grid: HeatGrid | None = None
        self._pointed: tuple[int, int] | None = None  # the cell last described on hover
        self.cells = self.addPlot(row=0, col=0, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)})
        self.cells.invertY(True)
        self.cells.setMouseEnabled(x=True, y=True)
        self.cells.getAxis("left").setWidth(LABEL_WIDTH)
        self.cells.setTitle(TITLE + LEGEND)
        self.cells.hideButtons()  # pyqtgraph's "A" (auto-range) button sat over the labels
        self.image = pg.ImageItem(axisOrder="col-major")
        self.cells.addItem(self.image)
        self.separators = pg.PlotDataItem(connect="pairs", pen=pg.mkPen((255, 255, 255), width=2))
        self.cells.addItem(self.separators)  # one item: a line between hosts
        self.rollout = self.addPlot(
            row=1, col=0, axisItems={"bottom": pg.DateAxisItem(utcOffset=0)}
        )
        self.rollout.setXLink(self.cells)
        self.rollout.getAxis("left").setWidth(LABEL_WIDTH)
        self.rollout.setLabel("left", "hosts duplicating")
        self.rollout.setMouseEnabled(x=True, y=False)
        self.rollout.hideButtons()
        self.ci.layout.setRowStretchFactor(0, 4)
        self.ci.layout.setRowStretchFactor(1, 1)
        self.curve = self.rollout.plot(
            stepMode="center",
            fillLevel=0,
            brush=(215, 48, 39, 90),
            pen=pg.mkPen((215, 48, 39), width=1.5),
        )
        self.changes = pg.PlotDataItem(
            connect="pairs",
            pen=pg.mkPen((40, 90, 200), width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
        )
        self.changes.setZValue(10)  # over the lane's filled area
        self.rollout.addItem(self.changes)
        self.rollout.addLegend(offset=(8, 4)).addItem(self.changes, "config change")
        self.scene().sigMouseClicked.connect(self._clicked)
        self.scene().sigMouseMoved.connect(self._hovered)
        # Zooming, panning and resizing redraw the cells in view, once the gesture pauses.
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(15)
        self._redraw.timeout.connect(self.draw_view)
        self.cells.vb.sigResized.connect(self._redraw.start)
        self.cells.vb.sigRangeChanged.connect(self._redraw.start)
        self._span = ""
        self.cells_per_pixel = (1, 1)  # columns, rows: what one pixel of the view shows

    def _update_ticks(self, lo: float, hi: float, per_row: float) -> None:
        """Row labels for the rows in view, as many as fit."""
        assert self.grid is not None
        self.cells.getAxis("left").setTicks([row_ticks(self.grid, lo, hi, per_row), []])

    def draw_view(self) -> None:
        """Draw the cells in view: one image pixel per cell while they fit on the screen, else
        each pixel the highest factor of the cells it covers; row labels and the lines
        between hosts as fit."""
        grid = self.grid
        if grid is None or not grid.rows:
            return
        columns, rows = grid.values.shape
        (x0, x1), (y0, y1) = self.cells.vb.viewRange()
        c0 = min(max(math.floor((x0 - grid.t0) / grid.width_s), 0), columns)
        c1 = min(max(math.ceil((x1 - grid.t0) / grid.width_s), 0), columns)
        r0, r1 = min(max(math.floor(y0), 0), rows), min(max(math.ceil(y1), 0), rows)
        if c1 <= c0 or r1 <= r0:
            self.image.clear()
            return
        width_px, height_px = max(self.cells.vb.width(), 1.0), max(self.cells.vb.height(), 1.0)
        kx, ky = math.ceil((c1 - c0) / width_px), math.ceil((r1 - r0) / height_px)
        c0, r0 = c0 - c0 % kx, r0 - r0 % ky  # blocks fixed to the grid: panning keeps them
        hosts = (grid.host_starts, grid.host_values)
        block = pooled(grid.values, (c0, c1), (r0, r1), (kx, ky), hosts)
        self.image.setImage(cell_colours(block), autoLevels=False)
        self.image.setRect(
            QRectF(grid.t0 + c0 * grid.width_s, r0, block.shape[0] * kx * grid.width_s,
                   block.shape[1] * ky)
        )  # fmt: skip
        was_pooled, self.cells_per_pixel = self.cells_per_pixel[1] > 1, (kx, ky)
        if self._pointed is not None and was_pooled != (ky > 1):  # zoomed across: host ↔ lane
            self.cell_pointed.emit(self.describe(*self._pointed))
        per_row = height_px / max(y1 - y0, 1e-9)
        self.separators.setVisible(per_row * rows / len(grid.host_starts) >= SEPARATOR_PIXELS)
        self._update_ticks(y0, y1, per_row)
        pooled_note = (  # more lanes than pixel rows: hosts are drawn whole
            f" · {ky:,} lanes a pixel row: each host's highest factor (zoom in for its lanes)"
            if ky > 1
            else ""
        )
        self.cells.setTitle(f"{TITLE} · {self._span} UTC{pooled_note}{LEGEND}")

    def show_grid(self, grid: HeatGrid) -> None:
        """Draw ``grid`` (replacing what was drawn)."""
        self.grid = grid
        self._pointed = None
        columns, rows = grid.values.shape
        if not rows:
            self.image.clear()
            self.curve.setData([], [])
            self.changes.setData([], [])
            self.separators.setData([], [])
            self.cells.getAxis("left").setTicks([[], []])
            return
        ends = (grid.t0, grid.t0 + columns * grid.width_s)
        between = grid.host_starts[1:]  # a line where each host after the first begins
        self.separators.setData(np.tile(ends, len(between)), np.repeat(between, 2).astype(float))
        edges = grid.t0 + grid.width_s * np.arange(columns + 1)
        self.curve.setData(edges, grid.hosts_duplicating.astype(float))
        top = max(float(grid.hosts_duplicating.max(initial=0)), 1.0) * 1.1
        x = np.repeat(grid.config_changes, 2)
        y = np.tile([0.0, top], len(grid.config_changes))
        self.changes.setData(x, y)
        self.rollout.setYRange(0, top, padding=0)
        # Hosts are counted: whole numbers on the axis, five ticks at most.
        step = max(1, int(np.ceil(top / 5)))
        self.rollout.getAxis("left").setTickSpacing(major=step, minor=step)
        first = dt.datetime.fromtimestamp(grid.t0, dt.UTC)
        last = dt.datetime.fromtimestamp(grid.t0 + columns * grid.width_s - 1, dt.UTC)
        self._span = f"{first:%Y-%m-%d}" + (
            f" – {last:%Y-%m-%d}" if last.date() != first.date() else ""
        )
        self.cells.setRange(xRange=(edges[0], edges[-1]), yRange=(0, rows), padding=0)
        self.draw_view()

    def _cell_at(self, scene_pos) -> tuple[int, int] | None:
        if self.grid is None or not self.cells.sceneBoundingRect().contains(scene_pos):
            return None
        p = self.cells.vb.mapSceneToView(scene_pos)
        col = int((p.x() - self.grid.t0) // self.grid.width_s)
        row = int(np.floor(p.y()))
        columns, rows = self.grid.values.shape
        if 0 <= row < rows and 0 <= col < columns:
            return col, row
        return None

    def _clicked(self, event) -> None:
        cell = self._cell_at(event.scenePos())
        if cell is None or self.grid is None:
            return
        col, row = cell
        host = self.grid.row_hosts[row]
        if event.double():
            if host:
                self.host_activated.emit(host)
            return
        self.cell_pointed.emit(self.describe(col, row))

    def _hovered(self, scene_pos) -> None:
        cell = self._cell_at(scene_pos)
        if cell != self._pointed:
            self._pointed = cell  # None off the grid: the same cell is described when back
            if cell is not None:
                self.cell_pointed.emit(self.describe(*cell))

    def describe(self, col: int, row: int) -> str:
        """A cell in words: its lane, its time, its factor."""
        assert self.grid is not None
        grid = self.grid
        at = dt.datetime.fromtimestamp(grid.t0 + col * grid.width_s, dt.UTC)
        when = f"at {at:%Y-%m-%d %H:%M} UTC ({grid.width_s // 60:,} min)"
        if self.cells_per_pixel[1] > 1:  # hosts drawn whole: the host's highest lane
            starts = grid.host_starts
            i = int(np.searchsorted(starts, row, side="right")) - 1
            first = int(starts[i])
            last = int(starts[i + 1]) if i + 1 < len(starts) else len(grid.rows)
            lanes = grid.values[col, first:last]
            if np.all(np.isnan(lanes)):
                what = "no events"
            else:
                top = first + int(np.nanargmax(lanes))
                what = (f"highest duplication factor ×{grid.values[col, top]:.2f} "
                        f"({grid.label(top).split(' · ', 1)[1]})")  # fmt: skip
            return (f"{grid.rows[row]['host'] or '?'} {when}: {what} — zoom in for its lanes; "
                    "double-click opens the host")  # fmt: skip
        value = grid.values[col, row]
        what = "no events" if np.isnan(value) else f"duplication factor ×{value:.2f}"
        return f"{grid.label(row)} {when}: {what} — double-click opens the host"
