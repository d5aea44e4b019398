"""The follow loop on a worker thread: the GUI thread only receives snapshots and events.

After a step that brought rows (at most every ``SNAPSHOT_SECONDS``) the worker builds what the
window shows — the record window as a run, a ``LiveBinner`` for the timeline, the factors and
findings — so the GUI thread never touches a growing table while it is being added to.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import pyarrow as pa
from PySide6.QtCore import QCoreApplication, QThread, Signal

from inspector.analysis.burst_rules import BurstOptions
from inspector.live.follow_loop import FollowLoop
from inspector.live.live_run import LiveRun
from inspector.live.record_window import LiveBinner
from inspector.model import LoadOptions, SourceReport, Workspace
from inspector.schema import BAD_LINES, HOSTS, QUERIES, SUBSCRIPTIONS
from inspector.views.overview import Overview, overview
from inspector.views.timeline_frames import (
    FACTOR_WIDTH_US,
    Frame,
    build_frame,
    markers_table,
    nice_width,
)
from ui.thread_priority import lower_this_thread

log = logging.getLogger(__name__)

SNAPSHOT_SECONDS = 0.5


@dataclass
class LiveSnapshot:
    """What the window shows of a followed run at one moment."""

    workspace: Workspace
    binner: LiveBinner
    factors: pa.Table
    findings: pa.Table
    markers: list[dict]
    lines: int
    records: int
    rejected: int
    lines_per_second: float
    lag_seconds: float
    last_flush: float | None  # epoch seconds of osquery.db's last flush, if one is followed
    held_rows: int  # records in memory (the rest counted per lane)
    taken: float  # when (epoch seconds)
    newest: float | None  # the newest event time (epoch seconds)
    overview: Overview | None = None  # the run's figures (recomputed now and then)
    frame: Frame | None = None  # the whole run's lanes (the first snapshot only)


def snapshot_of(loop: FollowLoop, full: bool = False) -> LiveSnapshot:
    """The run as it stands (called on the worker thread, between steps); ``full`` adds the
    overview figures and a frame of the whole run (what a first showing needs)."""
    run = loop.run
    records = run.window.table()
    sources = [SourceReport(live, f.report.kind, "loaded") for live, f in run.logs.items()]
    sources += [SourceReport(db, "osquery_db", "loaded") for db in run.databases]
    bad = pa.table(
        {
            "source": pa.array([b[0] for b in run.bad_lines], pa.string()),
            "line": pa.array([b[1] for b in run.bad_lines], pa.int64()),
            "reason": pa.array([b[2] for b in run.bad_lines], pa.string()),
            "lines": pa.array([b[3] for b in run.bad_lines], pa.int64()),  # a run's length
        },
        schema=BAD_LINES,
    )
    hosts = sorted(run.mapping.hosts)
    ws = Workspace(
        sources=sources,
        records=records,
        status=run.status,
        queries=QUERIES.empty_table(),
        hosts=_hosts(hosts),
        mapping=run.mapping.table(),
        subscriptions=SUBSCRIPTIONS.empty_table(),
        bad_lines=bad,
        options=run.options,
    )
    progress = loop.progress()
    binner = LiveBinner(run.window)
    newest = run.analysis.newest_us
    snap = LiveSnapshot(
        workspace=ws,
        binner=binner,
        factors=run.analysis.factors,
        findings=run.findings(),
        markers=markers_table(run.status),
        lines=run.counts.lines,
        records=run.counts.records,
        rejected=run.counts.rejected,
        lines_per_second=loop.lines_per_second,
        lag_seconds=float(progress["lag_seconds"]),
        last_flush=run.last_flush(),
        held_rows=records.num_rows,
        taken=time.time(),
        newest=None if newest is None else newest / 1e6,
    )
    if full:
        snap.overview = overview(ws)
        span = binner.span_us()
        width = nice_width(span[1] - span[0]) if span else FACTOR_WIDTH_US
        snap.frame = build_frame(binner, width, snap.factors)
    return snap


def _hosts(names: list[str]) -> pa.Table:
    """A ``HOSTS`` table naming the hosts (platforms are not inferred while following)."""
    rows = [
        {"host": h, "platform": None, "evidence": "not inferred while following"} for h in names
    ]
    return pa.Table.from_pylist(rows, schema=HOSTS) if rows else HOSTS.empty_table()


class FollowWorker(QThread):
    """Runs one follow; ``stop()`` ends it (the summary is its last event)."""

    snapshot = Signal(object)  # LiveSnapshot
    followed = Signal(object)  # an event dict: finding, finding_update, note, progress, summary
    failed = Signal(str)

    def __init__(self, paths: list[str], options: LoadOptions, limit_bytes: int) -> None:
        # Owned by the application: a window closed mid-follow must not destroy a running thread.
        super().__init__(QCoreApplication.instance())
        self.paths = list(paths)
        self.run_state = LiveRun(
            paths, options, BurstOptions(bucket_seconds=FACTOR_WIDTH_US // 1_000_000),
            limit_bytes=limit_bytes,
        )  # fmt: skip
        self.loop = FollowLoop(self.run_state, self.followed.emit, self._after_step)
        self._last_snapshot = 0.0
        self._last_full = 0.0
        self.shown = False  # the window has had a full snapshot

    def run(self) -> None:
        if not lower_this_thread():
            self.setPriority(QThread.Priority.LowPriority)  # the GUI thread comes first
        try:
            self.loop.follow()
        except Exception as exc:  # a worker must report, never die silently
            log.exception("following stopped")
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.run_state.close()

    def stop(self) -> None:
        self.loop.stop.set()
        if self.loop.signal is not None:
            self.loop.signal.poke()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.loop.paused.set()
        else:
            self.loop.paused.clear()
            if self.loop.signal is not None:
                self.loop.signal.poke()

    def _after_step(self, run: LiveRun) -> None:
        """A snapshot after every step, but at most every ``SNAPSHOT_SECONDS`` while catching
        up (steps back to back): the last step of a catch-up always sends one."""
        now = time.monotonic()
        if not run.more or now - self._last_snapshot >= SNAPSHOT_SECONDS:
            self._last_snapshot = now
            full = (not self.shown and run.counts.records > 0) or now - self._last_full > 10
            if full:
                self._last_full = now
                self.shown = self.shown or run.counts.records > 0
            self.snapshot.emit(snapshot_of(self.loop, full))
