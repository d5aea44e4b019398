"""The fleet heat map: host × subscriber rows, time columns, a cell's colour its duplication
factor; and under it the rollout lane (hosts duplicating per column, config changes drawn).

One ``ImageItem`` holds every cell and one curve each lane: nothing per cell is a Qt item, so
thousands of rows cost what a picture of them costs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal

from inspector.fleet.heat_grid import HeatGrid

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
        self.cells.vb.sigResized.connect(self._update_ticks)
        self.cells.vb.sigYRangeChanged.connect(self._update_ticks)

    def _update_ticks(self, *_args) -> None:
        """Row labels for the rows in view, as many as fit."""
        if self.grid is None or not self.grid.rows:
            return
        lo, hi = self.cells.vb.viewRange()[1]
        per_row = self.cells.vb.height() / max(hi - lo, 1e-9)
        self.cells.getAxis("left").setTicks([row_ticks(self.grid, lo, hi, per_row), []])

    def show_grid(self, grid: HeatGrid) -> None:
        """Draw ``grid`` (replacing what was drawn)."""
        self.grid = grid
        self._pointed = None
        columns, rows = grid.values.shape
        if not rows:
            self.image.clear()
            self.curve.setData([], [])
            self.changes.setData([], [])
            return
        self.image.setImage(cell_colours(grid.values), autoLevels=False)
        self.image.setRect(QRectF(grid.t0, 0, columns * grid.width_s, rows))
        hosts = grid.row_hosts
        between = [i for i in range(1, rows) if hosts[i] != hosts[i - 1]]
        ends = (grid.t0, grid.t0 + columns * grid.width_s)
        self.separators.setData(np.tile(ends, len(between)), np.repeat(between, 2).astype(float))
        self._update_ticks()
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
        span = f"{first:%Y-%m-%d}" + (f" – {last:%Y-%m-%d}" if last.date() != first.date() else "")
        self.cells.setTitle(f"{TITLE} · {span} UTC{LEGEND}")
        self.cells.setRange(xRange=(edges[0], edges[-1]), yRange=(0, rows), padding=0)

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
        value = self.grid.values[col, row]
        at = dt.datetime.fromtimestamp(self.grid.t0 + col * self.grid.width_s, dt.UTC)
        what = "no events" if np.isnan(value) else f"duplication factor ×{value:.2f}"
        return (f"{self.grid.label(row)} at {at:%Y-%m-%d %H:%M} UTC "
                f"({self.grid.width_s // 60:,} min): {what} — double-click opens the host")  # fmt: skip
