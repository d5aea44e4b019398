"""Two folders of one host opened together: the window shows two runs, never one merged span."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt

from inspector.demo.writer import write_run
from inspector.model import LoadOptions
from inspector.model.runs import RUN_SEPARATOR
from ui.main_window import MainWindow

HOST = "mbp-demo-01"


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The openbsm-double host collected twice (identical copies, the same hours)."""
    base = tmp_path_factory.mktemp("two-runs")
    paths = []
    for name in ("before", "after"):
        write_run(str(base / name), "openbsm-double", seed=2, hours=1, size=300_000)
        paths.append(str(base / name / HOST))
    assert all(os.path.isdir(p) for p in paths)
    return paths


@pytest.fixture
def window(qtbot, two_runs):
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    with qtbot.waitSignal(win.run_loaded, timeout=120_000):
        win.open_paths(two_runs)
    yield win
    win.loader.cancel()
    win.loader.wait()
    if win.timeline is not None:
        win.timeline.rebinner.wait()


def _tops(tree) -> list:
    return [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]


def test_two_folders_of_a_host_are_two_runs_in_the_lane_tree(window, qtbot, tmp_path) -> None:
    panel = window.timeline
    names = [item.text(0) for item in _tops(panel.tree)]
    assert names == [f"{HOST}{RUN_SEPARATOR}after", f"{HOST}{RUN_SEPARATOR}before"]
    before, after = (len({k for k in panel.view.order if k[0] == n}) for n in reversed(names))
    assert before == after > 0  # one set of lanes per run, the same lanes
    window.grab().save(str(tmp_path / "two-runs.png"))
    # Typing a run's name in the lane filter leaves only that run's lanes in the plot.
    qtbot.keyClicks(panel.lane_filter, "before")
    shown = {k[0] for k in panel.view.visible_keys()}
    assert shown == {f"{HOST}{RUN_SEPARATOR}before"}
    panel.lane_filter.clear()
    # The value readout under the mouse says which run each value is of.
    view = panel.view
    plot = view.plots[view.visible_keys()[0]]
    middle = plot.view.sceneBoundingRect().center()
    qtbot.mouseMove(view.graphics.viewport(), view.graphics.mapFromScene(middle))
    text = view.show_cursor(plot.view.mapSceneToView(middle).x(), plot)
    assert f"[{HOST}{RUN_SEPARATOR}before] " in text and f"[{HOST}{RUN_SEPARATOR}after] " in text
    # Clicking a lane of the second run scrolls to it and highlights it.
    top = _tops(panel.tree)[1]
    child = top.child(0)
    panel.tree.scrollToItem(child)
    rect = panel.tree.visualItemRect(child)
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.view.highlighted == child.data(0, Qt.ItemDataRole.UserRole)
    assert panel.view.highlighted[0] == f"{HOST}{RUN_SEPARATOR}before"


def test_findings_of_each_run_lead_to_their_own_lanes_and_records(window, qtbot, tmp_path) -> None:
    findings = window.findings_panel.model.table
    assert set(findings.column("run").to_pylist()) == {"before", "after"}
    assert set(findings.column("host").to_pylist()) == {HOST}
    window.tabs.setCurrentWidget(window.findings_panel)
    qtbot.keyClick(window, Qt.Key.Key_F8)  # the biggest finding
    finding = window.findings_panel.finding(0)
    lane = window.timeline.view.highlighted
    assert lane is not None and lane[0] == f"{HOST}{RUN_SEPARATOR}{finding['run']}"
    bar = window.records_panel.bar
    assert bar.combos["run"].isVisible() or not window.records_panel.isVisible()
    assert bar.filter().runs == frozenset({finding["run"]})
    window.grab().save(str(tmp_path / "two-runs-finding.png"))


def test_records_filter_by_run_with_the_keyboard(window, qtbot) -> None:
    window.tabs.setCurrentWidget(window.records_panel)
    panel = window.records_panel
    qtbot.waitUntil(lambda: panel.bar.combos["run"].count() > 1, timeout=10_000)
    combo = panel.bar.combos["run"]
    assert combo.isVisible()
    total = panel.model.rowCount()
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)  # "all runs" → the first run
    assert combo.currentData() in ("before", "after")
    qtbot.waitUntil(lambda: panel.model.rowCount() == total // 2, timeout=10_000)
    runs = window.workspace.records.column("run")
    assert runs.null_count == 0
