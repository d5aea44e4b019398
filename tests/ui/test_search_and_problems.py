"""Search with highlighting (Records, Status log), a Problems row's line in context, and the
query choice narrowed to the chosen subscriber (issue 16), with real input events."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from inspector.demo.writer import write_run
from inspector.model import LoadOptions
from ui.main_window import MainWindow
from ui.widgets.highlight_delegate import match_spans


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("search-run")
    write_run(str(out), "openbsm-double", seed=7, hours=2, size=1_500_000)
    host = next(p for p in out.iterdir() if p.is_dir())
    with open(host / "osqueryd.results.log", "a", encoding="utf-8") as f:
        f.write("this is not json\n")
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


def test_match_spans_ignore_case() -> None:
    assert match_spans("Config Change config", "config") == [(0, 6), (14, 20)]
    assert match_spans("abc", "") == []


def test_status_log_search_keeps_matching_lines_and_marks_them(window, qtbot) -> None:
    panel = window.status_panel
    window.tabs.setCurrentWidget(panel)
    total = panel.model.rowCount()
    qtbot.keyClicks(panel.search, "publisher")
    qtbot.waitUntil(lambda: 0 < panel.model.rowCount() < total, timeout=10_000)
    column = panel.model.columns.index("message")
    messages = [
        panel.model.data(panel.model.index(r, column)) for r in range(panel.model.rowCount())
    ]
    hits = [any("publisher" in (panel.model.data(panel.model.index(r, c)) or "").lower()
                for c in range(panel.model.columnCount())) for r in range(panel.model.rowCount())]  # fmt: skip
    assert all(hits) and messages
    assert panel.highlight.needle == "publisher" and "hold" in panel.caption.text()
    panel.grab()  # the delegate paints the marks without error
    panel.search.clear()
    assert panel.model.rowCount() == total and panel.highlight.needle == ""


def test_records_search_marks_the_text_in_the_cells(window, qtbot) -> None:
    panel = window.records_panel
    window.tabs.setCurrentWidget(panel)
    with qtbot.waitSignal(panel.filter_changed, timeout=30_000):
        qtbot.keyClicks(panel.bar.text, "socket")
        qtbot.keyClick(panel.bar.text, Qt.Key.Key_Return)
    assert panel.highlight.needle == "socket"
    image = panel.view.viewport().grab().toImage()
    marked = sum(
        1 for x in range(0, image.width(), 2) for y in range(0, min(image.height(), 200), 2)
        if image.pixelColor(x, y).name() == "#ffe066"
    )  # fmt: skip
    assert marked > 20  # the yellow marks are painted


def test_double_clicking_a_problem_shows_its_line_in_context(window, qtbot) -> None:
    panel = window.problems_panel
    window.tabs.setCurrentWidget(panel)
    model = panel.model
    source = model.columns.index("source")
    rows = model.table.to_pylist()
    ours = [r for r in range(model.rowCount())
            if rows[model.table_row(r)]["source"].endswith("osqueryd.results.log")
            and rows[model.table_row(r)]["line"] is not None]  # fmt: skip
    row = max(ours, key=lambda r: rows[model.table_row(r)]["line"])  # the line appended
    rect = panel.view.visualRect(model.index(row, source))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    dialog = window.problem_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: bool(dialog.marked_text()), timeout=10_000)
    assert "this is not json" in dialog.marked_text(), dialog.text.toPlainText()
    assert len(dialog.text.toPlainText().splitlines()) > 1  # the lines around it too
    dialog.close()


def test_the_query_choice_narrows_to_the_chosen_subscriber(window, qtbot) -> None:
    bar = window.records_panel.bar
    window.tabs.setCurrentWidget(window.records_panel)
    qtbot.waitUntil(lambda: bar.combos["subscriber"].count() > 2, timeout=30_000)
    queries = bar.combos["query"]
    every = queries.count()
    subscriber = bar.combos["subscriber"]
    at = next(i for i in range(subscriber.count()) if subscriber.itemData(i) == "socket_events")
    subscriber.setFocus()
    qtbot.keyClick(subscriber, Qt.Key.Key_Home)
    for _ in range(at):
        qtbot.keyClick(subscriber, Qt.Key.Key_Down)
    assert subscriber.currentData() == "socket_events"
    offered = [queries.itemData(i) for i in range(1, queries.count())]
    named = [q for q in offered if not q.startswith("\x00")]  # "(none)": the database's rows
    assert 0 < len(offered) < every - 1 and named and all("socket" in q for q in named)
    subscriber.setCurrentIndex(0)  # all subscribers: all queries again
    assert queries.count() == every
