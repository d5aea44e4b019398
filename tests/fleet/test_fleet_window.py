"""The fleet window: scans in a worker, draws every host × subscriber, opens a host's records."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

pytest.importorskip("pytestqt")

from inspector.model import LoadOptions
from ui.fleet.window import FleetWindow
from ui.main_window import MainWindow


def double_click(widget, point) -> None:
    """A user's double click as Qt delivers it (press, release, double-click, release):
    pyqtgraph's scene reports the double click on the release that follows it."""
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mouseMove(widget, point)
    QTest.mousePress(widget, left, none, point)
    QTest.mouseRelease(widget, left, none, point)
    QTest.mouseDClick(widget, left, none, point)
    QTest.mouseRelease(widget, left, none, point)


@pytest.fixture
def fleet_window(qtbot, fleet_dataset):
    main = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(main)
    window = FleetWindow(fleet_dataset, main, parent=main)
    window.resize(1280, 800)
    window.show()
    with qtbot.waitSignal(window.scanned, timeout=60_000):
        window.scan()
    yield window
    window.close()
    main.loader.cancel()
    main.loader.wait()


def test_the_heat_map_has_a_row_per_host_and_subscriber(fleet_window):
    grid = fleet_window.heatmap.grid
    hosts = {h for h in grid.row_hosts}
    assert hosts == {"mac-000", "mac-001", "web-002", "web-003"}
    assert grid.values.shape[1] == len(grid.rows) > 8
    assert grid.hosts_duplicating.max() == 2 and len(grid.config_changes) > 0
    assert fleet_window.tabs.tabText(0).startswith("Findings (")
    assert fleet_window.findings_panel.model.rowCount() == fleet_window.result.findings.num_rows > 0
    fleet_window.grab().save("/tmp/fleet_window_test.png")


def test_double_clicking_a_row_opens_that_hosts_records(qtbot, fleet_window):
    heatmap = fleet_window.heatmap
    grid = heatmap.grid
    row = next(i for i, h in enumerate(grid.row_hosts) if h == "mac-001")
    middle = grid.t0 + grid.values.shape[0] * grid.width_s / 2
    scene = heatmap.cells.vb.mapViewToScene(QPointF(middle, row + 0.5))
    point = heatmap.mapFromScene(scene)
    with qtbot.waitSignal(fleet_window.host_opened, timeout=60_000) as opened:
        double_click(heatmap.viewport(), point)
    assert opened.args == ["mac-001"]
    main = fleet_window.main_window
    records = main.workspace.records
    assert records.num_rows > 0
    assert set(records.column("host").to_pylist()) == {"mac-001"}
    assert main.findings_panel is not None
    expected = fleet_window.result.findings.filter(
        pc.equal(fleet_window.result.findings.column("host"), "mac-001")
    )
    assert main._shown_run.findings.num_rows == expected.num_rows


def test_double_clicking_a_finding_opens_its_host(qtbot, fleet_window):
    view = fleet_window.findings_panel.view
    model = fleet_window.findings_panel.model
    host = model.table.column("host")[model.table_row(0)].as_py()
    rect = view.visualRect(model.index(0, 0))
    with qtbot.waitSignal(fleet_window.host_opened, timeout=60_000) as opened:
        double_click(view.viewport(), rect.center())
    assert opened.args == [host]


def test_cancel_stops_a_scan(qtbot, fleet_window):
    fleet_window.scan()
    assert fleet_window.cancel_button.isVisible()
    qtbot.mouseClick(fleet_window.cancel_button, Qt.MouseButton.LeftButton)
    assert fleet_window.message.text() == "Cancelled"
    assert not fleet_window.cancel_button.isVisible()
