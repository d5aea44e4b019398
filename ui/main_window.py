"""The main window: wiring only (menus, drag and drop, loading, panels)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from inspector import __version__
from inspector.model import LoadOptions, Workspace
from inspector.views.overview import loaded_line, plural
from ui import export_actions
from ui.compare.controller import CompareController
from ui.database.controller import DatabaseController
from ui.display_zone import DisplayZone
from ui.drops import accept_file_drags, dropped_paths
from ui.failures import show_failure
from ui.go_to_time import go_to_time
from ui.menus import build_menus
from ui.recent import remember
from ui.run_tables import (
    SOURCE_COLUMNS,
    STATUS_COLUMNS,
    damaged,
    finding_line,
    nothing_loadable,
    problems_table,
    sources_table,
)
from ui.thread_priority import favour_the_gui_thread
from ui.widgets.findings_panel import FindingsPanel
from ui.widgets.nothing_loaded_page import NothingLoadedPage
from ui.widgets.overview_panel import OverviewPanel
from ui.widgets.problem_context import open_problem
from ui.widgets.records_panel import RecordsPanel
from ui.widgets.searchable_table_panel import SearchableTablePanel
from ui.widgets.table_panel import TablePanel
from ui.widgets.welcome_page import WelcomePage
from ui.window_layout import apply_zone, finding_lane, restore_layout, save_layout, zone_box
from ui.workers import LoadedRun, Loader, PreviewRun

if TYPE_CHECKING:
    from ui.live.live_controller import LiveController
    from ui.widgets.timeline_panel import TimelinePanel

SPARE_LANES = 24  # lanes made ahead while a run loads (most runs have 10–40)
PREPARE_DELAY_MS = 20  # a loading window makes its timeline after it has drawn its progress


def _demo_paths(progress) -> list[str]:
    """The demo run's inputs, written into the cache first if needed (in the load worker)."""
    from inspector.demo.bundled_run import demo_inputs, ensure_demo_run

    return demo_inputs(ensure_demo_run(progress=progress))


class MainWindow(QMainWindow):
    """Open inputs, watch them load, and browse what they hold."""

    run_loaded = Signal(object)  # LoadedRun, after the panels show it

    def __init__(self, options: LoadOptions | None = None) -> None:
        super().__init__()
        # A few hundred Qt calls, each waiting up to the switch interval (5 ms) for the GIL
        # while a loader thread ran Python, held the event loop a second (the convoy effect).
        favour_the_gui_thread()
        self.setWindowTitle("osquery Event Inspector")
        self.setAcceptDrops(True)
        self.options = options or LoadOptions()
        self.workspace: Workspace | None = None
        self.loader = Loader(self)
        self.loader.previews = True
        self._previewing = False  # the timeline shows a preview of a load still under way
        self._pending: LoadedRun | None = None  # the run on show, its findings still to come
        self._shown_run: LoadedRun | None = None
        self.loader.progressed.connect(self._on_progress)
        self.loader.previewed.connect(self._on_preview)
        self.loader.analysing.connect(self._on_analysing)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.busy_changed.connect(self._on_busy)
        # While a run loads: the timeline and lanes made ahead (``_prepare_timeline``).
        self._prepare_timer = QTimer(self)
        self._prepare_timer.setSingleShot(True)
        self._prepare_timer.setInterval(PREPARE_DELAY_MS)
        self._prepare_timer.timeout.connect(self._prepare_timeline)

        self.welcome = WelcomePage(self)
        self.welcome.open_files_requested.connect(self.open_files_dialog)
        self.welcome.open_folder_requested.connect(self.open_folder_dialog)
        self.welcome.open_demo_requested.connect(self.open_demo)
        self.nothing_page = NothingLoadedPage(self)
        self.nothing_page.open_files_requested.connect(self.open_files_dialog)
        self.nothing_page.open_folder_requested.connect(self.open_folder_dialog)
        # The display zone ("Times in"): every view shows its times in it.
        self.zone = DisplayZone(self)
        self.zone.changed.connect(self._on_zone)
        self.tabs = QTabWidget(self)
        # The timeline (pyqtgraph) is built with the first run: the empty window opens sooner.
        self.timeline: TimelinePanel | None = None
        self.findings_panel = FindingsPanel(self)
        self.findings_panel.finding_selected.connect(self._on_finding)
        self.overview_panel = OverviewPanel(self)
        self.records_panel = RecordsPanel(self)
        self.records_panel.filter_changed.connect(self._on_records_filtered)
        self.status_panel = SearchableTablePanel("No status lines", "status lines", self)
        self.sources_panel = TablePanel("No sources", self)
        self.problems_panel = TablePanel("No rejected lines", self)
        self.problems_panel.view.doubleClicked.connect(self._show_problem)
        for searchable in (self.records_panel, self.status_panel):
            searchable.model.formatters["source"] = os.path.basename
        self.queries_panel = TablePanel("No queries", self)
        self.compare = CompareController(self)
        self.database = DatabaseController(self)
        self.current_paths: list[str] = []
        self.live: LiveController | None = None  # the follow under way, if any
        for panel, title in (
            (self.findings_panel, "Findings"),
            (self.records_panel, "Records"),
            (self.overview_panel, "Overview"),
            (self.status_panel, "Status log"),
            (self.queries_panel, "Queries"),
            (self.sources_panel, "Sources"),
            (self.problems_panel, "Problems"),
            (self.compare.panel, "Compare"),
            (self.database.panel, "Database"),
        ):
            self.tabs.addTab(panel, title)
        # Perfetto's arrangement: the plot above, the tables it drives below.
        self.split = QSplitter(Qt.Orientation.Vertical, self)
        self.split.addWidget(QWidget(self))  # the timeline's place
        self.split.addWidget(self.tabs)
        self.split.setSizes([560, 440])
        # Explicit minimums: the panels' own hints (the records' detail pane) would otherwise
        # squeeze the lanes to a strip at 1280×800.
        self.tabs.setMinimumHeight(180)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.split)
        self.stack.addWidget(self.nothing_page)
        self.setCentralWidget(self.stack)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(240)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel_loading)
        self.message = QLabel("Ready", self)
        # A long message is cut at the window's edge; it never widens the window.
        self.message.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.message.setMinimumWidth(1)
        self.zone_box = zone_box(self.zone, self)
        bar = self.statusBar()
        bar.addWidget(self.message, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        bar.addPermanentWidget(QLabel("Times in:", self))
        bar.addPermanentWidget(self.zone_box)
        self._on_busy(False)
        self.run_actions: list = []  # menu actions that need a loaded run (build_menus fills it)
        build_menus(self)
        self._set_run_actions(False)
        self._on_zone(self.zone.name)
        export_actions.connect_context_menus(self)
        self.compare.panel.export_requested.connect(lambda: self.export_comparison())
        self.resize(1280, 800)
        self._restore_layout()

    def about(self) -> None:
        QMessageBox.about(
            self,
            "About osquery Event Inspector",
            f"osquery Event Inspector {__version__}\nReads osquery's logs, configs and databases.",
        )

    def focus_filter(self) -> None:
        """Show the records and put the cursor in their filter."""
        self.tabs.setCurrentWidget(self.records_panel)
        self.records_panel.focus_filter()

    # -- opening ----------------------------------------------------------------------------------
    def open_files_dialog(self) -> None:
        start = str(QSettings().value("last_folder", os.path.expanduser("~")))
        paths, _ = QFileDialog.getOpenFileNames(self, "Open osquery files", start)
        if paths:
            self.open_paths(paths)

    def open_folder_dialog(self) -> None:
        start = str(QSettings().value("last_folder", os.path.expanduser("~")))
        path = QFileDialog.getExistingDirectory(self, "Open a folder of osquery files", start)
        if path:
            self.open_paths([path])

    def open_demo(self) -> None:
        """Open the openbsm-double demo run, writing it into the cache first if needed."""
        self.message.setText("Opening the demo run…")
        # The demo host keeps its clock in UTC.
        self.loader.start(
            [],
            LoadOptions(tz="UTC"),
            prepare=_demo_paths,
        )

    def open_paths(self, paths: list[str], options: LoadOptions | None = None) -> None:
        """Load ``paths`` in the background; a newer request replaces a running one."""
        if not paths:
            return
        QSettings().setValue("last_folder", os.path.dirname(os.path.abspath(paths[0])))
        remember([os.path.abspath(p) for p in paths])
        self.message.setText(f"Opening {', '.join(os.path.basename(p) or p for p in paths)}…")
        self.loader.start(paths, options or self.options)

    def cancel_loading(self) -> None:
        self.loader.cancel()
        self._drop_preview()
        self.message.setText("Loading cancelled")

    def _drop_preview(self) -> None:
        """A preview whose load did not finish: back to the run shown before (or the welcome
        page), so that what is drawn and what exports and compares act on agree again."""
        self._pending = None
        if not self._previewing:
            return
        self._previewing = False
        if self._shown_run is not None:
            self._show(self._shown_run)
        else:
            self.stack.setCurrentWidget(self.welcome)
            self.setWindowTitle("osquery Event Inspector")

    def _base_title(self) -> str:
        shown = self._shown_run
        return f"osquery Event Inspector — {self._title(shown.workspace)}" if shown else (
            "osquery Event Inspector")  # fmt: skip

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        accept_file_drags(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = dropped_paths(event)
        if paths:
            self.open_paths(paths)

    # -- loading feedback ----------------------------------------------------------------------
    def _on_busy(self, busy: bool) -> None:
        self.progress.setVisible(busy)
        self.cancel_button.setVisible(busy)
        if busy:
            self.progress.setValue(0)
            self._prepare_timer.start()
        else:
            self._prepare_timer.stop()

    def _prepare_timeline(self) -> None:
        """The timeline panel and ``SPARE_LANES`` lanes made while a run loads (a lane's items
        take ~3 ms to make: ~70 ms of a 50 MB run's showing, after it had loaded).

        The first load of a window imports pyqtgraph here, on the GUI thread, while the worker
        parses (mostly without the GIL). It cannot be imported on a worker: PySide6 creates its
        Python types lazily, on first use, and two threads doing that at once crash the process
        (about one open in twelve under load)."""
        self._timeline().view.make_spares(SPARE_LANES)

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.message.setText(message)

    def _on_failed(self, message: str) -> None:
        self._drop_preview()
        self.setWindowTitle(self._base_title())
        self.message.setText(f"Loading failed: {message}")
        show_failure(self, "Loading failed", message)

    def _on_analysing(self, run: LoadedRun) -> None:
        """The run loaded, shown while its findings are computed (``findings_pending``)."""
        self._previewing = True  # a failure or cancel now goes back to the run before
        self._pending = run
        self._show(run)

    def _on_preview(self, run: PreviewRun) -> None:
        """A big run's lanes from its log envelopes, while its records still load."""
        from inspector.analysis.binning import FACTORS
        from inspector.analysis.findings import FINDINGS
        from inspector.schema import LOADED_RECORDS

        self._timeline().show_run(
            run.binner, FACTORS.empty_table(), run.frame, run.markers, FINDINGS.empty_table(),
            gradual=True,
        )  # fmt: skip
        # What the tables showed belongs to the previous run: empty until the records are in.
        self.findings_panel.show_pending()
        self.tabs.setTabText(self.tabs.indexOf(self.findings_panel), "Findings (loading…)")
        self.records_panel.show_records(LOADED_RECORDS.empty_table())
        self.stack.setCurrentWidget(self.split)
        self._previewing = True
        rows = run.workspace.records.num_rows
        self.setWindowTitle(f"osquery Event Inspector — {self._title(run.workspace)} (loading…)")
        self.message.setText(
            f"Preview: {plural(rows, 'event')} from the log envelopes — loading the records…"
        )

    def show_loaded(self, run: LoadedRun) -> None:
        """Show a run read elsewhere (a host of a fleet dataset) as if it had been opened."""
        self.loader.cancel()
        self._on_loaded(run)

    def _on_loaded(self, run: LoadedRun) -> None:
        pending, self._pending = self._pending, None
        self._previewing = False
        self._shown_run = run
        if pending is not None and pending.frame is run.frame and self.workspace is run.workspace:
            self._show_findings(run)  # the rest is on show already
        else:
            self._show(run)
        self._announce_when_shown(run)

    def _announce_when_shown(self, run: LoadedRun) -> None:
        """``run_loaded`` once every panel shows the run: the lanes are built a batch per
        event-loop turn and the records' time order comes from a worker."""
        view = self.timeline.view if self.timeline is not None else None
        if self._shown_run is not run:
            return
        if (view is not None and view.is_building()) or self.records_panel.is_busy():
            # With the window as context: a window closed meanwhile drops the call.
            QTimer.singleShot(10, self, lambda: self._announce_when_shown(run))
            return
        self.run_loaded.emit(run)

    def _show(self, run: LoadedRun) -> None:
        """Fill every panel and the timeline from a loaded run."""
        ws = run.workspace
        self.workspace = ws
        self.current_paths = list(run.paths)
        self.setWindowTitle(f"osquery Event Inspector — {self._title(ws)}")
        if nothing_loadable(ws):
            self._set_run_actions(False)
            self.nothing_page.show_workspace(ws, self.current_paths)
            self.stack.setCurrentWidget(self.nothing_page)
            self.message.setText(f"Nothing loadable in {', '.join(self.current_paths)}")
            return
        self._set_run_actions(not run.findings_pending)
        self.overview_panel.show_run(ws, run.overview)
        self.records_panel.show_records(ws.records, run.record_order)
        self.status_panel.show_table(
            ws.status, STATUS_COLUMNS, f"{ws.status.num_rows:,} status lines"
        )
        self.sources_panel.show_table(sources_table(ws), SOURCE_COLUMNS, loaded_line(ws))
        problems = problems_table(ws)
        broken = sum(1 for source in ws.sources if damaged(source))
        self.problems_panel.show_table(
            problems,
            None,
            f"{plural(ws.rejected_lines, 'rejected line')} and "
            f"{plural(problems.num_rows - ws.bad_lines.num_rows - broken, 'file')} not loaded"
            + (f", {plural(broken, 'file')} loaded in part" if broken else ""),
        )
        queries = ws.mapping
        self.queries_panel.show_table(queries, None, f"{queries.num_rows:,} host × query pairs")
        self.tabs.setTabText(
            self.tabs.indexOf(self.problems_panel), f"Problems ({problems.num_rows:,})"
        )
        if run.pending_bursts is None:
            self._show_findings_table(run)
            doubled = None
        else:
            self.findings_panel.show_pending("Looking for duplicate bursts and re-baselines…")
            self.tabs.setTabText(self.tabs.indexOf(self.findings_panel), "Findings (analysing…)")
            from ui.widgets.timeline_panel import doubled_lanes

            doubled = doubled_lanes(run.pending_bursts)
        self._timeline().show_run(
            run.binner, run.factors, run.frame, run.markers, run.findings, gradual=True,
            subscriptions=ws.subscriptions, doubled=doubled,
        )  # fmt: skip
        self.database.show_run(ws)
        if self.compare.after is not None and not run.findings_pending:
            self.compare._request()  # a new current run: compare it with the run after again
        self.stack.setCurrentWidget(self.split)
        self._say_loaded(ws)

    def _say_loaded(self, ws: Workspace) -> None:
        """The status line after a load: files, records, rejected lines, what was unreadable."""
        unreadable = [s for s in ws.sources if s.status == "error"]
        text = (
            f"{loaded_line(ws)}: {plural(ws.records.num_rows, 'record')}, "
            f"{plural(ws.rejected_lines, 'rejected line')}"
        )
        if ws.from_cache:
            text += f" ({plural(ws.from_cache, 'file')} from the read cache)"
        if unreadable:
            text += f" — {plural(len(unreadable), 'file')} could not be read (see Problems)"
        self.message.setText(text)

    def _show_findings_table(self, run: LoadedRun) -> None:
        self.findings_panel.show_findings(
            run.findings, has_events=run.workspace.records.num_rows > 0
        )
        self.tabs.setTabText(
            self.tabs.indexOf(self.findings_panel), f"Findings ({run.findings.num_rows:,})"
        )

    def _show_findings(self, run: LoadedRun) -> None:
        """The findings of the run on show (drawn while they were computed)."""
        if nothing_loadable(run.workspace):
            return
        self._set_run_actions(True)
        self._show_findings_table(run)
        self._timeline().show_findings(run.findings)
        if self.compare.after is not None:
            self.compare._request()  # a new current run: compare it with the run after again
        self._say_loaded(run.workspace)  # the analysis' progress messages wrote over it

    # -- comparing ------------------------------------------------------------------------------
    def open_compare(
        self, paths: list[str], align_before: str = "start", align_after: str = "start"
    ) -> None:
        """Compare the current run with the run at ``paths`` (loaded in the background)."""
        self.compare.open(paths, align_before, align_after)

    def export_comparison(self, path: str | None = None):
        """The compare table to Parquet, with both runs' inputs in its provenance (``path``: no
        dialog). Returns the export job, or None."""
        result, after = self.compare.result, self.compare.after
        if result is None or after is None or self.workspace is None:
            self.message.setText("Nothing to export: compare this run with another first")
            return None
        parameters = {
            "bucket_seconds": result.bucket_seconds, "align_before": result.alignment.before,
            "align_after": result.alignment.after, "tz": self.options.tz, "year": self.options.year,
        }  # fmt: skip
        return export_actions.export_table(
            self, result.table, {"before": self.workspace, "after": after.workspace},
            parameters, "compare.parquet", path,
        )  # fmt: skip

    @property
    def comparison_state(self) -> dict | None:
        return self.compare.state

    def compare_dialog(self) -> None:
        """Compare with the run in a folder."""
        start = str(QSettings().value("last_folder", os.path.expanduser("~")))
        path = QFileDialog.getExistingDirectory(self, "Compare with the run in…", start)
        if path:
            self.open_compare([path])

    def compare_files_dialog(self) -> None:
        """Compare with the run in some files (logs, a config, …)."""
        start = str(QSettings().value("last_folder", os.path.expanduser("~")))
        paths, _ = QFileDialog.getOpenFileNames(self, "Compare with the run in these files", start)
        if paths:
            self.open_compare(paths)

    def go_to_time_dialog(self) -> None:
        """Centre the timeline on a time typed in the display zone (Ctrl+G)."""
        if self.timeline is None:
            return
        go_to_time(self, self.timeline, self.zone)

    def _timeline(self) -> TimelinePanel:
        """The timeline panel, created on first use (importing pyqtgraph takes a while)."""
        if self.timeline is None:
            from ui.widgets.timeline_panel import TimelinePanel

            self.timeline = TimelinePanel(self.zone, self)
            self.timeline.brushed.connect(self._on_brushed)
            self.split.replaceWidget(0, self.timeline)
        return self.timeline

    # -- linked views ---------------------------------------------------------------------------
    def _on_finding(self, finding: dict) -> None:
        """A selected finding: zoom the timeline to it, bring its lane into view and highlight it,
        and show its rows."""
        if finding.get("start") is not None and finding.get("end") is not None:
            timeline = self._timeline()
            timeline.zoom_to(finding["start"], finding["end"])
            timeline.focus_lane(finding_lane(finding))
            if finding["kind"] == "duplicate_burst":
                self.records_panel.focus_finding(
                    finding["host"], finding["subscriber"], finding["source"],
                    finding["start"], finding["end"], finding.get("run"),
                )  # fmt: skip
        self.message.setText(finding_line(finding, self.zone.text))

    def _show_problem(self, index) -> None:
        """A double-clicked Problems row: its line in its file, with the lines around it."""
        model = self.problems_panel.model
        row = model.table.slice(model.table_row(index.row()), 1).to_pylist()[0]
        self.problem_dialog = open_problem(self, row)
        if self.problem_dialog is None:
            self.message.setText(f"{row['source']}: {row['reason']}")

    def _on_records_filtered(self, shown: int, total: int) -> None:
        label = f"Records ({shown:,} of {total:,})" if shown != total else f"Records ({total:,})"
        self.tabs.setTabText(self.tabs.indexOf(self.records_panel), label)

    def _on_brushed(self, lo, hi) -> None:
        self.records_panel.set_time_range(lo, hi)
        if lo is None:
            self.message.setText("Time selection cleared")
        else:
            self.message.setText(
                f"Selected {self.zone.text(lo)} – {self.zone.text(hi, '%H:%M:%S')}"
            )

    @staticmethod
    def _title(ws: Workspace) -> str:
        hosts = ws.hosts.column("host").to_pylist()
        if len(hosts) == 1:
            return hosts[0]
        return f"{len(hosts)} hosts"

    def _restore_layout(self) -> None:
        restore_layout(self)

    def _set_run_actions(self, on: bool) -> None:
        for action in self.run_actions:
            action.setEnabled(on)

    def _on_zone(self, name: str) -> None:
        """Every view shows its times in the display zone ``name``."""
        apply_zone(self, self.zone)

    def closeEvent(self, event) -> None:
        save_layout(self)
        self._prepare_timer.stop()
        if self.timeline is not None:
            self.timeline.view.drop_spares()
        # A cancelled load stops at its next checkpoint; wait for it so no thread outlives us.
        self.loader.cancel()
        self.loader.wait(60_000)
        if self.timeline is not None:
            self.timeline.rebinner.wait(60_000)
            self.timeline.overlay_rebinner.wait(60_000)
        self.records_panel.shutdown()
        self.compare.shutdown()
        self.database.shutdown()
        super().closeEvent(event)
