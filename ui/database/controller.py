"""Wiring the Database tab into the window: measure the run's databases, link to the timeline.

The anatomy reads each ``osquery.db`` again (read-only, through a shadow folder) on a worker
thread, only once the tab is shown: a run opened for its logs does not pay for it. A newer run
cancels a measurement under way (latest request wins). Selecting a subscriber zooms the
timeline to its buffered span and filters the records to its database rows; clicking a bucket of
the chart does the same for that bucket.
"""

from __future__ import annotations

import datetime as dt
import logging

import pyarrow as pa
import pyarrow.compute as pc
from PySide6.QtCore import QObject, Signal

from inspector.arrow_columns import value_mask
from inspector.model import Workspace
from inspector.progress import Progress
from inspector.readers.database_error import DatabaseError
from ui.database.panel import DatabasePanel
from ui.latest_job import LatestJob

log = logging.getLogger(__name__)
CONFIG_KINDS = ("config",)


def measure_run(
    databases: list[str], configs: list[str], progress: Progress
) -> list:  # list[DatabaseReport]
    """Every database's anatomy, with the run's configs for events_expiry (worker thread)."""
    from inspector.database.report import anatomy

    documents = []
    for path in configs:
        try:
            with open(path, "rb") as f:
                documents.append((path, f.read().decode("utf-8", "replace")))
        except OSError:
            log.warning("config %s could not be read again for events_expiry", path, exc_info=True)
    reports = []
    for i, path in enumerate(databases):
        part = progress.scaled(i / len(databases), (i + 1) / len(databases))
        reports.append(anatomy(path, documents, progress=part))
    return reports


def database_hosts(records: pa.Table, database: str) -> list[str]:
    """The hosts the run gave ``database``'s records (one, normally)."""
    if not records.num_rows or "source" not in records.column_names:
        return []
    # Compared once per distinct source (the dictionary), not per row: this runs on the GUI
    # thread when a run is shown (casting a million rows' sources held it 120 ms).
    mask = value_mask(records.column("source"), lambda values: pc.equal(values, database))
    hosts = records.column("host").filter(pa.array(mask)).unique()
    return sorted(h for h in hosts.cast(pa.string()).to_pylist() if h is not None)


class DatabaseController(QObject):
    """Owns the Database tab and the measurement of the current run's databases."""

    measured = Signal()  # the tab shows the current run's reports
    progressed = Signal(float, str)  # from the worker thread (queued to the GUI thread)

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.panel = DatabasePanel(window)
        self.job = LatestJob(self, plain_errors=(DatabaseError,))
        self.job.done.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self.progressed.connect(lambda fraction, _m: self.panel.show_progress(fraction))
        self.databases: list[str] = []
        self.configs: list[str] = []
        self.hosts: dict[str, list[str]] = {}
        self._records: pa.Table | None = None
        self.stale = False  # a run is shown whose databases are not measured yet
        self.panel.subscriber_selected.connect(self._on_subscriber)
        self.panel.bucket_selected.connect(self._on_bucket)
        window.tabs.currentChanged.connect(self._on_tab)

    def show_run(self, ws: Workspace) -> None:
        """A newly shown run: measure its databases when the tab is (or becomes) visible."""
        self.job.cancel()
        loaded = ws.loaded_sources
        self.databases = [s.path for s in loaded if s.kind == "osquery_db"]
        self.configs = [s.path for s in loaded if s.kind in CONFIG_KINDS]
        # Which hosts each database's records went to is worked out with the measurement, on
        # the worker: filtering a 1 GB run's records here held the GUI thread 140 ms.
        self.hosts = {}
        self._records = ws.records
        tabs = self.window.tabs
        title = f"Database ({len(self.databases)})" if len(self.databases) > 1 else "Database"
        tabs.setTabText(tabs.indexOf(self.panel), title)
        if not self.databases:
            self.stale = False
            self.panel.show_none()
            return
        self.stale = True
        if tabs.currentWidget() is self.panel:
            self.request()

    def request(self) -> None:
        """Measure the current run's databases on the worker."""
        self.stale = False
        databases, configs = list(self.databases), list(self.configs)
        records = self._records
        self.panel.show_pending(databases)

        def work(job_progress: Progress) -> tuple[list, dict[str, list[str]]]:
            def forward(fraction: float, message: str) -> None:
                job_progress.check()  # a newer run cancelled this one: stop here
                self.progressed.emit(fraction, message)

            hosts = (
                {db: database_hosts(records, db) for db in databases} if records is not None else {}
            )
            return measure_run(databases, configs, Progress(forward)), hosts

        self.job.start(work)

    def _on_tab(self, index: int) -> None:
        if self.stale and self.window.tabs.widget(index) is self.panel:
            self.request()

    def _on_done(self, result: tuple[list, dict[str, list[str]]]) -> None:
        reports, self.hosts = result
        self.panel.show_reports(reports)
        self.measured.emit()

    def _on_failed(self, message: str) -> None:
        self.panel.show_error(message)
        self.window.message.setText(f"Database anatomy: {message}")

    # -- linked views ---------------------------------------------------------------------------
    def _host(self, database: str) -> str | None:
        hosts = self.hosts.get(database, [])
        return hosts[0] if len(hosts) == 1 else None

    def _on_subscriber(self, chosen: dict) -> None:
        lo, hi = chosen["oldest"], chosen["newest"] + dt.timedelta(seconds=1)
        self._focus(chosen["database"], chosen["subscriber"], lo, hi)
        self.window.message.setText(
            f"{chosen['publisher']} → {chosen['subscriber']} in {chosen['database']}: buffered "
            f"{lo:%Y-%m-%d %H:%M:%S} – {chosen['newest']:%H:%M:%S} UTC"
        )

    def _on_bucket(self, bucket: dict) -> None:
        self._focus(bucket["database"], bucket["subscriber"], bucket["start"], bucket["end"])
        what = bucket["subscriber"] or "every subscriber"
        self.window.message.setText(
            f"{what} in {bucket['database']}: {bucket['start']:%Y-%m-%d %H:%M:%S} – "
            f"{bucket['end']:%H:%M:%S} UTC"
        )

    def _focus(
        self, database: str, subscriber: str | None, lo: dt.datetime, hi: dt.datetime
    ) -> None:
        """The timeline shows [lo, hi); the records show that database's rows in it."""
        self.window._timeline().zoom_to(lo, hi)
        self.window.records_panel.focus_finding(
            self._host(database), subscriber, "osquery_db", lo, hi
        )

    def shutdown(self) -> None:
        self.job.cancel()
        self.job.wait(60_000)
