"""The fleet window: scans in a worker, draws every host × subscriber, opens a host's records."""

from __future__ import annotations

import numpy as np
import pyarrow.compute as pc
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QKeySequence
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
    assert fleet_window.message.text() == "Cancelled — the scan shown is the one before"
    assert not fleet_window.cancel_button.isVisible()


def test_enter_opens_the_current_hosts_records(qtbot, fleet_window):
    fleet_window.tabs.setCurrentIndex(1)
    panel = fleet_window.hosts_panel
    view, model = panel.view, panel.model
    view.setFocus()
    view.setCurrentIndex(model.index(2, 0))
    host = model.table.column("host")[model.table_row(2)].as_py()
    with qtbot.waitSignal(fleet_window.host_opened, timeout=60_000) as opened:
        QTest.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [host]


def test_a_header_click_sorts_a_fleet_table(qtbot, fleet_window):
    fleet_window.tabs.setCurrentIndex(1)
    panel = fleet_window.hosts_panel
    header = panel.view.horizontalHeader()
    column = panel.model.columns.index("records")
    records = panel.model.table.column("records").to_pylist()

    def shown() -> list[int]:
        return [records[panel.model.table_row(r)] for r in range(panel.model.rowCount())]

    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + QPoint(header.sectionViewportPosition(column) + 5, 5))  # fmt: skip
    assert shown() == sorted(records)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=header.rect().topLeft() + QPoint(header.sectionViewportPosition(column) + 5, 5))  # fmt: skip
    assert shown() == sorted(records, reverse=True)
    assert panel.model.data(panel.model.index(0, column)) == f"{max(records):,}"


def test_another_bucket_scans_again(qtbot, fleet_window):
    with qtbot.waitSignal(fleet_window.scanned, timeout=60_000) as scanned:
        fleet_window.bucket_box.setCurrentIndex(1)  # 5 min
    assert scanned.args[0].bucket_seconds == 300


def test_pointing_at_a_cell_says_what_it_holds(qtbot, fleet_window):
    heatmap = fleet_window.heatmap
    grid = heatmap.grid
    middle = grid.t0 + grid.values.shape[0] * grid.width_s / 2
    scene = heatmap.cells.vb.mapViewToScene(QPointF(middle, 0.5))
    QTest.mouseMove(heatmap.viewport(), heatmap.mapFromScene(scene))
    qtbot.waitUntil(lambda: grid.label(0) in fleet_window.message.text(), timeout=5_000)
    text = fleet_window.message.text()
    assert "duplication factor ×" in text or ": no events" in text


def test_closing_the_only_window_shown_quits(qtbot, fleet_dataset, monkeypatch):
    """Opened alone (--fleet), the fleet window is the app: closing it, or Ctrl+Q, quits."""
    from PySide6.QtCore import QCoreApplication

    quits = []
    monkeypatch.setattr(QCoreApplication, "quit", lambda: quits.append(1))
    main = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(main)
    window = FleetWindow(fleet_dataset, main, parent=main)
    window.show()
    (file_menu,) = [a.menu() for a in window.menuBar().actions() if a.menu() is not None]
    (action,) = [a for a in file_menu.actions() if a.text() == "&Quit"]
    # The platform's Quit keys (Ctrl+Q on Linux desktops; the offscreen platform has none)
    assert action.shortcuts() == QKeySequence.keyBindings(QKeySequence.StandardKey.Quit)
    action.trigger()  # what those keys do (offscreen windows are never active: no key events)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    assert quits == [1]
    main.show()  # a host was opened: the main window is the app, closing this one is not quitting
    window.show()
    window.close()
    assert quits == [1]
    main.hide()  # two fleet windows: closing one leaves the other
    window.show()
    other = FleetWindow(fleet_dataset, main, parent=main)
    other.show()
    window.close()
    assert quits == [1]
    other.close()
    assert quits == [1, 1]


def test_cancelling_a_host_open_says_just_that(qtbot, fleet_window):
    fleet_window.open_host("mac-000")
    fleet_window.cancel()
    assert fleet_window.message.text() == "Cancelled"


def test_another_engine_or_bucket_scans_even_after_a_cancelled_scan(qtbot, fleet_dataset):
    main = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(main)
    window = FleetWindow(fleet_dataset, main, parent=main)
    window.bucket_box.setCurrentIndex(2)  # before any scan: nothing starts
    assert not window.job.is_busy()
    window.scan()
    window.cancel()
    with qtbot.waitSignal(window.scanned, timeout=60_000) as scanned:
        window.bucket_box.setCurrentIndex(1)
    assert scanned.args[0].bucket_seconds == 300
    window.close()


def test_opening_a_dataset_without_a_finished_ingest_says_why(qtbot, fleet_dataset, tmp_path,
                                                               monkeypatch):  # fmt: skip
    """File → Open Fleet Dataset… on a folder an ingest never finished: a warning naming
    why, no window showing a clean fleet of no hosts."""
    import shutil

    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from ui.fleet import actions

    copy = tmp_path / "ds"
    shutil.copytree(fleet_dataset, copy)
    shutil.rmtree(copy / "manifest")
    main = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(main)
    shown = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a: str(copy))
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text: shown.append((title, text)))
    opened = []
    monkeypatch.setattr(actions, "open_fleet", lambda *a, **k: opened.append(a))
    actions.open_fleet_dialog(main)
    ((title, text),) = shown
    assert title == "Cannot open the fleet dataset" and "holds no finished ingest" in text
    assert opened == []
    main.loader.cancel()


@pytest.fixture(scope="module")
def many_hosts(fleet_dataset, tmp_path_factory) -> str:
    """The demo fleet's four hosts copied under new names 30 times: 120 hosts, more lanes
    than a heat map has pixel rows."""
    from benchmarks.fleet_data import replicate

    out = str(tmp_path_factory.mktemp("many") / "ds")
    replicate(fleet_dataset, out, 30)
    return out


def test_more_lanes_than_pixels_draw_each_host_whole_duplicating_first(qtbot, many_hosts):
    """At 120 hosts the rows no longer fit: each pixel row shows its hosts' highest factor
    (a duplicating host is never sampled away or drawn over by the lines between hosts), the
    duplicating hosts on top; another order redraws without a scan; zooming in shows lanes."""
    window = FleetWindow(many_hosts)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    with qtbot.waitSignal(window.scanned, timeout=120_000):
        window.scan()
    heatmap = window.heatmap
    qtbot.waitUntil(lambda: heatmap.cells_per_pixel[1] > 1, timeout=5_000)
    assert not heatmap.separators.isVisible()
    grid = heatmap.grid
    duplicating = {h for h, n in grid.extra_rows.items() if n}
    dup_rows = sum(h in duplicating for h in grid.row_hosts)
    assert len(duplicating) == 60 and set(grid.row_hosts[:dup_rows]) == duplicating
    # The drawn picture: the duplicating hosts' rows are mostly red, the others' hardly.
    image = heatmap.grab().toImage()
    top_left = heatmap.mapFromScene(heatmap.cells.vb.mapViewToScene(QPointF(grid.t0, 0)))
    bottom = heatmap.mapFromScene(heatmap.cells.vb.mapViewToScene(
        QPointF(grid.t0 + grid.values.shape[0] * grid.width_s, len(grid.rows))))  # fmt: skip

    def reds(y0: int, y1: int) -> float:
        """The share of red (×2 and more) pixels in these pixel rows."""
        seen = [image.pixelColor(x, y) for y in range(y0, y1, 3)
                for x in range(top_left.x() + 2, bottom.x() - 2, 4)]  # fmt: skip
        return sum(c.red() > 100 and c.green() < 90 for c in seen) / len(seen)

    middle = heatmap.mapFromScene(heatmap.cells.vb.mapViewToScene(QPointF(grid.t0, dup_rows))).y()
    # the duplicating hosts are red for most of the hour; a healthy host's rare ×2 minute
    assert reds(top_left.y() + 2, middle - 2) > 0.4 and reds(middle + 2, bottom.y() - 2) < 0.05
    # Pointing reads the host, not one lane a pixel row hides among others.
    col = int(np.nanargmax(np.nanmax(grid.values[:, :dup_rows], axis=1)))
    at = QPointF(grid.t0 + (col + 0.5) * grid.width_s, 0.5)
    QTest.mouseMove(heatmap.viewport(), heatmap.mapFromScene(heatmap.cells.vb.mapViewToScene(at)))
    qtbot.waitUntil(lambda: "the highest this pixel covers" in window.message.text(), timeout=5_000)
    assert window.message.text().startswith(grid.row_hosts[0]) and "×3.00" in window.message.text()
    heatmap.cells.setYRange(0, 14, padding=0)  # zoomed in on it: the lane pointed at
    qtbot.waitUntil(lambda: window.message.text().startswith(f"{grid.label(0)} at "), timeout=5_000)
    scans = []
    window.scanned.connect(scans.append)
    window.order_box.setCurrentIndex(window.order_box.findData("name"))
    assert heatmap.grid.row_hosts[0] == "mac-000-00" and scans == []
    heatmap.cells.setYRange(0, 14, padding=0)  # two hosts' lanes
    qtbot.waitUntil(lambda: heatmap.cells_per_pixel[1] == 1, timeout=5_000)
    assert heatmap.separators.isVisible()
    window.close()


def test_a_pooled_pixel_is_read_and_opened_as_the_host_it_is_drawn_for(qtbot):
    """1,000 one-lane hosts, one duplicating: the pixel row drawn dark red for it names that
    host wherever in the pixel the pointer is, and a double-click opens it."""
    from inspector.fleet.heat_grid import HeatGrid
    from ui.fleet.heatmap import FleetHeatmap

    rows = [{"host": f"h{k:04d}", "publisher": "inotify", "subscriber": "file_events",
             "stream": "results"} for k in range(1000)]  # fmt: skip
    values = np.ones((4, 1000), dtype=np.float32)
    values[1, 2] = 3.0
    heatmap = FleetHeatmap()
    qtbot.addWidget(heatmap)
    heatmap.resize(800, 400)
    heatmap.show()
    heatmap.show_grid(HeatGrid(0.0, 60, values, rows, np.zeros(4), np.zeros(0)))
    qtbot.waitUntil(lambda: heatmap.cells_per_pixel[1] > 2, timeout=5_000)
    assert heatmap.strongest(1, 0) == (1, 2)
    assert heatmap.describe(1, 0).startswith("h0002 · file_events at ")
    assert heatmap.describe(0, 0).startswith("h0000 · ")  # another minute: all ×1, as pointed
    heatmap.cells.setYRange(0, 20, padding=0)  # zoomed in: every row is its own
    qtbot.waitUntil(lambda: heatmap.cells_per_pixel == (1, 1), timeout=5_000)
    assert heatmap.strongest(1, 0) == (1, 0) and heatmap.separators.isVisible()
    heatmap.cells.setYRange(-1000, 2000, padding=0)  # zoomed out past the grid
    qtbot.waitUntil(lambda: heatmap.cells_per_pixel[1] >= 3000 / heatmap.cells.vb.height(),
                    timeout=5_000)  # fmt: skip
    heatmap.show_grid(HeatGrid(0.0, 60, np.zeros((0, 0), np.float32), [], np.zeros(0),
                               np.zeros(0)))  # fmt: skip
    assert heatmap.cells_per_pixel == (1, 1) and "no events" in heatmap.cells.titleLabel.text
