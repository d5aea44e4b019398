"""The desktop app at N records, offscreen: a screenful of table rows, a timeline redraw after
pan/zoom, brush → filtered records, and the first window — each beside a bare baseline."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa

from benchmarks.harness import Measurement, Section, measure

SCREEN_ROWS, SCREEN_COLUMNS = 40, 12
GOALS = {"screen": 0.005, "redraw": 0.030, "brush": 0.150, "window": 1.0}


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def screenful(records: pa.Table, repeat: int) -> tuple[Measurement, Measurement]:
    """Rows at random places, every cell formatted as the view asks for it (cold pages)."""
    from PySide6.QtCore import Qt

    from ui.models.arrow_table_model import ArrowTableModel

    columns = [c for c in records.column_names if c != "content"][:SCREEN_COLUMNS]
    model = ArrowTableModel(records, columns)
    rng = np.random.default_rng(1)
    starts = rng.integers(0, records.num_rows - SCREEN_ROWS, size=repeat * 4)
    it = iter(starts.tolist())

    def app_screen() -> None:
        top = next(it)
        for r in range(top, top + SCREEN_ROWS):
            for c in range(len(columns)):
                model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole)

    base_it = iter(starts.tolist())
    selected = records.select(columns)

    def bare() -> None:
        top = next(base_it)
        selected.slice(top, SCREEN_ROWS).to_pylist()

    app = measure("app: a screenful of rows through the table model", app_screen, repeat)
    base = measure("baseline: pyarrow slice → Python rows", bare, repeat)
    return app, base


def redraw(records: pa.Table, repeat: int) -> tuple[Measurement, Measurement]:
    """Pan the timeline (all lanes) and repaint; baseline: one PlotWidget with as many points."""
    import pyqtgraph as pg

    from inspector.analysis.binning import Binner
    from inspector.views.timeline_frames import FACTOR_WIDTH_US, build_frame, nice_width
    from ui.timeline.view import TimelineView

    app = _app()
    binner = Binner(records)
    factors = binner.factors(FACTOR_WIDTH_US)
    span_us = binner.span_us()
    assert span_us is not None, "the demo run has timed rows"
    lo, hi = span_us
    frame = build_frame(binner, nice_width(hi - lo), factors)
    view = TimelineView()
    view.resize(1600, 700)
    view.set_frame(frame)
    view.show()
    app.processEvents()
    lo_s, hi_s = lo / 1e6, hi / 1e6
    span = (hi_s - lo_s) / 4
    steps = iter(range(10_000))

    def pan() -> None:
        k = next(steps) % 20
        a = lo_s + span * (k / 10)
        view.zoom_to(a, a + span)
        view.graphics.viewport().repaint()

    points = sum(len(lane.starts) for lane in frame.lanes) * 2
    plot = pg.PlotWidget()
    plot.resize(1600, 700)
    x = np.linspace(lo_s, hi_s, points)
    plot.plot(x, np.random.default_rng(1).poisson(20, points).astype(float))
    plot.show()
    app.processEvents()
    base_steps = iter(range(10_000))

    def bare() -> None:
        k = next(base_steps) % 20
        a = lo_s + span * (k / 10)
        plot.setXRange(a, a + span, padding=0)
        plot.viewport().repaint()

    mine = measure(f"app: timeline pan + repaint ({len(view.visible_keys())} lanes)", pan, repeat)
    base = measure(f"baseline: one pyqtgraph plot, {points:,} points, pan + repaint", bare, repeat)
    view.close()
    plot.close()
    return mine, base


def brush(records: pa.Table, repeat: int) -> tuple[Measurement, Measurement]:
    """A brushed range (5 % of the run) → the filtered index installed in the table model and
    its first screenful formatted; baseline: DuckDB counting the same rows."""
    import datetime as dt

    import duckdb
    import pyarrow.compute as pc
    from PySide6.QtCore import Qt

    from inspector.views.record_filter import RecordFilter, filter_rows
    from ui.models.arrow_table_model import ArrowTableModel

    _app()
    times = pc.coalesce(records.column("event_time"), records.column("log_time"))
    lo, hi = pc.min(times).as_py(), pc.max(times).as_py()
    span = hi - lo
    model = ArrowTableModel(records, [c for c in records.column_names if c != "content"][:12])
    ranges = [(lo + span * (k / 23), lo + span * (k / 23 + 0.05)) for k in range(20)]
    it, base_it = iter(ranges * 10), iter(ranges * 10)

    def app_brush() -> None:
        rows = filter_rows(records, RecordFilter(time_range=next(it)))
        model.set_index(rows)
        for r in range(min(40, len(rows))):
            for c in range(model.columnCount()):
                model.data(model.index(r, c), Qt.ItemDataRole.DisplayRole)

    con = duckdb.connect()
    con.register("r", records.select(["event_time", "log_time"]))

    def bare() -> None:
        a, b = next(base_it)
        con.execute(
            "SELECT count(*) FROM r WHERE coalesce(event_time, log_time) >= ? "
            "AND coalesce(event_time, log_time) < ?",
            [a.astimezone(dt.UTC), b.astimezone(dt.UTC)],
        ).fetchall()

    mine = measure("app: brush → filtered rows in the table, first screenful", app_brush, repeat)
    base = measure("baseline: DuckDB counts the rows in the range", bare, repeat)
    return mine, base


def first_window(repeat: int) -> tuple[Measurement, Measurement]:
    """Process start to the app's empty window shown, vs a bare PySide6 window (subprocesses)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    app_code = (
        "import time; t=time.perf_counter(); import sys; "
        "from PySide6.QtWidgets import QApplication; app=QApplication([]); "
        "from ui.style import apply_style; apply_style(app); "
        "from ui.main_window import MainWindow; w=MainWindow(); w.show(); app.processEvents(); "
        "w.grab(); print(time.perf_counter()-t)"
    )
    bare_code = (
        "import time; t=time.perf_counter(); "
        "from PySide6.QtWidgets import QApplication, QMainWindow; app=QApplication([]); "
        "w=QMainWindow(); w.show(); app.processEvents(); w.grab(); print(time.perf_counter()-t)"
    )

    def run(code: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True)
        return time.perf_counter() - t0

    mine = Measurement(
        "app: process start → empty main window painted", [run(app_code) for _ in range(repeat)]
    )
    base = Measurement("baseline: bare PySide6 window", [run(bare_code) for _ in range(repeat)])
    return mine, base


def run(records: pa.Table, repeat: int) -> Section:
    """All GUI figures on ``records`` (a table of the size under test)."""
    _app()
    section = Section(
        f"Desktop app at {records.num_rows:,} records (offscreen)",
        "Goals: a screenful of rows < 5 ms, timeline redraw after pan/zoom < 30 ms, "
        "brush → filtered table < 150 ms, first window < 1 s. Offscreen rendering (no GPU).",
    )
    pairs = [
        ("screen", screenful(records, repeat * 4)),
        ("redraw", redraw(records, repeat * 4)),
        ("brush", brush(records, repeat * 2)),
        ("window", first_window(max(3, repeat))),
    ]
    for goal, (mine, base) in pairs:
        section.measurements += [mine, base]
        met = "met" if mine.median < GOALS[goal] else f"missed ({mine.median * 1000:.1f} ms)"
        section.verdicts.append(
            f"{mine.name.removeprefix('app: ')}: goal < {GOALS[goal] * 1000:g} ms {met}; "
            f"{mine.median / base.median:.1f}× the baseline"
        )
    return section
