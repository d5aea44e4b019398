"""The agent's time zone of the status logs: what the run's evidence says, and the user's override.

glog and syslog lines carry the agent's wall clock. The load places them on UTC in the zone
``--tz`` names, else the zone the run's evidence shows, else UTC (flagged). This dialog shows
that per host with its evidence and lets the user set the zone (or go back to inference); the
window then places the lines again and re-runs the analysis in a worker — no relaunch, nothing
read again.
"""

from __future__ import annotations

import dataclasses
import zoneinfo

import pyarrow as pa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from inspector.model import Workspace
from inspector.progress import Progress
from ui.latest_job import LatestJob

INFER = "Infer from the run (evidence below)"
BASIS = {"given": "as set", "inferred": "inferred", "assumed": "assumed (no evidence)"}


def clock_rows(clocks: pa.Table) -> list[tuple[str, str, str, str]]:
    """(host, zone, basis, evidence) for display."""
    return [
        (c["host"] or "(unknown host)", c["zone"], BASIS.get(c["basis"], c["basis"]), c["evidence"])
        for c in clocks.to_pylist()
    ]


class StatusZoneDialog(QDialog):
    """Shows how each host's status lines were placed and asks for the agent's zone."""

    def __init__(self, ws: Workspace, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Status-Log Time Zone")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "glog and system-log lines carry the agent's local time without a zone. They are "
            "placed on UTC in the zone set here, or — by default — in the zone the run's own "
            "evidence shows (osquery_info start times, 'Executing scheduled query' lines against "
            "the results, UTC twins of the same messages, the system log's clock), else in UTC."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        rows = clock_rows(ws.status_clocks)
        table = QTableWidget(len(rows), 4, self)
        table.setHorizontalHeaderLabels(["Host", "Zone", "How", "Evidence"])
        for r, values in enumerate(rows):
            for c, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                table.setItem(r, c, item)
        table.horizontalHeader().setStretchLastSection(True)
        table.resizeColumnsToContents()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(table)
        if not rows:
            layout.addWidget(QLabel("No status line of this run carries a local time."))
        layout.addWidget(QLabel("Agent's time zone:"))
        self.zone = QComboBox(self)
        self.zone.setEditable(True)
        self.zone.addItem(INFER)
        zones = sorted(zoneinfo.available_timezones())
        self.zone.addItems(zones)
        completer = QCompleter(zones, self.zone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.zone.setCompleter(completer)
        current = ws.options.tz
        self.zone.setCurrentText(current if current else INFER)
        layout.addWidget(self.zone)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(860, 360)

    def chosen(self) -> str | None:
        """The zone set (None: infer from the run)."""
        text = self.zone.currentText().strip()
        return None if text in ("", INFER) else text

    def _accept(self) -> None:
        zone = self.chosen()
        if zone is not None and zone not in zoneinfo.available_timezones():
            self.error.setText(
                f"Unknown time zone {zone!r}: pick an IANA name such as Europe/Berlin."
            )
            return
        self.accept()


def replace_status_zone(ws: Workspace, tz: str | None, paths: list[str], progress: Progress):
    """The worker's job: place the status lines again and analyse the run as a load would."""
    # Imported here: the window starts without the loading pipeline (the loader brings it).
    from inspector.loading.pipeline import with_status_zone
    from inspector.views.overview import overview
    from ui.run_loading import LoadedRun, analyse

    progress.report(0.05, "placing the status lines in the agent's zone")
    placed = with_status_zone(ws, tz)
    progress.check()
    summary = overview(placed)
    analysed = analyse(placed, progress.scaled(0.2, 1.0))
    return LoadedRun(placed, summary, *analysed, paths=list(paths))


def change_status_zone(window) -> None:  # window: ui.main_window.MainWindow
    """View → Status-Log Time Zone…: ask, then place again and re-analyse in a worker."""
    ws = window.workspace
    if ws is None:
        window.message.setText("Open a run first: its status logs' zone is read from it")
        return
    dialog = StatusZoneDialog(ws, window)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return
    tz = dialog.chosen()
    if tz == ws.options.tz:
        return
    job = getattr(window, "status_zone_job", None)
    if job is None:
        job = window.status_zone_job = LatestJob(window)
        job.done.connect(window._on_loaded)
        job.failed.connect(lambda message: window._on_failed(message))
        job.busy_changed.connect(window._on_busy)
    window.options = dataclasses.replace(window.options, tz=tz)
    window.message.setText(
        f"Placing the status lines in {tz or 'the zone the run shows'} and analysing again…"
    )
    paths = list(window.current_paths)
    job.start(lambda progress: replace_status_zone(ws, tz, paths, progress))
