"""The timeline and the findings as a person uses them: lanes, zoom, brush, findings, markers."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from inspector.demo.writer import write_run
from inspector.model import LoadOptions
from ui.main_window import MainWindow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("timeline-run")
    truth = write_run(str(out), "openbsm-double", seed=4, hours=3, size=3_000_000)
    return str(out), truth


@pytest.fixture
def window(qtbot, run_dir):
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    with qtbot.waitSignal(win.run_loaded, timeout=120_000):
        win.open_paths([run_dir[0]])
    yield win
    win.loader.cancel()
    win.loader.wait()
    win.timeline.rebinner.wait()


def _t(iso: str) -> float:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_lanes_markers_and_bursts_are_drawn(window, run_dir, tmp_path) -> None:
    _, truth = run_dir
    view = window.timeline.view
    labels = [view.labels[k] for k in view.visible_keys()]
    assert "openbsm → process_events" in labels and "fsevents → file_events" in labels
    # Factor lanes show for the subscribers that doubled, not for the healthy ones.
    factor_lanes = [k for k in view.visible_keys() if k[-1] == "factor"]
    assert {k[2] for k in factor_lanes} == {"process_events", "socket_events"}
    key = next(k for k in view.visible_keys() if k[2] == "process_events" and k[4] == "results")
    plot = view.plots[key]
    tips = plot.decoration_texts
    changes = [m for m in truth["markers"] if m["kind"] == "config_change"]
    assert sum(tip.startswith("config_change at") for tip in tips) == len(changes)
    bursts = [tip for tip in tips if tip.startswith("duplicate burst")]
    assert len(bursts) == sum(
        1 for f in truth["faults"]
        if f["subscriber"] == "process_events" and f["source"] == "results_log"
    )  # fmt: skip
    assert window.grab().save(str(tmp_path / "timeline-window.png"))


def test_selecting_a_finding_zooms_the_timeline_to_it(window, qtbot) -> None:
    window.tabs.setCurrentWidget(window.findings_panel)
    full = window.timeline.view.current_range()
    qtbot.keyClick(window, Qt.Key.Key_F8)  # next finding: the biggest one
    finding = window.findings_panel.finding(0)
    lo, hi = window.timeline.view.current_range()
    assert lo <= finding["start"].timestamp() and hi >= finding["end"].timestamp()
    assert hi - lo < full[1] - full[0]
    assert "Duplicate burst in" in window.message.text()
    # The zoom re-bins to a finer bucket in the background.
    qtbot.waitUntil(lambda: window.timeline.frame.lo_us is not None, timeout=10_000)


def test_zooming_in_rebins_to_smaller_buckets(window, qtbot) -> None:
    panel = window.timeline
    start = panel.frame.width_us
    lo, _ = panel.view.current_range()
    panel.view.zoom_to(lo + 3600, lo + 3600 + 600)  # ten minutes
    qtbot.waitUntil(lambda: panel.frame.width_us < start, timeout=10_000)
    assert panel.frame.width_us <= 5_000_000
    assert "s" in panel.bucket_label.text()


def test_shift_drag_selects_a_time_range(window, qtbot) -> None:
    panel = window.timeline
    key = panel.view.visible_keys()[0]
    plot = panel.view.plots[key]
    graphics = panel.view.graphics
    rect = plot.view.sceneBoundingRect()
    a = graphics.mapFromScene(rect.left() + rect.width() * 0.3, rect.center().y())
    b = graphics.mapFromScene(rect.left() + rect.width() * 0.6, rect.center().y())
    with qtbot.waitSignal(panel.brushed, timeout=5_000) as signal:
        _drag(graphics.viewport(), a, b, Qt.KeyboardModifier.ShiftModifier)
    lo, hi = signal.args
    assert lo is not None and hi > lo
    assert panel.view.brush_range is not None and panel.clear_selection.isEnabled()
    assert "Selected" in window.message.text()
    with qtbot.waitSignal(panel.brushed, timeout=5_000) as cleared:
        qtbot.mouseClick(panel.clear_selection, Qt.MouseButton.LeftButton)
    assert cleared.args == [None, None]


def _drag(widget, a: QPoint, b: QPoint, modifiers) -> None:
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, modifiers, a)
    for k in range(1, 11):
        p = a + (b - a) * (k / 10)
        QTest.mouseMove(widget, p)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, modifiers, b)


def test_lane_tree_hides_lanes_and_filters(window, qtbot) -> None:
    panel = window.timeline
    before = len(panel.view.visible_keys())
    host = panel.tree.topLevelItem(0)
    first = host.child(0)
    first.setCheckState(0, Qt.CheckState.Unchecked)
    assert len(panel.view.visible_keys()) == before - 1
    qtbot.keyClicks(panel.lane_filter, "socket")
    shown = [
        host.child(i).text(0) for i in range(host.childCount()) if not host.child(i).isHidden()
    ]
    assert shown and all("socket" in s for s in shown)


def test_cursor_and_marker_stepping(window, run_dir) -> None:
    _, truth = run_dir
    panel = window.timeline
    change = next(m for m in truth["markers"] if m["kind"] == "config_change")
    text = panel.view.show_cursor(_t(change["at"]) + 600)
    assert "openbsm → process_events:" in text and "UTC" in text
    panel.view.zoom_to(_t(truth["start"]), _t(truth["start"]) + 1800)
    found = panel.step_marker(+1)
    assert found is not None and found["t"] > _t(truth["start"]) + 900
    assert found["kind"] in panel.cursor_line.text()


def test_a_finding_filters_the_records_to_its_rows(window, qtbot) -> None:
    window.findings_panel.select(0)
    finding = window.findings_panel.finding(0)
    records = window.records_panel
    qtbot.waitUntil(
        lambda: records.model.rowCount() < window.workspace.records.num_rows, timeout=10_000
    )
    flt = records.current_filter
    assert flt.subscribers == frozenset({finding["subscriber"]})
    assert "of" in window.tabs.tabText(window.tabs.indexOf(records))
    # Every row shown is that subscriber's, inside the burst.
    table, model = window.workspace.records, records.model
    for view_row in range(0, model.rowCount(), max(1, model.rowCount() // 20)):
        row = table.slice(model.table_row(view_row), 1).to_pylist()[0]
        assert row["subscriber"] == finding["subscriber"]
        assert finding["start"] <= row["event_time"] < finding["end"]


def test_brushing_filters_the_records_to_the_range(window, qtbot) -> None:
    panel, records = window.timeline, window.records_panel
    lo, hi = panel.view.current_range()
    a, b = lo + (hi - lo) * 0.4, lo + (hi - lo) * 0.45
    with qtbot.waitSignal(records.filter_changed, timeout=10_000):
        panel.view.set_brush(a, b)
        panel.view.brushed.emit(a, b)
    shown = records.model.rowCount()
    assert 0 < shown < window.workspace.records.num_rows
    assert records.current_filter.time_range is not None
    with qtbot.waitSignal(records.filter_changed, timeout=10_000):
        panel.view.clear_brush()
    assert records.model.rowCount() == window.workspace.records.num_rows


def test_a_lane_axis_renders_its_title_only_when_shown(qtbot) -> None:
    """pyqtgraph re-renders an axis title's HTML at every range change; a lane's axis has no
    title shown and skips that, yet a shown title still follows the axis."""
    import pyqtgraph as pg

    from ui.timeline.plots import LaneAxis

    view = pg.ViewBox()
    axis = LaneAxis("left")
    axis.linkToView(view)
    rendered: list[str] = []
    real = axis.label.setHtml
    axis.label.setHtml = lambda html: (rendered.append(html), real(html))[1]
    for top in (10, 100, 1000, 10_000):
        view.setYRange(0, top, padding=0)
    assert rendered == []
    axis.setLabel("rows")  # shows the title
    view.setYRange(0, 50, padding=0)
    assert rendered and "rows" in rendered[-1]


def test_lanes_made_ahead_draw_as_lanes_made_for_their_run(qtbot, window) -> None:
    """Spare lanes (made while a run loads) take their lane's key, colours, label and values:
    a view built from them looks exactly like one built from new lanes."""
    from ui.timeline.view import TimelineView

    frame = window.timeline.frame
    views, made = [], set()
    for spares in (0, 40):
        view = TimelineView()
        qtbot.addWidget(view)
        view.resize(1000, 600)
        view.show()
        view.make_spares(spares)
        qtbot.waitUntil(lambda v=view, n=spares: v.spare_count() == n, timeout=10_000)
        made |= {id(p) for p in view._spares}
        view.set_frame(frame)
        view.zoom_to(*window.timeline.span)
        views.append(view)
    fresh, reused = views
    assert len(reused.plots) <= 40 and {id(p) for p in reused.plots.values()} <= made
    assert reused.spare_count() == 0  # the ones left over are let go once the lanes are built
    assert [p.key for p in fresh.plots.values()] == [p.key for p in reused.plots.values()]
    qtbot.wait(50)
    assert fresh.graphics.grab().toImage() == reused.graphics.grab().toImage()
