"""The main window: wiring only (menus, drag and drop, loading, panels)."""

from __future__ import annotations

import os

import pyarrow as pa
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QWidget,
)

from inspector import __version__
from inspector.analysis.binning import FACTORS
from inspector.analysis.findings import FINDINGS
from inspector.model import LoadOptions, Workspace
from inspector.schema import LOADED_RECORDS
from inspector.views.overview import loaded_line, plural
from ui import export_actions
from ui.compare.controller import CompareController
from ui.database.controller import DatabaseController
from ui.drops import accept_file_drags, dropped_paths
from ui.menus import build_menus
from ui.recent import remember
from ui.widgets.findings_panel import FindingsPanel
from ui.widgets.overview_panel import OverviewPanel
from ui.widgets.records_panel import RecordsPanel
from ui.widgets.table_panel import TablePanel
from ui.widgets.welcome_page import WelcomePage
from ui.workers import LoadedRun, Loader, PreviewRun

STATUS_COLUMNS = [
    "log_time",
    "severity",
    "marker",
    "subject",
    "message",
    "host",
    "file",
    "src_line",
    "format",  # glog, plain, syslog_glog, syslog_echo, logfmt_glog …
    "local_time",  # the agent's wall clock as written (local-clock lines)
    "clock",
    "source",
    "line",
]
SOURCE_COLUMNS = [
    "path",
    "kind",
    "status",
    "rows",
    "lines",
    "rejected",
    "other",
    "compression",
    "cache",
    "reason",
    "notes",
]


def problems_table(ws: Workspace) -> pa.Table:
    """Rejected lines, then files that could not be read or were skipped (line empty)."""
    files = [s for s in ws.sources if s.status in ("error", "skipped")]
    file_rows = pa.table(
        {
            "source": pa.array([s.path for s in files], pa.string()),
            "line": pa.nulls(len(files), pa.int64()),
            "reason": pa.array([f"{s.status}: {s.reason}" for s in files], pa.string()),
        }
    )
    return pa.concat_tables([ws.bad_lines.cast(file_rows.schema), file_rows])


def sources_table(ws: Workspace) -> pa.Table:
    """The workspace's source reports as a table for display."""
    return pa.table(
        {
            "path": [s.path for s in ws.sources],
            "kind": [s.kind for s in ws.sources],
            "status": [s.status for s in ws.sources],
            "rows": pa.array([s.rows for s in ws.sources], pa.int64()),
            "lines": pa.array([s.lines_read for s in ws.sources], pa.int64()),
            "rejected": pa.array([s.lines_rejected for s in ws.sources], pa.int64()),
            # lines of other programs in a system log: counted, not loaded
            "other": pa.array([s.lines_other for s in ws.sources], pa.int64()),
            "compression": [s.compression for s in ws.sources],
            "cache": [_CACHED.get(s.cached or "") for s in ws.sources],
            "reason": [s.reason for s in ws.sources],
            "notes": ["; ".join(s.notes) for s in ws.sources],
        }
    )


_CACHED = {"cache": "read back", "tail": "read back + new lines"}


def _demo_paths(progress) -> list[str]:
    """The demo run's inputs, written into the cache first if needed (in the load worker)."""
    from inspector.demo.bundled_run import demo_inputs, ensure_demo_run

    return demo_inputs(ensure_demo_run(progress=progress))


def _finding_line(f: dict) -> str:
    what = f["subscriber"] or f["query"] or "?"
    if f["kind"] == "duplicate_burst":
        text = f"Duplicate burst in {what}: ×{f['duplicate_factor']:.2f}, {f['extra_rows']:,} extra rows"
        if f.get("marker"):
            text += f", after {f['marker']} at {f['config_change_at']:%H:%M:%S} UTC"
        return text
    return f"{f['kind']} of {what} at {f['start']:%Y-%m-%d %H:%M:%S} UTC"


class MainWindow(QMainWindow):
    """Open inputs, watch them load, and browse what they hold."""

    run_loaded = Signal(object)  # LoadedRun, after the panels show it

    def __init__(self, options: LoadOptions | None = None) -> None:
        super().__init__()
        self.setWindowTitle("osquery Event Inspector")
        self.setAcceptDrops(True)
        self.options = options or LoadOptions()
        self.workspace: Workspace | None = None
        self.loader = Loader(self)
        self.loader.previews = True
        self._previewing = False  # the timeline shows a preview of a load still under way
        self._shown_run: LoadedRun | None = None
        self.loader.progressed.connect(self._on_progress)
        self.loader.previewed.connect(self._on_preview)
        self.loader.loaded.connect(self._on_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.busy_changed.connect(self._on_busy)

        self.welcome = WelcomePage(self)
        self.welcome.open_files_requested.connect(self.open_files_dialog)
        self.welcome.open_folder_requested.connect(self.open_folder_dialog)
        self.welcome.open_demo_requested.connect(self.open_demo)
        self.tabs = QTabWidget(self)
        # The timeline (pyqtgraph) is built with the first run: the empty window opens sooner.
        self.timeline = None
        self.findings_panel = FindingsPanel(self)
        self.findings_panel.finding_selected.connect(self._on_finding)
        self.overview_panel = OverviewPanel(self)
        self.records_panel = RecordsPanel(self)
        self.records_panel.filter_changed.connect(self._on_records_filtered)
        self.status_panel = TablePanel("No status lines", self)
        self.sources_panel = TablePanel("No sources", self)
        self.problems_panel = TablePanel("No rejected lines", self)
        for panel in (self.records_panel, self.status_panel):
            panel.model.formatters["source"] = os.path.basename
        self.queries_panel = TablePanel("No queries", self)
        self.compare = CompareController(self)
        self.database = DatabaseController(self)
        self.current_paths: list[str] = []
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
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.split)
        self.setCentralWidget(self.stack)

        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.progress.setMaximumWidth(240)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel_loading)
        self.message = QLabel("Ready", self)
        bar = self.statusBar()
        bar.addWidget(self.message, 1)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.cancel_button)
        self._on_busy(False)
        build_menus(self)
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
        if not self._previewing:
            return
        self._previewing = False
        if self._shown_run is not None:
            self._show(self._shown_run)
        else:
            self.stack.setCurrentWidget(self.welcome)
            self.setWindowTitle("osquery Event Inspector")

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

    def _on_progress(self, fraction: float, message: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.message.setText(message)

    def _on_failed(self, message: str) -> None:
        self._drop_preview()
        self.message.setText(f"Loading failed: {message}")
        QMessageBox.warning(self, "Loading failed", message)

    def _on_preview(self, run: PreviewRun) -> None:
        """A big run's lanes from its log envelopes, while its records still load."""
        self._timeline().show_run(
            run.binner, FACTORS.empty_table(), run.frame, run.markers, FINDINGS.empty_table()
        )
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
        self._previewing = False
        self._shown_run = run
        self._show(run)
        self.run_loaded.emit(run)

    def _show(self, run: LoadedRun) -> None:
        """Fill every panel and the timeline from a loaded run."""
        ws = run.workspace
        self.workspace = ws
        self.overview_panel.show_run(ws, run.overview)
        self.records_panel.show_records(ws.records)
        self.status_panel.show_table(
            ws.status, STATUS_COLUMNS, f"{ws.status.num_rows:,} status lines"
        )
        self.sources_panel.show_table(sources_table(ws), SOURCE_COLUMNS, loaded_line(ws))
        problems = problems_table(ws)
        self.problems_panel.show_table(
            problems,
            None,
            f"{plural(ws.bad_lines.num_rows, 'rejected line')} and "
            f"{plural(problems.num_rows - ws.bad_lines.num_rows, 'file')} not loaded",
        )
        queries = ws.mapping
        self.queries_panel.show_table(queries, None, f"{queries.num_rows:,} host × query pairs")
        self.tabs.setTabText(
            self.tabs.indexOf(self.problems_panel), f"Problems ({problems.num_rows:,})"
        )
        self.findings_panel.show_findings(run.findings)
        self.tabs.setTabText(
            self.tabs.indexOf(self.findings_panel), f"Findings ({run.findings.num_rows:,})"
        )
        self._timeline().show_run(run.binner, run.factors, run.frame, run.markers, run.findings)
        self.database.show_run(ws)
        self.current_paths = list(run.paths)
        if self.compare.after is not None:
            self.compare._request()  # a new current run: compare it with the run after again
        self.stack.setCurrentWidget(self.split)
        unreadable = [s for s in ws.sources if s.status == "error"]
        text = (
            f"{loaded_line(ws)}: {plural(ws.records.num_rows, 'record')}, "
            f"{plural(ws.bad_lines.num_rows, 'rejected line')}"
        )
        if ws.from_cache:
            text += f" ({plural(ws.from_cache, 'file')} from the read cache)"
        if unreadable:
            text += f" — {plural(len(unreadable), 'file')} could not be read (see Problems)"
        self.message.setText(text)
        self.setWindowTitle(f"osquery Event Inspector — {self._title(ws)}")

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
        start = str(QSettings().value("last_folder", os.path.expanduser("~")))
        path = QFileDialog.getExistingDirectory(self, "Compare with the run in…", start)
        if path:
            self.open_compare([path])

    def _timeline(self):
        """The timeline panel, created on first use (importing pyqtgraph takes a while)."""
        if self.timeline is None:
            from ui.widgets.timeline_panel import TimelinePanel

            self.timeline = TimelinePanel(self)
            self.timeline.brushed.connect(self._on_brushed)
            self.split.replaceWidget(0, self.timeline)
        return self.timeline

    # -- linked views ---------------------------------------------------------------------------
    def _on_finding(self, finding: dict) -> None:
        """A selected finding: zoom the timeline to it and show its rows."""
        if finding.get("start") is not None and finding.get("end") is not None:
            self.timeline.zoom_to(finding["start"], finding["end"])
            if finding["kind"] == "duplicate_burst":
                self.records_panel.focus_finding(
                    finding["host"], finding["subscriber"], finding["source"],
                    finding["start"], finding["end"],
                )  # fmt: skip
        self.message.setText(_finding_line(finding))

    def _on_records_filtered(self, shown: int, total: int) -> None:
        label = f"Records ({shown:,} of {total:,})" if shown != total else f"Records ({total:,})"
        self.tabs.setTabText(self.tabs.indexOf(self.records_panel), label)

    def _on_brushed(self, lo, hi) -> None:
        self.records_panel.set_time_range(lo, hi)
        if lo is None:
            self.message.setText("Time selection cleared")
        else:
            self.message.setText(f"Selected {lo:%Y-%m-%d %H:%M:%S} – {hi:%H:%M:%S} UTC")

    @staticmethod
    def _title(ws: Workspace) -> str:
        hosts = ws.hosts.column("host").to_pylist()
        if len(hosts) == 1:
            return hosts[0]
        return f"{len(hosts)} hosts"

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        split = settings.value("window/split")
        if split is not None:
            self.split.restoreState(split)

    def closeEvent(self, event) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/split", self.split.saveState())
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
