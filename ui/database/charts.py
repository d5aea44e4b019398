"""The Database tab's two charts: bytes per family (stacked by kind of key), and the buffered
events per subscriber over event time with each subscriber's expiry edge."""

from __future__ import annotations

from html import escape

import numpy as np
import pyarrow as pa
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from inspector.database.report import DatabaseReport
from ui.database.byte_units import human_bytes
from ui.timeline.plots import LANE_COLOURS, ZonedDateAxis, steps

EXPIRED_BRUSH = (
    213,
    94,
    0,
    40,
)  # events older than the expiry edge: osquery should have dropped them
OTHER_COLOURS = ["#999999", "#BBBBBB", "#777777", "#DDDDDD", "#555555"]


class BytesChart(QWidget):
    """One horizontal bar per column family (labelled with the domain it holds and its total),
    its live bytes stacked by kind of key: rows per subscriber, index keys by kind, stored
    results, …; the colours' legend under the plot."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="#ffffff")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.showGrid(x=True, y=False, alpha=0.25)
        self.plot.setLabel("bottom", "live key + value bytes", units="B")
        self.plot.getPlotItem().invertY(True)
        self.legend = QLabel(self)
        self.legend.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        self.classes: list[str] = []  # in the legend's (and the colours') order

    def show_report(self, report: DatabaseReport) -> None:
        self.plot.clear()
        families = report.column_families.to_pylist()
        order = {f["name"]: i for i, f in enumerate(families)}
        classes = report.key_classes.to_pylist()
        names = sorted({c["class"] for c in classes}, key=lambda c: (not c.startswith("data."), c))
        self.classes = names
        data_names = [n for n in names if n.startswith("data.")]
        colours = {n: LANE_COLOURS[i % len(LANE_COLOURS)] for i, n in enumerate(data_names)}
        others = [n for n in names if n not in colours]
        colours.update({n: OTHER_COLOURS[i % len(OTHER_COLOURS)] for i, n in enumerate(others)})
        left = np.zeros(len(families))
        for name in names:
            rows = [c for c in classes if c["class"] == name]
            y = np.array([order[c["family"]] for c in rows], dtype=int)
            width = np.array([c["key_bytes"] + c["value_bytes"] for c in rows], dtype=float)
            bar = pg.BarGraphItem(x0=left[y], y=y.astype(float), height=0.6, width=width,
                                  brush=colours[name], pen=pg.mkPen("#ffffff", width=0.5))  # fmt: skip
            self.plot.addItem(bar)
            left[y] += width
        ticks = [
            (i, f"{f['name']} ({f['domain'] or 'no domain'}) {human_bytes(total)}")
            for i, (f, total) in enumerate(zip(families, left, strict=True))
        ]
        self.plot.getAxis("left").setTicks([ticks])
        self.plot.setYRange(-0.6, len(families) - 0.4, padding=0)
        self.plot.setXRange(0, max(float(left.max()) if len(left) else 1.0, 1.0) * 1.02, padding=0)
        self.legend.setText(
            "&nbsp; ".join(
                f"<span style='color:{colours[n]}'>■</span>&nbsp;{escape(n)}" for n in names
            )
        )


class BufferChart(pg.PlotWidget):
    """Buffered events per bucket of event time, one step curve per subscriber; a dashed line
    marks each subscriber's expiry edge (its newest event − its expiry) and the events older
    than that are shaded. A click emits the bucket under the mouse."""

    bucket_clicked = Signal(float, float)  # lo, hi (unix seconds)

    def __init__(self, parent=None) -> None:
        self.axis = ZonedDateAxis()
        super().__init__(parent=parent, background="#ffffff", axisItems={"bottom": self.axis})
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=True, y=False)
        self.showGrid(x=True, y=True, alpha=0.2)
        self.setLabel("left", "buffered events")
        self.legend = self.addLegend(
            offset=(-10, 10), labelTextSize="8pt", brush=(255, 255, 255, 210)
        )
        self.width_s = 60
        self.distinct: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.distinct_curve: pg.PlotDataItem | None = None
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.edges: dict[tuple[str, str], float] = {}  # subscriber → expiry edge (s)
        self.selected: tuple[str, str] | None = None
        self.scene().sigMouseClicked.connect(self._on_click)

    def show_report(self, report: DatabaseReport) -> None:
        self.clear()
        self.legend.clear()
        self.curves, self.edges, self.selected, self.distinct = {}, {}, None, {}
        self.distinct_curve = None
        self.width_s = report.bucket_seconds
        timeline = report.timeline
        subscribers = report.subscribers.to_pylist()
        for i, sub in enumerate(subscribers):
            key = (sub["publisher"], sub["subscriber"])
            colour = LANE_COLOURS[i % len(LANE_COLOURS)]
            rows = _rows_of(timeline, *key)
            starts, events = _dense(rows, self.width_s, "events")
            self.distinct[key] = steps(*_dense(rows, self.width_s, "distinct"), self.width_s)
            x, y = steps(starts, events, self.width_s)
            curve = self.plot(x, y, pen=pg.mkPen(colour, width=1.5), name=f"{key[0]} → {key[1]}")
            self.curves[key] = curve
            expiry, newest = sub["expiry_seconds"], sub["newest"]
            if expiry is None or newest is None:
                continue
            edge = newest.timestamp() - expiry
            self.edges[key] = edge
            dashed = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine)
            self.addItem(pg.InfiniteLine(pos=edge, angle=90, pen=dashed))
            oldest = sub["oldest"].timestamp()
            if oldest < edge:
                region = pg.LinearRegionItem((oldest, edge), movable=False, brush=EXPIRED_BRUSH)
                region.setZValue(-10)
                self.addItem(region)
        if self.edges:
            sample = pg.PlotDataItem(pen=pg.mkPen("#666666", width=1.5, style=Qt.PenStyle.DashLine))
            self.legend.addItem(sample, "expiry edge (newest − expiry)")
        self.enableAutoRange()

    def select(self, key: tuple[str, str] | None) -> None:
        """Draw ``key``'s curve bold with its distinct contents dashed (the gap between them is
        its duplication), the others faint (None: all alike)."""
        self.selected = key
        for k, curve in self.curves.items():
            pen = curve.opts["pen"]
            colour = pg.mkColor(pen.color())
            colour.setAlpha(255 if key is None or k == key else 70)
            curve.setPen(pg.mkPen(colour, width=2.5 if k == key else 1.5))
        if self.distinct_curve is not None:
            self.removeItem(self.distinct_curve)
            self.legend.removeItem(self.distinct_curve)
            self.distinct_curve = None
        if key in self.distinct:
            colour = pg.mkColor(self.curves[key].opts["pen"].color())
            colour.setAlpha(255)
            dashed = pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DotLine)
            self.distinct_curve = self.plot(*self.distinct[key], pen=dashed,
                                            name=f"distinct contents of {key[1]}")  # fmt: skip

    def _on_click(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        view = self.getPlotItem().vb
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        x = view.mapSceneToView(event.scenePos()).x()
        lo = np.floor(x / self.width_s) * self.width_s
        self.bucket_clicked.emit(float(lo), float(lo + self.width_s))


def _dense(rows: list[dict], width_s: int, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Bucket starts and ``column`` from the first bucket to the last, empty buckets as 0."""
    if not rows:
        return np.array([], dtype=float), np.array([], dtype=float)
    starts = np.array([r["start"].timestamp() for r in rows], dtype=float)
    slots = np.round((starts - starts[0]) / width_s).astype(int)
    events = np.zeros(slots[-1] + 1)
    events[slots] = [r[column] for r in rows]
    return starts[0] + width_s * np.arange(len(events), dtype=float), events


def _rows_of(timeline: pa.Table, publisher: str, subscriber: str) -> list[dict]:
    """A subscriber's buckets (the timeline is a few hundred rows per subscriber)."""
    import pyarrow.compute as pc

    mask = pc.and_(
        pc.equal(timeline.column("publisher"), publisher),
        pc.equal(timeline.column("subscriber"), subscriber),
    )
    return timeline.filter(mask).to_pylist()
