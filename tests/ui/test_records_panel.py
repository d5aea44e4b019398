"""The records panel as a person uses it: choose, type, click headers and rows, copy."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication

from inspector.demo.writer import write_run
from inspector.files.source_file import read_head
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from ui.widgets.records_panel import RecordsPanel

WAIT = 10_000


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    truth = write_run(str(out), "openbsm-double", seed=3, hours=2, size=2_000_000)
    return load([str(out)], LoadOptions(tz="UTC")).records, truth


@pytest.fixture
def panel(qtbot, run):
    widget = RecordsPanel()
    qtbot.addWidget(widget)
    widget.resize(1600, 900)
    widget.show()
    widget.show_records(run[0])
    # The choices with their counts come from the worker.
    qtbot.waitUntil(lambda: widget.bar.combos["subscriber"].count() > 1, timeout=WAIT)
    # So do the rows in time order (another worker: on a busy machine it may come second).
    qtbot.waitUntil(lambda: widget.model.rowCount() == run[0].num_rows, timeout=WAIT)
    yield widget
    widget.shutdown()


def total(run) -> int:
    return run[0].num_rows


def choose(panel: RecordsPanel, name: str, value: str) -> None:
    combo = panel.bar.combos[name]
    combo.setCurrentIndex(combo.findData(value))  # as picking the entry in the list does


def column(panel: RecordsPanel, name: str) -> int:
    return panel.model.columns.index(name)


def cell(panel: RecordsPanel, row: int, name: str) -> str:
    return panel.model.data(panel.model.index(row, column(panel, name)))


def test_choosing_a_subscriber_filters_and_counts(panel, qtbot, run) -> None:
    records = run[0]
    assert panel.caption.text() == f"{total(run):,} of {total(run):,} records"
    expected = int(
        pc.sum(pc.equal(records.column("subscriber").cast(pa.string()), "file_events")).as_py()
    )
    with qtbot.waitSignal(panel.filter_changed, timeout=WAIT) as changed:
        choose(panel, "subscriber", "file_events")
    assert changed.args == [expected, total(run)]
    assert panel.caption.text() == f"{expected:,} of {total(run):,} records"
    assert {cell(panel, r, "subscriber") for r in range(panel.model.rowCount())} == {"file_events"}
    panel.clear_filters()
    qtbot.waitUntil(lambda: panel.model.rowCount() == total(run), timeout=WAIT)


def test_only_the_latest_request_is_shown(panel, qtbot, run) -> None:
    shown = []
    panel.filter_changed.connect(lambda n, _: shown.append(n))
    choose(panel, "subscriber", "file_events")
    choose(panel, "subscriber", "socket_events")  # before the first result arrives
    assert panel.busy.isVisible() and panel.busy_label.text() == "filtering…"
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT)
    qtbot.wait(300)
    sockets = int(
        pc.sum(pc.equal(run[0].column("subscriber").cast(pa.string()), "socket_events")).as_py()
    )
    assert shown == [sockets]
    assert not panel.busy.isVisible()


def test_bad_sql_shows_an_inline_error_until_fixed(panel, qtbot, run) -> None:
    qtbot.keyClicks(panel.bar.sql, "foo = 1")
    qtbot.waitUntil(panel.bar.error.isVisible, timeout=WAIT)
    assert 'column "foo" not found' in panel.bar.error.text()
    assert panel.bar.error.palette().color(panel.bar.error.foregroundRole()).red() > 150
    # The previous filter's rows and count are not left under the error (they are stale).
    assert panel.model.rowCount() == 0
    assert "the filter has an error" in panel.caption.text()
    panel.bar.sql.clear()
    qtbot.keyClicks(panel.bar.sql, "json_extract_string(columns, '$.path') LIKE '/usr/%'")
    qtbot.keyClick(panel.bar.sql, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not panel.bar.error.isVisible(), timeout=WAIT)
    qtbot.waitUntil(lambda: panel.model.rowCount() < total(run), timeout=WAIT)
    shown = run[0].column("columns").take(pa.array(panel.model.index_array)).to_pylist()
    paths = {json.loads(text)["path"][:5] for text in shown}
    assert paths == {"/usr/"}


def _click_header(panel: RecordsPanel, qtbot, name: str) -> None:
    header = panel.view.horizontalHeader()
    section = column(panel, name)
    panel.view.scrollTo(panel.model.index(0, section))
    at = QPoint(header.sectionViewportPosition(section) + 10, header.height() // 2)
    with qtbot.waitSignal(panel.filter_changed, timeout=WAIT):
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=at)


def test_header_click_sorts_and_toggles(panel, qtbot, run) -> None:
    times = pc.coalesce(run[0].column("event_time"))
    lowest = pc.min(times).as_py().strftime("%Y-%m-%d %H:%M:%S")
    highest = pc.max(times).as_py().strftime("%Y-%m-%d %H:%M:%S")
    _click_header(panel, qtbot, "event_time")
    assert cell(panel, 0, "event_time").startswith(lowest)
    _click_header(panel, qtbot, "event_time")
    assert cell(panel, 0, "event_time").startswith(highest)
    assert panel.view.horizontalHeader().sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    _click_header(panel, qtbot, "subscriber")  # nulls stay last either way
    assert cell(panel, 0, "subscriber") == "es_process_events"
    assert cell(panel, panel.model.rowCount() - 1, "subscriber") == ""


def _select(panel: RecordsPanel, qtbot, view_row: int) -> None:
    index = panel.model.index(view_row, 0)
    panel.view.scrollTo(index)
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=panel.view.visualRect(index).center())  # fmt: skip


def test_selecting_a_row_shows_its_file_line_and_raw_text(panel, qtbot, run) -> None:
    records = run[0]
    sources = records.column("source").cast(pa.string())
    row = int(np.flatnonzero(pc.ends_with(sources, ".zst").to_numpy(False))[30])
    at = panel.model.view_row_of(row)
    _select(panel, qtbot, at)
    path, line = str(sources[row]), records.column("line")[row].as_py()
    raw = read_head(path, 10_000_000).split(b"\n")[line - 1].decode()
    assert panel.detail.provenance.text() == f"{path}:{line}"
    fields = panel.detail.fields
    names = [fields.item(i, 0).text() for i in range(fields.rowCount())]
    assert names[0].startswith("columns.")  # the record's own columns first, then the envelope
    assert os.path.basename(path) in fields.item(names.index("source"), 1).text()
    qtbot.waitUntil(lambda: raw in panel.detail.raw_text(), timeout=WAIT)
    assert f"{line}  {raw}" in panel.detail.raw_text().splitlines()

    panel.detail.copy_button.click()
    copied = json.loads(QGuiApplication.clipboard().text())
    assert copied["line"] == line and copied["columns"] == json.loads(
        records.column("columns")[row].as_py()
    )

    qtbot.keyClick(panel.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(panel.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QGuiApplication.clipboard().text().splitlines()
    assert [json.loads(text)["source"] for text in lines] == [
        path,
        str(sources[panel.model.table_row(at + 1)]),
    ]


def test_one_query_shows_its_json_keys_as_columns(panel, qtbot, run) -> None:
    with qtbot.waitSignal(panel.filter_changed, timeout=WAIT):
        choose(panel, "query", "pack_fim_file_events")
    headers = [
        panel.model.headerData(i, Qt.Orientation.Horizontal)
        for i in range(panel.model.columnCount())
    ]
    assert {"target_path", "sha256", "action"} <= set(headers)
    first = json.loads(run[0].column("columns")[panel.model.table_row(0)].as_py())
    assert cell(panel, 0, "columns.target_path") == first["target_path"]
    _click_header(panel, qtbot, "columns.size")
    sizes = [int(cell(panel, r, "columns.size")) for r in range(40)]
    assert sizes == sorted(sizes)  # JSON values sort as numbers


def test_finding_focus_selects_its_first_row_and_copies_jump(panel, qtbot, run) -> None:
    fault = next(f for f in run[1]["faults"] if f.get("factor") == 2.0)
    start, end = (
        dt.datetime.fromisoformat(fault[k].replace("Z", "+00:00")) for k in ("start", "end")
    )
    with qtbot.waitSignal(panel.filter_changed, timeout=WAIT) as changed:
        panel.focus_finding(fault["host"], fault["subscriber"], "results_log", start, end)
    assert changed.args[0] == fault["rows"]  # the finding's rows, as the truth counts them
    assert panel.bar.chip.isVisible() and "results log" in panel.bar.chip.text()
    assert panel.view.selectionModel().currentIndex().row() == 0
    qtbot.waitUntil(lambda: panel.detail.siblings.count() == 1, timeout=WAIT)
    siblings = panel.detail.siblings
    item = siblings.item(0)
    target = item.data(Qt.ItemDataRole.UserRole)  # the item goes when the selection moves
    assert item.text().startswith("osqueryd.results.log")
    qtbot.mouseClick(siblings.viewport(), Qt.MouseButton.LeftButton,
                     pos=siblings.visualItemRect(item).center())  # fmt: skip
    qtbot.waitUntil(lambda: panel._current_table_row() == target, timeout=WAIT)
    panel.set_time_range(None, None)  # the stream stays
    qtbot.waitUntil(lambda: panel.bar.chip.text() == "results log", timeout=WAIT)
    qtbot.mouseClick(panel.bar.chip_clear, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: not panel.bar.chip.isVisible() and panel.model.rowCount() > fault["rows"],
        timeout=WAIT,
    )
    panel.activateWindow()
    panel.focus_filter()
    qtbot.waitUntil(panel.bar.text.hasFocus, timeout=WAIT)
    assert panel.current_filter.hosts == frozenset({fault["host"]})
