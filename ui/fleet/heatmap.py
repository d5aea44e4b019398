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
        # Zooming, panning and resizing redraw the cells in view: at most every 15 ms, also
        # in the middle of a drag (a timer restarted on each move would wait for its end).
        self._redraw = QTimer(self)
        self._redraw.setSingleShot(True)
        self._redraw.setInterval(15)
        self._redraw.timeout.connect(self.draw_view)
        self.cells.vb.sigResized.connect(self._schedule_draw)
        self.cells.vb.sigRangeChanged.connect(self._schedule_draw)
        self._span = ""
        self.cells_per_pixel = (1, 1)  # columns, rows: what one pixel of the view shows
        self._origin = (0, 0)  # the first column and row of the drawn blocks

    def _schedule_draw(self, *_args) -> None:
        if not self._redraw.isActive():
            self._redraw.start()

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
        if c1 <= c0 or r1 <= r0:  # panned off the grid
            self.image.clear()
            self.cells_per_pixel = (1, 1)
            return
        width_px, height_px = max(self.cells.vb.width(), 1.0), max(self.cells.vb.height(), 1.0)
        # Cells a pixel covers, from the view's span (zoomed out past the grid, a pixel covers
        # more cells than the grid's part in view says).
        kx = math.ceil(max(c1 - c0, (x1 - x0) / grid.width_s) / width_px)
        ky = math.ceil(max(r1 - r0, y1 - y0) / height_px)
        c0, r0 = c0 - c0 % kx, r0 - r0 % ky  # blocks fixed to the grid: panning keeps them
        self._origin = (c0, r0)
        hosts = (grid.host_starts, grid.host_values)
        block = pooled(grid.values, (c0, c1), (r0, r1), (kx, ky), hosts)
        self.image.setImage(cell_colours(block), autoLevels=False)
        self.image.setRect(
            QRectF(grid.t0 + c0 * grid.width_s, r0, block.shape[0] * kx * grid.width_s,
                   block.shape[1] * ky)
        )  # fmt: skip
        before, self.cells_per_pixel = self.cells_per_pixel, (kx, ky)
        if self._pointed is not None and before != (kx, ky):  # what its pixel shows changed
            self.cell_pointed.emit(self.describe(*self._pointed))
        per_row = height_px / max(y1 - y0, 1e-9)
        # Lines between hosts only while the shortest host in view is tall enough for them.
        starts = grid.host_starts
        heights = np.diff(np.append(starts, rows))
        first = int(np.searchsorted(starts, r0, side="right")) - 1
        shortest = heights[first : int(np.searchsorted(starts, r1, side="left"))].min()
        self.separators.setVisible(bool(shortest * per_row >= SEPARATOR_PIXELS))
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
            self.cells.setTitle(f"{TITLE} · no events in the scan{LEGEND}")
            self.cells_per_pixel = (1, 1)
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
        col, row = self.strongest(*cell)  # the host a pooled pixel is drawn for
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

    def strongest(self, col: int, row: int) -> tuple[int, int]:
        """The cell a pixel shows: ``(col, row)`` itself, or where cells are pooled the one
        with the highest factor among those its pixel covers (rows: whole hosts)."""
        grid = self.grid
        assert grid is not None
        kx, ky = self.cells_per_pixel
        if kx == ky == 1:
            return col, row
        columns, rows = grid.values.shape
        (c_origin, r_origin), starts = self._origin, grid.host_starts
        c0 = c_origin + (col - c_origin) // kx * kx
        r0 = r_origin + (row - r_origin) // ky * ky
        r1 = min(r0 + ky, rows)
        if ky > 1:  # the pixel row is drawn for every host it touches: their lanes
            r0 = int(starts[np.searchsorted(starts, r0, side="right") - 1])
            after = int(np.searchsorted(starts, r1 - 1, side="right"))
            r1 = int(starts[after]) if after < len(starts) else rows
        cells = grid.values[c0 : min(c0 + kx, columns), r0:r1]
        if np.all(np.isnan(cells)):
            return col, row
        i, j = np.unravel_index(int(np.nanargmax(cells)), cells.shape)
        return c0 + int(i), r0 + int(j)

    def describe(self, col: int, row: int) -> str:
        """A cell in words: its lane, its time, its factor; where cells are pooled, the cell
        its pixel is drawn for (the highest factor among them)."""
        assert self.grid is not None
        grid = self.grid
        pooled_here = self.cells_per_pixel != (1, 1)
        col, row = self.strongest(col, row)
        at = dt.datetime.fromtimestamp(grid.t0 + col * grid.width_s, dt.UTC)
        when = f"at {at:%Y-%m-%d %H:%M} UTC ({grid.width_s // 60:,} min)"
        value = grid.values[col, row]
        what = "no events" if np.isnan(value) else f"duplication factor ×{value:.2f}"
        if pooled_here:
            what += " — the highest this pixel covers; zoom in for each lane"
        return f"{grid.label(row)} {when}: {what} — double-click opens the host"
