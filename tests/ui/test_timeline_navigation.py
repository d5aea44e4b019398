"""The timeline driven by keyboard, findings and the lane tree (issue 16): the pinned ruler,
F8 bringing a finding's lane into view, arrows and +/- and Home/End, Go to Time, lane colours,
exports with a caption and without the cursor."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor
from PySide6.QtTest import QTest

from inspector.demo.writer import write_run
from inspector.model import LoadOptions
from tests.ui.test_timeline import _drag
from ui import export_actions
from ui.main_window import MainWindow
from ui.timeline.colours import FACTOR_COLOUR, LANE_COLOURS, contrast, lane_colour
from ui.timeline.plots import LanePlot
from ui.timeline.view import LANE_HEIGHT


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("navigation-run")
    write_run(str(out), "openbsm-double", seed=4, hours=3, size=3_000_000)
    return str(out)


@pytest.fixture
def window(qtbot, run_dir):
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    with qtbot.waitSignal(win.run_loaded, timeout=120_000):
        win.open_paths([run_dir])
    yield win
    win.loader.cancel()
    win.loader.wait()
    win.timeline.rebinner.wait()


def _click_lanes(window, qtbot) -> None:
    graphics = window.timeline.view.graphics
    qtbot.mouseClick(graphics.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(600, 20))
    assert graphics.hasFocus()


def test_the_ruler_stays_above_the_lanes_and_lines_up_with_them(window, qtbot) -> None:
    view = window.timeline.view
    assert view.scroll_area.isAncestorOf(view.graphics) and not view.scroll_area.isAncestorOf(
        view.ruler
    )
    view.scroll_area.verticalScrollBar().setValue(view.scroll_area.verticalScrollBar().maximum())
    qtbot.wait(50)
    assert (
        view.ruler.isVisible()
        and view.ruler.geometry().bottom() < view.scroll_area.geometry().top()
    )
    # The ruler's axis spans exactly the lanes' plotting area (same left edge and width).
    master = view.plots[view.visible_keys()[0]].view
    rect = master.sceneBoundingRect()
    lanes_left = view.graphics.mapTo(view, view.graphics.mapFromScene(rect.topLeft())).x()
    axis = view.ruler_axis.sceneBoundingRect()
    ruler_left = view.ruler.mapTo(view, view.ruler.mapFromScene(axis.topLeft())).x()
    assert abs(lanes_left - ruler_left) <= 2 and abs(axis.width() - rect.width()) <= 3


def test_f8_zooms_to_the_finding_scrolls_its_lane_into_view_and_highlights_it(window, qtbot):
    view = window.timeline.view
    window.tabs.setCurrentWidget(window.findings_panel)
    qtbot.keyClick(window, Qt.Key.Key_F8)
    finding = window.findings_panel.finding(0)
    key = view.highlighted
    assert key is not None and key[2] == finding["subscriber"]
    top = view.lane_top(key)
    shown = view.scroll_area.verticalScrollBar().value()
    assert shown <= top and top + LANE_HEIGHT <= shown + view.scroll_area.viewport().height()
    assert view.plots[key].view.background.isVisible()  # tinted


def test_arrows_pan_plus_minus_zoom_home_end_jump(window, qtbot) -> None:
    view = window.timeline.view
    _click_lanes(window, qtbot)
    lo, hi = view.current_range()
    qtbot.keyClick(view.graphics, Qt.Key.Key_Plus)
    lo2, hi2 = view.current_range()
    assert hi2 - lo2 < (hi - lo) * 0.8
    qtbot.keyClick(view.graphics, Qt.Key.Key_Right)
    lo3, hi3 = view.current_range()
    assert lo3 > lo2 and abs((hi3 - lo3) - (hi2 - lo2)) < 1
    qtbot.keyClick(view.graphics, Qt.Key.Key_Minus)
    assert view.current_range()[1] - view.current_range()[0] > hi3 - lo3
    qtbot.keyClick(view.graphics, Qt.Key.Key_Plus)
    qtbot.keyClick(view.graphics, Qt.Key.Key_Home)
    assert abs(view.current_range()[0] - view.span[0]) < 1
    qtbot.keyClick(view.graphics, Qt.Key.Key_End)
    assert abs(view.current_range()[1] - view.span[1]) < 1


def test_go_to_time_centres_the_timeline(window, qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QInputDialog

    view = window.timeline.view
    lo, hi = view.current_range()
    target = dt.datetime.fromtimestamp(lo + (hi - lo) / 3, dt.UTC)
    monkeypatch.setattr(
        QInputDialog, "getText", lambda *a, **k: (f"{target:%Y-%m-%d %H:%M:%S}", True)
    )
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    a, b = view.current_range()
    assert abs((a + b) / 2 - target.timestamp()) < 1


def test_keyboard_shortcuts_are_listed_in_help(window, qtbot) -> None:
    qtbot.keyClick(window, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: getattr(window, "shortcuts_box", None) is not None)
    text = window.shortcuts_box.text()
    assert "Ctrl+G" in text and "Home / End" in text and "F8" in text
    window.shortcuts_box.close()


def test_lane_tree_click_scrolls_filter_hides_and_names_have_tooltips(window, qtbot) -> None:
    panel, view = window.timeline, window.timeline.view
    host = panel.tree.topLevelItem(0)
    last = host.child(host.childCount() - 1)
    rect = panel.tree.visualItemRect(last)
    panel.tree.scrollToItem(last)
    rect = panel.tree.visualItemRect(last)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    key = last.data(0, Qt.ItemDataRole.UserRole)
    assert view.highlighted == key
    top = view.lane_top(key)
    shown = view.scroll_area.verticalScrollBar().value()
    assert shown <= top < shown + view.scroll_area.viewport().height()
    assert last.toolTip(0) == view.labels[key]
    assert view.plots[key].label.toolTip() == view.labels[key]
    qtbot.keyClicks(panel.lane_filter, "socket")
    assert view.visible_keys() and all("socket" in view.labels[k] for k in view.visible_keys())
    panel.lane_filter.clear()
    assert any("socket" not in view.labels[k] for k in view.visible_keys())


def test_lane_colours_are_stable_and_readable() -> None:
    assert lane_colour("process_events") == lane_colour("process_events")
    assert len({lane_colour(n) for n in ("process_events", "socket_events", "file_events",
                                         "es_process_events")}) == 4  # fmt: skip
    for colour in [*LANE_COLOURS, FACTOR_COLOUR]:
        assert contrast(colour) >= 3.0, colour
    assert "#F0E442" not in LANE_COLOURS  # Okabe–Ito yellow: 1.2:1 on white


def test_png_export_has_a_caption_and_no_cursor(window, qtbot, tmp_path) -> None:
    view = window.timeline.view
    graphics = view.graphics
    QTest.mouseMove(graphics.viewport(), QPoint(700, 30))
    qtbot.wait(50)
    lo = view.current_range()[0]
    view.show_cursor(lo + 60)  # the cursor line is up, as under a mouse
    key = view.visible_keys()[0]
    assert view.plots[key].cursor.isVisible()
    path = export_actions.export_timeline_image(window, "png", str(tmp_path / "t.png"))
    assert path is not None
    caption = window.timeline.caption()
    assert "mbp-demo-01" in caption and "UTC" in caption and "bucket" in caption
    image = export_actions.timeline_image(window.timeline)
    # No cursor line (#555555) down the lanes where the cursor stands.
    from PySide6.QtCore import QPointF

    plot = view.plots[key].view
    x = int(graphics.mapFromScene(plot.mapViewToScene(QPointF(lo + 60, 0))).x())
    grey = QColor("#555555").rgb()
    column = [image.pixel(xx, y) for xx in (x - 1, x, x + 1)
              for y in range(view.ruler.height(), view.ruler.height() + LANE_HEIGHT * 2)]  # fmt: skip
    assert column.count(grey) < 10
    assert view.plots[key].cursor.isVisible()  # shown again after the export
    assert image.height() > view.ruler.height() + graphics.height()
    svg = export_actions.export_timeline_image(window, "svg", str(tmp_path / "t.svg"))
    with open(svg, encoding="utf-8") as f:
        text = f.read()
    assert "times in UTC" in text and "#555555" not in text


def test_subscriptions_have_a_lane_beside_their_subscriber(window, qtbot) -> None:
    view = window.timeline.view
    lanes = [k for k in view.order if k[4] == "subscriptions"]
    assert {k[2] for k in lanes} >= {"process_events", "socket_events"}
    doubled = next(k for k in lanes if k[2] == "process_events")
    assert doubled in view.visible_keys()  # its count changed: shown by default
    steady = [k for k in lanes if k[2] in ("file_events", "es_process_events")]
    assert steady and all(k in view.hidden for k in steady)
    plot = view.plots[doubled]
    values = plot.values[~(plot.values != plot.values)]  # without NaN
    assert values.max() >= 2 * values.min() > 0  # the doubled subscription is in it
    at = view.order.index(doubled)
    assert view.order[at - 1][2] == "process_events"  # right after its subscriber's lanes


def test_cursor_brush_and_overlay_are_made_when_first_shown(window, qtbot) -> None:
    """A run's lanes are built without them (the window waits for the lanes); the mouse makes
    the cursor lines, a Shift+drag the brush, each drawn above the curve and below markers."""
    view = window.timeline.view
    plots = list(view.plots.values())
    # (The cursor lines may be up already: the pointer of an earlier test may rest on the lanes.)
    assert all(p._brush is None and p._overlay is None for p in plots)
    fresh = LanePlot(next(iter(window.timeline.frame.lanes)), "#0072B2", False)
    assert fresh._cursor is None and fresh._brush is None and fresh._overlay is None
    fresh.hide_cursor()
    fresh.hide_brush()
    assert fresh._cursor is None and fresh._brush is None  # hiding makes nothing
    view.clear_brush()
    assert all(p._brush is None for p in plots)
    view.hide_cursor()
    assert not any(p.cursor_shown() or p.overlay_shown() for p in plots)
    graphics = view.graphics
    key = view.visible_keys()[0]
    plot = view.plots[key]
    centre = graphics.mapFromScene(plot.view.sceneBoundingRect().center())
    QTest.mouseMove(graphics.viewport(), centre + QPoint(40, 0))  # from elsewhere: a real move
    qtbot.wait(30)
    QTest.mouseMove(graphics.viewport(), centre)
    qtbot.wait(30)  # the move handled before the press that follows
    assert plot.cursor_shown()
    assert plot.curve.zValue() < plot.cursor.zValue() < plot.markers.zValue()
    with qtbot.waitSignal(window.timeline.brushed, timeout=5_000):
        _drag(graphics.viewport(), centre, centre + QPoint(120, 0),
              Qt.KeyboardModifier.ShiftModifier)  # fmt: skip
    qtbot.waitUntil(lambda: view.brush_range is not None, timeout=5_000)
    assert plot.brush.isVisible() and plot.curve.zValue() < plot.brush.zValue()
    assert plot.brush in plot.shown_curves()
    view.clear_brush()
    assert not plot.brush.isVisible() and plot.brush not in plot.shown_curves()


def test_a_lane_shown_after_a_brush_shows_the_brush(window, qtbot) -> None:
    view = window.timeline.view
    hidden = next(k for k in view.order if k in view.hidden)
    lo, _hi = view.current_range()
    view.set_brush(lo + 60, lo + 600)
    assert all(view.plots[k].brush.isVisible() for k in view.visible_keys())
    assert view.plots[hidden]._brush is None  # made when the lane is shown
    view.set_hidden(view.hidden - {hidden})
    brush = view.plots[hidden].brush
    assert brush.isVisible() and tuple(brush.getRegion()) == (lo + 60, lo + 600)
    view.clear_brush()
    assert not any(view.plots[k].brush.isVisible() for k in view.visible_keys())
