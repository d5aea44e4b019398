"""The fleet window: a dataset's heat map, rollout lane, findings and hosts.

The scan runs in a worker (``LatestJob``: the newest request wins) with progress and Cancel;
double-clicking a host (a heat-map row, a finding, a host) reads that host's records from the
dataset in another worker and shows them in the main window's usual views.
"""

from __future__ import annotations

import os

import pyarrow as pa
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QToolBar,
)

from inspector.analysis.burst_rules import BurstOptions
from inspector.fleet.heat_grid import heat_grid, ordered
from inspector.fleet.host_run import host_workspace
from inspector.fleet.scan import fleet_scan
from inspector.progress import Progress
from inspector.views.overview import overview, plural
from ui.fleet.heatmap import FleetHeatmap
from ui.latest_job import LatestJob
from ui.widgets.findings_panel import FINDING_FORMATTERS
from ui.widgets.table_panel import TablePanel

FINDING_COLUMNS = [
    "host", "kind", "subscriber", "publisher", "source", "start", "end", "duplicate_factor",
    "extra_rows", "marker", "config_change_at", "signature", "query",
]  # fmt: skip
BUCKETS = (60, 300, 900, 3600)
ROW_ORDER_CHOICES = (("duplicating first", "duplicating"), ("by host name", "name"))


class _Relay(QObject):
    """Carries a worker's progress to the GUI thread (a queued signal)."""

    progressed = Signal(float, str)


def relayed(progress: Progress, relay: _Relay) -> Progress:
    """A progress that reports through ``relay`` and is cancelled with ``progress`` (what it
    registers to stop on cancel — a running query — runs when ``progress`` is cancelled)."""

    def forward(fraction: float, message: str) -> None:
        relay.progressed.emit(fraction, message)

    return progress.forwarding(forward)


def _thousands(value: int) -> str:
    return f"{value:,}"


COUNT_COLUMNS = ("records", "findings")


def _other_windows_shown(window: QMainWindow) -> bool:
    """Whether a window of the app other than ``window`` is on screen (the main window, or
    another fleet window)."""
    from PySide6.QtWidgets import QApplication

    return any(w is not window and w.isVisible() for w in QApplication.topLevelWidgets())


class FleetWindow(QMainWindow):
    """One fleet dataset, analysed on an engine."""

    scanned = Signal(object)  # FleetScan, once drawn
    host_opened = Signal(str)

    def __init__(self, dataset: str, main_window=None, engine: str = "duckdb", parent=None) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.dataset = dataset
        self.main_window = main_window
        self.result = None
        self.setWindowTitle(
            f"osquery Event Inspector — fleet: {os.path.basename(os.path.normpath(dataset))}"
        )

        self.engine_box = QComboBox(self)
        self.engine_box.addItems(["duckdb", "spark"])
        self.engine_box.setCurrentText(engine)
        self.bucket_box = QComboBox(self)
        for seconds in BUCKETS:
            self.bucket_box.addItem(f"{seconds // 60} min" if seconds < 3600 else "1 h", seconds)
        # The rows' order is the picture's alone: another order redraws, it does not rescan.
        self.order_box = QComboBox(self)
        for text, order in ROW_ORDER_CHOICES:
            self.order_box.addItem(text, order)
        self.order_box.setToolTip(
            "Heat-map rows: hosts with duplicate bursts first (most extra rows first), or all "
            "hosts by name"
        )
        self.order_box.currentIndexChanged.connect(self._show_grid)
        self.grid = None  # the last scan's grid, rows by host name
        self.rescan_button = QPushButton("Scan", self)
        self.rescan_button.clicked.connect(self.scan)
        # A scan's answer is for its engine and bucket: another choice scans again at once.
        self.engine_box.currentIndexChanged.connect(self._rescan_on_change)
        self.bucket_box.currentIndexChanged.connect(self._rescan_on_change)
        tools = QToolBar("Fleet", self)
        tools.setMovable(False)
        for widget in (QLabel(" Engine ", self), self.engine_box, QLabel("  Bucket ", self),
                       self.bucket_box, QLabel(" ", self), self.rescan_button,
                       QLabel("   Rows ", self), self.order_box):  # fmt: skip
            tools.addWidget(widget)
        self.addToolBar(tools)

        self.heatmap = FleetHeatmap(self)
        self.heatmap.host_activated.connect(self.open_host)
        self.findings_panel = TablePanel("No findings", self)
        self.hosts_panel = TablePanel("No hosts", self)
        self.hosts_panel.stretch_last = False  # numbers stay under their headers
        for panel in (self.findings_panel, self.hosts_panel):
            panel.sort_here()
            for name in COUNT_COLUMNS:
                panel.model.formatters[name] = _thousands
            panel.model.formatters.update(FINDING_FORMATTERS)
            panel.view.doubleClicked.connect(lambda index, p=panel: self._open_row(p, index.row()))
            for keys in (Qt.Key.Key_Return, Qt.Key.Key_Enter):  # the current row's host
                enter = QShortcut(QKeySequence(keys), panel.view)
                enter.setContext(Qt.ShortcutContext.WidgetShortcut)
                enter.activated.connect(
                    lambda p=panel: self._open_row(p, p.view.currentIndex().row())
                )
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.findings_panel, "Findings")
        self.tabs.addTab(self.hosts_panel, "Hosts")
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.heatmap)
        split.addWidget(self.tabs)
        split.setSizes([560, 300])
        self.setCentralWidget(split)

        self.message = QLabel("Ready", self)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(240)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel)
        bar = self.statusBar()
        bar.addWidget(self.message, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self.heatmap.cell_pointed.connect(self.message.setText)

        self.relay = _Relay(self)
        self.relay.progressed.connect(self._on_progress)
        self.job = LatestJob(self, plain_errors=(RuntimeError,))
        self.job.done.connect(self._on_scanned)
        self.job.failed.connect(self._on_failed)
        self.job.busy_changed.connect(lambda busy: self._set_busy("scan", busy))
        self.host_job = LatestJob(self)
        self.host_job.done.connect(self._on_host_loaded)
        self.host_job.failed.connect(self._on_failed)
        self.host_job.busy_changed.connect(lambda busy: self._set_busy("host", busy))
        self._busy = {"scan": False, "host": False}
        self._scan_requested = False  # a scan was asked for: another engine or bucket rescans
        self._set_busy("scan", False)
        self._add_menu()
        self._fit_screen(1280, 800)

    def _add_menu(self) -> None:
        """File: open another dataset, close this window, quit (the keys work here too)."""
        from PySide6.QtGui import QAction, QKeySequence

        from ui.fleet.actions import open_fleet_dialog

        menu = self.menuBar().addMenu("&File")
        for text, keys, slot in (
            ("Open Fl&eet Dataset…", None, lambda: open_fleet_dialog(self.main_window)),
            ("&Close Window", QKeySequence.StandardKey.Close, self.close),
            ("&Quit", QKeySequence.StandardKey.Quit, self.quit_app),
        ):
            action = QAction(text, self)
            if keys is not None:
                action.setShortcut(keys)
            action.triggered.connect(slot)
            menu.addAction(action)

    def _fit_screen(self, width: int, height: int) -> None:
        """At least ``width`` × ``height``, four fifths of a larger screen (rows of many hosts
        need the height), less on a smaller one: the frame and the status bar (progress,
        Cancel) stay on it."""
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None and screen.width() > 0:
            width = min(max(width, screen.width() * 4 // 5), screen.width() - 40)
            height = min(max(height, screen.height() * 4 // 5), screen.height() - 60)
        self.resize(width, height)

    def quit_app(self) -> None:
        """Ctrl+Q: quit the app, as the main window's Quit does."""
        window = self.main_window
        if window is not None and window.isVisible():
            window.close()  # the last main window: the app quits, this window with it
        else:
            self.close()

    # -- scanning -------------------------------------------------------------------------------
    def scan(self) -> None:
        """Scan the dataset on the chosen engine (in a worker; a new scan replaces a running one)."""
        self._scan_requested = True
        dataset, engine = self.dataset, self.engine_box.currentText()
        options = BurstOptions(bucket_seconds=int(self.bucket_box.currentData()))
        relay = self.relay
        self.message.setText(f"Scanning {dataset} on {engine}…")

        def work(progress: Progress):
            result = fleet_scan(dataset, engine, options, progress=relayed(progress, relay))
            progress.check()
            grid = heat_grid(
                result.factors, result.findings, result.markers, options.bucket_seconds
            )
            grid.host_values  # noqa: B018 — computed here, not on the GUI thread's first draw
            return result, grid

        self.job.start(work)

    def cancel(self) -> None:
        scanning = self.job.is_busy()
        self.job.cancel()
        self.host_job.cancel()
        shown = " — the scan shown is the one before" if scanning and self.result else ""
        self.message.setText(f"Cancelled{shown}")

    def _rescan_on_change(self, _index: int) -> None:
        if self._scan_requested:  # not while the window is being set up
            self.scan()

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.message.setText(message)

    def _set_busy(self, which: str, busy: bool) -> None:
        self._busy[which] = busy
        busy = any(self._busy.values())
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setValue(0)

    def _on_failed(self, message: str) -> None:
        self.message.setText(f"Failed: {message}")

    def _on_scanned(self, answer) -> None:
        result, grid = answer
        self.result = result
        self.grid = grid
        self._show_grid()
        findings = result.findings
        hosts = plural(result.hosts.num_rows, "host")
        self.findings_panel.show_table(
            findings, FINDING_COLUMNS, plural(findings.num_rows, "finding")
        )
        self.hosts_panel.show_table(result.hosts, None, hosts)
        self.tabs.setTabText(0, f"Findings ({findings.num_rows:,})")
        self.tabs.setTabText(1, f"Hosts ({result.hosts.num_rows:,})")
        hit = sum(1 for n in result.hosts.column("findings").to_pylist() if n)
        self.message.setText(
            f"{hosts}, {plural(findings.num_rows, 'finding')} on {plural(hit, 'host')} "
            f"({result.engine}); double-click a host to open its records"
        )
        self.scanned.emit(result)

    def _show_grid(self, _index: int = 0) -> None:
        """The scan's grid, its rows in the chosen order."""
        if self.grid is not None:
            self.heatmap.show_grid(ordered(self.grid, self.order_box.currentData()))

    # -- one host -------------------------------------------------------------------------------
    def _open_row(self, panel: TablePanel, row: int) -> None:
        table: pa.Table = panel.model.table
        if row < 0:  # no current row
            return
        host = table.column("host")[panel.model.table_row(row)].as_py() if table.num_rows else None
        if host:
            self.open_host(host)

    def open_host(self, host: str) -> None:
        """Read ``host``'s records from the dataset and show them in the main window."""
        from ui.workers import LoadedRun, analyse

        dataset, relay = self.dataset, self.relay
        self.message.setText(f"Opening {host} from the dataset…")

        def work(progress: Progress):
            mine = relayed(progress, relay)
            mine.report(0.05, f"reading {host}'s records")
            ws = host_workspace(dataset, host)
            summary = overview(ws)
            analysed = analyse(ws, mine.scaled(0.3, 1.0))
            return host, LoadedRun(ws, summary, *analysed, paths=[dataset])

        self.host_job.start(work)

    def _on_host_loaded(self, answer) -> None:
        host, run = answer
        window = self.main_window
        if window is None:
            from ui.main_window import MainWindow

            window = self.main_window = MainWindow()
        window.show_loaded(run)
        window.show()
        window.raise_()
        self.message.setText(f"{host} opened in the main window")
        self.host_opened.emit(host)

    def closeEvent(self, event) -> None:
        self.job.cancel()
        self.host_job.cancel()
        self.job.wait(60_000)
        self.host_job.wait(60_000)
        super().closeEvent(event)
        # Opened on its own (--fleet) with no host opened yet, this may be the app's last
        # window shown: Qt does not count a window owned by another as a last window.
        if event.isAccepted() and not _other_windows_shown(self):
            from PySide6.QtCore import QCoreApplication

            QCoreApplication.quit()
