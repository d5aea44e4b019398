"""Reopening from the read cache, and File → Clear Read Cache…, as a person uses them."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from inspector.demo.writer import write_run
from inspector.loading import small_files
from inspector.loading.read_cache import ReadCache


def _menu_action(window, text: str):
    for menu_action in window.menuBar().actions():
        for action in menu_action.menu().actions():
            if action.text().replace("&", "") == text:
                return action
    raise AssertionError(f"no menu item {text!r}")


def test_reopen_comes_from_the_cache_and_clearing_asks(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)  # the demo's logs stand for big ones
    ReadCache().clear()
    write_run(str(tmp_path), "linux-control", seed=3, hours=1, size=200_000)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path)])
    first = window.workspace
    assert first.from_cache == 0
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path)])
    ws = window.workspace
    files = [s for s in ws.sources if s.status == "loaded" and s.kind != "osquery_db"]
    assert ws.from_cache == len(files) > 3  # every file; the database is copied and read
    assert "from the read cache" in window.message.text()
    assert ws.records.num_rows == first.records.num_rows
    model = window.sources_panel.model
    cache_column = [
        model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())
    ].index("cache")
    shown = {model.data(model.index(r, cache_column)) for r in range(model.rowCount())}
    assert "read back" in shown

    asked = []
    monkeypatch.setattr(
        QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No
    )
    _menu_action(window, "Clear Read Cache…").trigger()
    assert "Remove" in asked[0] and ReadCache().usage()[0] == len(files)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    _menu_action(window, "Clear Read Cache…").trigger()
    qtbot.waitUntil(lambda: "Read cache cleared" in window.message.text(), timeout=10_000)
    assert ReadCache().usage() == (0, 0)
    shown_info = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: shown_info.append(a[2]))
    _menu_action(window, "Clear Read Cache…").trigger()
    assert "empty" in shown_info[0]
