"""Comparing two runs in the window: the delta table, the overlay, alignment, jump, drop."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from inspector.demo.writer import write_run
from inspector.model import LoadOptions
from ui.main_window import MainWindow


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare-view")
    for name in ("linux-control", "openbsm-double"):
        write_run(str(root / name), name, seed=6, hours=3, size=2_000_000)
    return str(root / "linux-control"), str(root / "openbsm-double")


@pytest.fixture
def window(qtbot, runs):
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    with qtbot.waitSignal(win.run_loaded, timeout=120_000):
        win.open_paths([runs[0]])
    yield win
    win.compare.shutdown()
    win.loader.cancel()
    win.loader.wait()


def _compare(window, qtbot, paths, **kw):
    with qtbot.waitSignal(window.compare.comparer.compared, timeout=120_000):
        window.open_compare(paths, **kw)


def test_control_against_doubled_run_flags_the_doubled_subscribers(
    window, qtbot, runs, tmp_path
) -> None:
    _compare(window, qtbot, [runs[1]])
    panel = window.compare.panel
    assert window.tabs.currentWidget() is panel
    model = panel.table.model
    cols = model.columns
    changes = {}
    for r in range(model.rowCount()):
        sub = model.data(model.index(r, cols.index("subscriber")))
        changes.setdefault(sub, set()).add(model.data(model.index(r, cols.index("change"))))
    assert changes["process_events"] == {"▲ duplication"}
    assert changes["socket_events"] == {"▲ duplication"}
    assert "duplication rose in: process_events, socket_events" in panel.runs.text()
    # The run after is drawn dashed over the matching lanes, its factor lanes are shown.
    view = window.timeline.view
    key = next(k for k in view.visible_keys() if k[2] == "process_events" and k[4] == "results")
    factor = (*key, "factor")
    qtbot.waitUntil(lambda: view.plots[key].overlay.isVisible(), timeout=10_000)  # re-binned
    assert factor in view.visible_keys() and view.plots[factor].overlay.isVisible()
    assert window.timeline.legend.isVisible()
    assert window.grab().save(str(tmp_path / "compare-window.png"))


def test_alignment_and_jump_to_first_divergence(window, qtbot, runs) -> None:
    _compare(window, qtbot, [runs[1]])
    with qtbot.waitSignal(window.compare.comparer.compared, timeout=60_000):
        window.compare.panel.set_alignment("config_change", "config_change")
        window.compare.panel._emit_alignment()
    result = window.compare.result
    assert result.alignment.before == "config_change"
    assert abs(window.timeline.overlay_offset) > 60  # the two changes are at different times
    full = window.timeline.view.current_range()
    qtbot.mouseClick(window.compare.panel.first, Qt.MouseButton.LeftButton)
    lo, hi = window.timeline.view.current_range()
    at = result.first_divergence["divergence_before"].timestamp()
    assert lo <= at <= hi and hi - lo < full[1] - full[0]


def test_a_bad_alignment_says_why_and_clears_the_stale_comparison(window, qtbot, runs) -> None:
    _compare(window, qtbot, [runs[1]])
    view, panel = window.timeline.view, window.compare.panel
    qtbot.waitUntil(lambda: any(p.overlay.isVisible() for p in view.plots.values()), timeout=10_000)
    assert panel.table.model.rowCount() > 0
    box = panel.before_align
    box.lineEdit().selectAll()
    with qtbot.waitSignal(window.compare.comparer.failed, timeout=60_000):
        qtbot.keyClicks(box.lineEdit(), "config_change:9")
        qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert "Cannot compare" in panel.runs.text()
    assert "config_change" in panel.runs.text()
    # The previous alignment's overlay and rows are gone: they would read as this answer.
    assert not any(p.overlay.isVisible() for p in view.plots.values())
    assert panel.table.model.rowCount() == 0 and window.compare.result is None


def test_loading_the_run_to_compare_shows_progress_and_can_be_cancelled(window, qtbot, runs):
    panel = window.compare.panel
    window.open_compare([runs[1]])
    assert panel.progress.isVisible() and panel.cancel.isVisible()
    qtbot.waitUntil(lambda: panel.progress.value() > 0, timeout=30_000)
    qtbot.mouseClick(panel.cancel, Qt.MouseButton.LeftButton)
    assert not panel.progress.isVisible() and not window.compare.loader.is_busy()
    assert "cancelled" in panel.runs.text()
    qtbot.wait(300)
    assert window.compare.after is None  # whatever the cancelled load still sent was dropped


def test_compare_with_files_accepts_files(window, qtbot, runs, monkeypatch) -> None:
    import glob
    import os

    from PySide6.QtWidgets import QFileDialog

    files = sorted(glob.glob(os.path.join(runs[1], "*", "osqueryd.results.log*")))
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (files, ""))
    action = next(a for a in window.run_actions if a.text() == "Compare &With Files…")
    assert action.isEnabled()
    with qtbot.waitSignal(window.compare.comparer.compared, timeout=120_000):
        action.trigger()
    assert window.comparison_state["inputs"] == files


def test_dropping_a_run_on_the_compare_tab_compares_it(window, qtbot, runs) -> None:
    panel = window.compare.panel
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(runs[1])])
    event = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    with qtbot.waitSignal(window.compare.comparer.compared, timeout=120_000):
        panel.dropEvent(event)
    assert window.comparison_state["inputs"] == [runs[1]]
    assert window.workspace.records.num_rows > 0  # the current run stayed the run before


def test_compare_on_the_command_line_renders_a_screenshot(runs, tmp_path) -> None:
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    target = tmp_path / "compare.png"
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, runs[0], "--compare", runs[1], "--tz", "UTC",
         "--screenshot", str(target)],
        capture_output=True, text=True, timeout=240,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert QImage(str(target)).width() == 1600


def test_the_compare_table_exports_with_both_runs_provenance(window, qtbot, runs, tmp_path) -> None:
    import json

    import duckdb
    import pandas as pd
    import pyarrow.parquet as pq

    _compare(window, qtbot, [runs[1]])
    out = tmp_path / "compare.parquet"
    job = window.export_comparison(str(out))
    qtbot.waitUntil(lambda: out.exists() and "Wrote" in window.message.text(), timeout=60_000)
    assert job is not None
    table = pq.read_table(out)
    assert table.num_rows == window.compare.result.table.num_rows == len(pd.read_parquet(out))
    assert (
        duckdb.sql(f"SELECT count(*) FROM '{out}' WHERE change = 'duplication'").fetchall()[0][0]
        == 4
    )
    meta = json.loads(table.schema.metadata[b"osquery_inspector"])
    assert {i["run"] for i in meta["inputs"]} == {"before", "after"}
    assert meta["parameters"]["align_before"] == "start"
