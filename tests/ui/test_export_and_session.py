"""Exports and sessions as a person uses them: Parquet that pandas and DuckDB read with its
provenance, the timeline as PNG and SVG, and a session saved, closed and opened again."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

from inspector.demo.writer import write_run
from inspector.export import METADATA_KEY
from inspector.model import LoadOptions
from ui import export_actions, session_actions
from ui.main_window import MainWindow

WAIT = 60_000


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("export-run")
    write_run(str(out), "openbsm-double", seed=4, hours=2, size=1_000_000)
    return str(out)


def _window(qtbot, paths: list[str] | None) -> MainWindow:
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    if paths:
        with qtbot.waitSignal(win.run_loaded, timeout=120_000):
            win.open_paths(paths)
    return win


def _close(win: MainWindow) -> None:
    win.loader.cancel()
    win.loader.wait()
    if win.timeline is not None:
        win.timeline.rebinner.wait()
    win.close()


@pytest.fixture(autouse=True)
def no_warning_boxes(monkeypatch):
    """A warning box would wait for a click that never comes: fail with its text instead."""

    def fail(_parent, title, text, *_args):
        raise AssertionError(f"{title}: {text}")

    def fail_box(box):
        raise AssertionError(f"{box.windowTitle()}: {box.text()}")

    monkeypatch.setattr(QMessageBox, "warning", staticmethod(fail))
    monkeypatch.setattr(QMessageBox, "exec", fail_box)


@pytest.fixture(autouse=True)
def trust_outside_inputs(monkeypatch):
    """These sessions name inputs in another temporary folder: answer "Open Them" (the dialog
    itself is tested in test_hostile_sessions)."""
    monkeypatch.setattr(session_actions, "ask_outside_inputs", lambda *a: True)


@pytest.fixture
def window(qtbot, run_dir):
    win = _window(qtbot, [run_dir])
    yield win
    _close(win)


def _finish(qtbot, job) -> tuple:
    assert job is not None
    with qtbot.waitSignal(job.done, timeout=WAIT) as done:
        pass
    return done.args[0]


def _provenance(path: str) -> dict:
    return json.loads(pq.read_schema(path).metadata[METADATA_KEY])


def _choose(window, name: str, value: str, qtbot) -> None:
    combo = window.records_panel.bar.combos[name]
    qtbot.waitUntil(lambda: combo.findData(value) >= 0, timeout=WAIT)
    with qtbot.waitSignal(window.records_panel.filter_changed, timeout=WAIT):
        combo.setCurrentIndex(combo.findData(value))


def test_findings_export_from_the_context_menu(window, qtbot, tmp_path, monkeypatch) -> None:
    # The window connects its context menus itself (MainWindow.__init__).
    monkeypatch.setattr(export_actions, "choose_save_path", lambda *a: str(tmp_path / "found"))
    jobs = []
    monkeypatch.setattr(export_actions, "in_background", _recording(jobs))
    menu = window.findings_panel.context_menu()
    action = next(a for a in menu.actions() if a.text() == "Export to Parquet…")
    action.trigger()
    path, rows = _finish(qtbot, jobs[0])
    assert path == str(tmp_path / "found.parquet")  # the extension is added
    findings = window.findings_panel.model.table
    assert rows == findings.num_rows > 0
    assert window.message.text() == f"Wrote {rows:,} rows to {path}"
    assert pq.read_table(path).num_rows == len(pq.read_pandas(path).to_pandas()) == rows
    assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0] == rows
    meta = _provenance(path)
    assert meta["parameters"]["tz"] == "UTC" and meta["parameters"]["bucket_seconds"] == 60
    loaded = [i for i in meta["inputs"] if i["status"] == "loaded"]
    assert loaded and all(len(i["sha256"]) == 64 and i["size"] > 0 for i in loaded)


def _recording(jobs: list):
    real = export_actions.in_background

    def record(*args, **kwargs):
        jobs.append(real(*args, **kwargs))
        return jobs[-1]

    return record


def test_filtered_records_export_keeps_rows_order_and_filter(window, qtbot, tmp_path) -> None:
    _choose(window, "subscriber", "process_events", qtbot)
    panel = window.records_panel
    with qtbot.waitSignal(panel.filter_changed, timeout=WAIT):
        panel.model.sort(panel.model.columns.index("event_time"), Qt.SortOrder.DescendingOrder)
    shown = panel.model.rowCount()
    assert 0 < shown < window.workspace.records.num_rows
    path = str(tmp_path / "records.parquet")
    assert _finish(qtbot, export_actions.export_filtered_records(window, path)) == (path, shown)
    table = pq.read_table(path)
    assert table.num_rows == shown and {"content", "duplicate_group"} <= set(table.column_names)
    assert set(table.column("subscriber").to_pylist()) == {"process_events"}
    times = table.column("event_time").to_pylist()
    assert times == sorted(times, reverse=True)
    first = window.workspace.records.slice(panel.model.table_row(0), 1).to_pylist()[0]
    assert (table.column("source")[0].as_py(), table.column("line")[0].as_py()) == (
        first["source"], first["line"],
    )  # fmt: skip
    doubled = pc.count(table.column("duplicate_group")).as_py()
    assert 0 < doubled < shown  # the doubled deliveries share a group; the rest have none
    frame = pq.read_pandas(path).to_pandas()
    assert len(frame) == shown and frame["subscriber"].astype(str).unique().tolist() == [
        "process_events"
    ]
    con = duckdb.connect()
    assert con.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0] == shown
    assert con.sql(f"SELECT count(DISTINCT duplicate_group) FROM '{path}'").fetchall()[0][0] > 0
    params = _provenance(path)["parameters"]
    assert params["filter"]["subscribers"] == ["process_events"]
    assert params["filter"]["hosts"] is None and params["filter"]["rows"] is None
    assert params["rows"] == shown and params["tz"] == "UTC"
    assert params["sort"] == {"column": "event_time", "descending": True}


def test_overwriting_asks_first(window, qtbot, tmp_path, monkeypatch) -> None:
    path = tmp_path / "findings.parquet"
    path.write_text("old")
    asked = []

    def answer(reply: bool):
        return lambda _parent, where: asked.append(where) or reply

    monkeypatch.setattr(export_actions, "ask_overwrite", answer(False))
    assert export_actions.export_findings(window, str(path)) is None
    assert asked == [str(path)] and path.read_text() == "old"
    monkeypatch.setattr(export_actions, "ask_overwrite", answer(True))
    _finish(qtbot, export_actions.export_findings(window, str(path)))
    assert len(asked) == 2 and pq.read_table(str(path)).num_rows > 0
    assert not os.path.exists(str(path) + ".part")


def test_timeline_exports_as_png_and_svg(window, tmp_path) -> None:
    png = export_actions.export_timeline_image(window, "png", str(tmp_path / "t.png"))
    image = QImage(png)
    assert not image.isNull() and image.width() > 400
    svg = export_actions.export_timeline_image(window, "svg", str(tmp_path / "t.svg"))
    text = Path(svg).read_text(encoding="utf-8")
    assert "<svg" in text and len(text) > 1000
    assert window.message.text() == f"Wrote the timeline to {svg}"


def _view_state(win: MainWindow) -> tuple:
    view = win.timeline.view
    return win.records_panel.current_filter, set(view.hidden), view.current_range()


def test_session_restores_filter_lanes_and_range(qtbot, run_dir, tmp_path) -> None:
    win = _window(qtbot, [run_dir])
    _choose(win, "subscriber", "process_events", qtbot)
    win.records_panel.bar.text.setText("/private/")
    view = win.timeline.view
    host = win.timeline.tree.topLevelItem(0)
    host.child(1).setCheckState(0, Qt.CheckState.Unchecked)  # hide the second lane
    lo, _ = view.current_range()
    view.zoom_to(lo + 1800, lo + 3600)
    view.set_brush(lo + 2000, lo + 2400)
    with qtbot.waitSignal(win.records_panel.filter_changed, timeout=WAIT):
        view.brushed.emit(lo + 2000, lo + 2400)
    flt, hidden, (a, b) = _view_state(win)
    assert flt.time_range is not None and flt.text == "/private/"
    assert host.child(1).data(0, Qt.ItemDataRole.UserRole) in hidden
    qtbot.waitUntil(lambda: win.records_panel.shown_filter == flt, timeout=WAIT)
    shown = win.records_panel.model.rowCount()
    assert 0 < shown < win.workspace.records.num_rows
    path = str(tmp_path / "s.json")
    assert _finish(qtbot, session_actions.save_session(win, path)) == path
    assert json.loads(Path(path).read_text())["filters"]["subscribers"] == ["process_events"]
    _close(win)

    again = _window(qtbot, None)
    opener = session_actions.open_session(again, path)
    with qtbot.waitSignal(opener.restored, timeout=120_000):
        pass
    got_flt, got_hidden, (c, d) = _view_state(again)
    assert got_flt == flt and got_hidden == hidden
    assert abs(c - a) <= 1 and abs(d - b) <= 1
    assert again.timeline.view.brush_range == pytest.approx((lo + 2000, lo + 2400), abs=1e-3)
    checked = again.timeline.tree.topLevelItem(0).child(1).checkState(0)
    assert checked == Qt.CheckState.Unchecked
    qtbot.waitUntil(lambda: again.records_panel.shown_filter == flt, timeout=WAIT)
    assert again.records_panel.model.rowCount() == shown
    assert "Restored the session s.json" in again.message.text()
    _close(again)


def test_a_moved_input_is_reported_and_located(qtbot, run_dir, tmp_path, monkeypatch) -> None:
    old = str(tmp_path / "a" / "run")
    shutil.copytree(run_dir, old, symlinks=True)
    win = _window(qtbot, [old])
    path = str(tmp_path / "moved.json")
    _finish(qtbot, session_actions.save_session(win, path))
    _close(win)
    new = str(tmp_path / "b" / "run-moved")
    os.makedirs(os.path.dirname(new))
    os.rename(old, new)

    seen = {}

    def drive(parent, problems):  # what a person does in the dialog
        dialog = session_actions.InputsDialog(problems, parent)
        seen["problems"] = problems
        seen["labels"] = [label.text() for label in dialog.status_labels.values()]
        first = problems[0]["path"]
        monkeypatch.setattr(session_actions, "locate_input", lambda *_: first.replace(old, new))
        dialog.locate_buttons[first].click()
        seen["button"] = dialog.open_button.text()
        dialog.open_button.click()
        return dialog.decision()

    monkeypatch.setattr(session_actions, "ask_about_inputs", drive)
    again = _window(qtbot, None)
    opener = session_actions.open_session(again, path)
    with qtbot.waitSignal(opener.restored, timeout=120_000):
        pass
    assert seen["problems"] and {p["problem"] for p in seen["problems"]} == {"missing"}
    assert set(seen["labels"]) == {"missing"}
    assert seen["button"] == "Open"  # locating one found the others beside it
    loaded = [s.path for s in again.workspace.sources if s.status == "loaded"]
    assert loaded and all(p.startswith(new) for p in loaded)
    assert again.workspace.records.num_rows > 0
    _close(again)


def test_session_keeps_the_comparison(window, qtbot, tmp_path, run_dir, monkeypatch) -> None:
    state = {"inputs": [run_dir], "align_before": "start", "align_after": "first_marker"}
    monkeypatch.setattr(MainWindow, "comparison_state", property(lambda _self: state))
    compared = []
    monkeypatch.setattr(MainWindow, "open_compare", lambda _self, *args: compared.append(args))
    path = str(tmp_path / "c.json")
    _finish(qtbot, session_actions.save_session(window, path))
    saved = json.loads(Path(path).read_text())["compare"]
    assert saved["inputs"][0]["path"] == run_dir and saved["inputs"][0]["folder"] is True
    assert (saved["align_before"], saved["align_after"]) == ("start", "first_marker")
    opener = session_actions.open_session(window, path)
    with qtbot.waitSignal(opener.restored, timeout=120_000):
        pass
    assert compared == [([run_dir], "start", "first_marker")]
    monkeypatch.delattr(MainWindow, "open_compare")  # a window that cannot compare: said so
    opener = session_actions.open_session(window, path)
    with qtbot.waitSignal(opener.restored, timeout=120_000):
        pass
    assert "cannot compare" in window.message.text()


def test_records_context_menu_copies_and_exports(window, qtbot, monkeypatch) -> None:
    monkeypatch.setattr(export_actions, "choose_save_path", lambda *a: "")  # the dialog: cancel
    asked = []
    window.records_panel.export_requested.connect(lambda: asked.append(True))
    menu = window.records_panel.context_menu()
    texts = [a.text() for a in menu.actions()]
    assert texts == ["Copy Selected Rows as JSON Lines", "Export to Parquet…"]
    menu.actions()[1].trigger()
    assert asked == [True]
    assert isinstance(window.workspace.records, pa.Table)
