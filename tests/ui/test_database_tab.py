"""The Database tab as a person uses it: open a database, look, select, click the chart."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QPoint, Qt

from tests import db_layouts as L


def open_database(window, qtbot, tmp_path) -> str:
    path = str(tmp_path / "osquery.db")
    L.write_current(path)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([path])
    return path


def show_tab(window, qtbot) -> None:
    panel = window.database.panel
    with qtbot.waitSignal(window.database.measured, timeout=60_000):
        tab_bar = window.tabs.tabBar()
        index = window.tabs.indexOf(panel)
        qtbot.mouseClick(tab_bar, Qt.MouseButton.LeftButton, pos=tab_bar.tabRect(index).center())
        # measured on the worker: the tab says so meanwhile, the window keeps responding
        assert panel.busy.isVisible() and "Measuring" in panel.summary.text()


def test_the_tab_measures_the_run_database_when_shown(window, qtbot, tmp_path) -> None:
    path = open_database(window, qtbot, tmp_path)
    panel = window.database.panel
    assert window.database.stale and panel.report is None  # nothing read until the tab shows
    show_tab(window, qtbot)
    report = panel.report
    assert report is not None and report.database == path
    text = panel.summary.text()
    assert "expiry does not keep up: process_events" in text and "family <i>queries</i>" in text
    model = panel.subscribers.model
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert model.rowCount() == 2
    keeps = headers.index("expiry_keeps_up")
    subscriber = headers.index("subscriber")
    shown = {
        model.data(model.index(r, subscriber)): model.data(model.index(r, keeps)) for r in range(2)
    }
    assert shown == {"file_events": "yes", "process_events": "NO"}
    families = panel.families.model
    assert families.rowCount() == 6
    assert panel.indexes.model.rowCount() == 2  # optimize, optimize_eid
    # the charts: one curve per subscriber, each edge at its newest event − its expiry
    chart = panel.buffer_chart
    assert set(chart.curves) == {
        ("inotify", "file_events"),
        ("auditeventpublisher", "process_events"),
    }
    assert chart.edges[("inotify", "file_events")] == L.T0 + 12 - 4560
    assert chart.edges[("auditeventpublisher", "process_events")] == L.T0 + 7300 - 3600
    assert "data.inotify.file_events" in panel.bytes_chart.classes
    panel.grab().save(str(tmp_path / "database-tab.png"))


def test_selecting_a_subscriber_moves_the_timeline_and_filters_the_records(
    window, qtbot, tmp_path
) -> None:
    open_database(window, qtbot, tmp_path)
    show_tab(window, qtbot)
    panel = window.database.panel
    view = panel.subscribers.view
    model = panel.subscribers.model
    row = next(
        r for r in range(model.rowCount())
        if model.data(model.index(r, 1)) == "process_events"
    )  # fmt: skip
    rect = view.visualRect(model.index(row, 1))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    flt = window.records_panel.current_filter
    assert flt.subscribers == frozenset({"process_events"}) and flt.stream == "osquery_db"
    lo, hi = flt.time_range
    assert lo == dt.datetime.fromtimestamp(L.T0 + 100, dt.UTC)
    assert hi == dt.datetime.fromtimestamp(L.T0 + 7301, dt.UTC)
    qtbot.waitUntil(lambda: window.records_panel.model.rowCount() == 5, timeout=10_000)
    shown = window.timeline.view.current_range()
    assert shown[0] <= L.T0 + 100 and shown[1] >= L.T0 + 7300
    assert panel.buffer_chart.selected == ("auditeventpublisher", "process_events")
    assert panel.buffer_chart.distinct_curve is not None


def test_clicking_a_bucket_filters_its_events(window, qtbot, tmp_path) -> None:
    open_database(window, qtbot, tmp_path)
    show_tab(window, qtbot)
    panel = window.database.panel
    chart = panel.buffer_chart
    panel.charts.setCurrentWidget(chart)
    view = chart.getPlotItem().vb
    chart.setXRange(L.T0 - 100, L.T0 + 7400, padding=0)
    qtbot.wait(50)
    width = panel.report.bucket_seconds
    start = (L.T0 + 1900) // width * width  # the bucket of process_events' second event
    target = start + width / 2
    scene = view.mapViewToScene(pg_point(target, 0.5))
    pos = chart.mapFromScene(scene)
    with qtbot.waitSignal(panel.bucket_selected, timeout=5_000) as blocker:
        qtbot.mouseClick(
            chart.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(int(pos.x()), int(pos.y()))
        )
    bucket = blocker.args[0]
    assert bucket["start"].timestamp() <= L.T0 + 1900 < bucket["end"].timestamp()
    flt = window.records_panel.current_filter
    assert flt.time_range == (bucket["start"], bucket["end"]) and flt.stream == "osquery_db"
    qtbot.waitUntil(lambda: window.records_panel.model.rowCount() == 1, timeout=10_000)


def test_a_run_without_a_database_says_so(window, qtbot, tmp_path) -> None:
    from tests.osquery_lines import event_line

    log = tmp_path / "osqueryd.results.log"
    log.write_text(event_line("q", {"n": "1"}) + "\n")
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(log)])
    panel = window.database.panel
    window.tabs.setCurrentWidget(panel)
    assert "No osquery.db in this run" in panel.summary.text()
    assert not window.database.stale


def pg_point(x: float, y: float):
    from PySide6.QtCore import QPointF

    return QPointF(x, y)
