"""Honest states of the window (issue 16): the window never widens past its size, one display
zone for every view, a page that says nothing loadable was found, actions that need a run."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest

from inspector.demo.writer import write_run
from inspector.model import LoadOptions
from tests.ui.conftest import click_tab
from ui.main_window import MainWindow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("states-run")
    write_run(str(out), "openbsm-double", seed=5, hours=2, size=1_500_000)
    return str(out)


def _open(qtbot, paths, size=(1280, 800)) -> MainWindow:
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    with qtbot.waitSignal(win.run_loaded, timeout=120_000):
        win.open_paths(paths)
    return win


def test_moving_over_the_timeline_never_widens_the_window(qtbot, run_dir) -> None:
    win = _open(qtbot, [run_dir])
    graphics = win.timeline.view.graphics
    for x in (500, 700, 900):
        QTest.mouseMove(graphics.viewport(), QPoint(x, 30))
        qtbot.wait(20)
    assert len(win.timeline.cursor_line.text()) > 200  # every lane's value: a long line
    qtbot.wait(100)
    assert win.width() == 1280 and win.minimumSizeHint().width() < 1280
    win.close()
    geometry = QSettings().value("window/geometry")
    restored = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(restored)
    restored.restoreGeometry(geometry)
    assert restored.width() <= 1280


def test_one_display_zone_drives_every_view(qtbot, run_dir, monkeypatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")  # this machine's zone, for "Local"
    win = _open(qtbot, [run_dir])
    try:
        box = win.zone_box
        assert box.count() == 2 and box.currentText() == "UTC"
        findings = win.findings_panel.model
        utc_start = findings.data(findings.index(0, findings.columns.index("start")))
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
        qtbot.keyClick(box.view() if box.view().isVisible() else box, Qt.Key.Key_Down)
        if box.view().isVisible():
            qtbot.keyClick(box.view(), Qt.Key.Key_Return)
        assert box.currentData() == "Europe/Berlin"
        column = findings.columns.index("start")
        assert findings.headerData(column, Qt.Orientation.Horizontal) == "start (Europe/Berlin)"
        local_start = findings.data(findings.index(0, column))
        parsed = [dt.datetime.fromisoformat(t) for t in (utc_start, local_start)]
        assert parsed[1] - parsed[0] in (dt.timedelta(hours=1), dt.timedelta(hours=2))
        for model in (win.records_panel.model, win.status_panel.model):
            headers = [model.headerData(i, Qt.Orientation.Horizontal)
                       for i in range(model.columnCount())]  # fmt: skip
            assert "log_time (Europe/Berlin)" in headers
        assert win.timeline.view.zone == "Europe/Berlin"
        click_tab(qtbot, win, win.overview_panel)
        assert "CET" in win.overview_panel.label.text() or "CEST" in win.overview_panel.label.text()
        win.tabs.setCurrentWidget(win.findings_panel)
        qtbot.keyClick(win, Qt.Key.Key_F8)
        assert "CET" in win.message.text() or "CEST" in win.message.text()
        win.tabs.setCurrentWidget(win.records_panel)
        win.records_panel.select_table_row(int(win.records_panel.model.table_row(0)))
        fields = dict(
            (win.records_panel.detail.fields.item(i, 0).text(),
             win.records_panel.detail.fields.item(i, 1).text())
            for i in range(win.records_panel.detail.fields.rowCount())
        )  # fmt: skip
        times = [v for k, v in fields.items() if k in ("log_time", "event_time") and v]
        assert times and all(t.endswith(("+01:00", "+02:00")) for t in times)
    finally:
        win.zone.set_name("UTC")


def test_an_empty_folder_says_nothing_loadable_was_found(window, qtbot, tmp_path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(empty)])
    assert window.stack.currentWidget() is window.nothing_page
    text = window.nothing_page.text.text()
    assert "Nothing loadable was found" in text and "no files" in text
    assert "no duplicated delivery" not in text
    assert not any(a.isEnabled() for a in window.run_actions)


def test_only_other_programs_files_list_the_reasons(window, qtbot, tmp_path) -> None:
    folder = tmp_path / "other"
    folder.mkdir()
    (folder / "notes.txt").write_text("shopping list\nmilk\n")
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(folder)])
    assert window.stack.currentWidget() is window.nothing_page
    text = window.nothing_page.text.text()
    assert "notes.txt" in text and "picture.png" in text
    open_button = next(b for b in window.nothing_page.findChildren(type(window.cancel_button))
                       if b.text() == "Open Folder…")  # fmt: skip
    assert open_button.isVisible()


def test_actions_that_need_a_run_are_disabled_until_one_is_loaded(window, qtbot, run_dir):
    exports = [a for a in window.run_actions if "Export" in a.text()]
    assert exports and not any(a.isEnabled() for a in window.run_actions)
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # no dialog
    with qtbot.waitSignal(window.run_loaded, timeout=120_000):
        window.open_paths([run_dir])
    assert all(a.isEnabled() for a in window.run_actions)


def test_a_large_remembered_layout_gives_the_lanes_their_width(qtbot, run_dir) -> None:
    first = _open(qtbot, [run_dir], size=(1920, 1200))
    first.split.setSizes([900, 260])
    first.close()
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.run_loaded, timeout=120_000):
        win.open_paths([run_dir])
    with qtbot.waitSignal(win.compare.comparer.compared, timeout=120_000):
        win.open_compare([run_dir])
    qtbot.wait(100)
    view = win.timeline.view
    lane = view.plots[view.visible_keys()[0]].view
    assert lane.width() > 0.5 * view.width()
