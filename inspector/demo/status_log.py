"""The demo host's glog status file: what osqueryd says about starts, config changes, restarts
and its database, in the exact line format of osquery 5.x (docs/osquery-formats.md §3–4)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from typing import Any, NamedTuple

from inspector.demo.scenarios import Scenario
from inspector.demo.schedule import Timeline

VERSION = "5.12.1"
WATCHER_PID = 4242
DB_PATH = "/var/osquery/osquery.db"


def local(t: float, zone: str) -> dt.datetime:
    """The demo host's wall clock at unix time ``t`` (glog writes local time)."""
    return dt.datetime.fromtimestamp(t, zoneinfo.ZoneInfo(zone))


def glog_line(
    t: float, severity: str, where: str, message: str, tid: int, zone: str = "UTC"
) -> str:
    d = local(t, zone)
    return f"{severity}{d:%m%d %H:%M:%S}.{d.microsecond:06d} {tid:>5} {where}] {message}"


def worker_starts(timeline: Timeline) -> list[tuple[float, int]]:
    """(time, pid) of each worker the watcher starts: at the agent's start, after each watchdog
    restart, after a wiped database."""
    boots = sorted(
        [(t + 3.5, 311) for t in timeline.restarts] + [(t + 12, 97) for t in timeline.db_wipes]
    )
    out = [(float(timeline.start), WATCHER_PID + 8)]
    pid = WATCHER_PID + 8
    for t, step in boots:
        pid += step
        out.append((t, pid))
    return out


class StatusEvent(NamedTuple):
    """One status line to write, and the marker it is for truth.json (None: not a marker)."""

    t: float
    severity: str
    where: str
    message: str
    tid: int
    marker: str | None


def status_lines(
    scenario: Scenario,
    timeline: Timeline,
    queries: list[str],
    rebaselines: list[tuple[int, str, str]],
    executions: Sequence[tuple[float, str, str]] = (),
    zone: str = "UTC",
) -> tuple[list[str], list[dict[str, Any]]]:
    """The file's lines (header first) and the markers written, for truth.json.

    ``rebaselines`` are (run time, query, cause) of differential queries that logged their full
    state again; osquery says so when the query runs.
    """
    # The worker's pid (and thread ids) change at each watchdog restart and agent restart.
    workers = _Workers(worker_starts(timeline), scenario)
    events = workers.boot(timeline.start, True)
    events += config_change_events(timeline, workers)
    events += restart_events(timeline, queries, workers)
    events += rebaseline_events(rebaselines, workers)
    events += database_wipe_events(timeline, workers)
    events += execution_events(executions, workers)
    events.sort(key=lambda e: e.t)  # stable: events at one instant keep the order above
    lines = status_header(scenario, timeline.start, zone) + [
        glog_line(e.t, e.severity, e.where, e.message, e.tid, zone) for e in events
    ]
    markers = [
        {"at": round(e.t, 6), "kind": e.marker, "message": e.message}
        for e in events
        if e.marker is not None
    ]
    return lines, markers


def status_header(scenario: Scenario, start: float, zone: str) -> list[str]:
    """The four lines glog writes at the top of every log file."""
    return [
        f"Log file created at: {local(start, zone):%Y/%m/%d %H:%M:%S}",
        f"Running on machine: {scenario.host}",
        "Running duration (h:mm:ss): 0:00:00",
        "Log line format: [IWEF]yyyymmdd hh:mm:ss.uuuuuu threadid file:line] msg",
    ]


class _Workers:
    """The worker processes over the run (for the pid on each line) and what each one starts."""

    def __init__(self, starts: list[tuple[float, int]], scenario: Scenario) -> None:
        self.starts = starts
        self.publishers = sorted({scenario.publisher(s.table) for s in scenario.streams})
        self.unused_publishers = scenario.unused_publishers

    def pid_at(self, t: float) -> int:
        """The pid of the worker running at ``t``."""
        return max((pid for when, pid in self.starts if when <= t), default=self.starts[0][1])

    def boot(self, t: float, first: bool) -> list[StatusEvent]:
        """A worker's start at ``t`` (``first``: the agent's own start, with its banner)."""
        pid = self.pid_at(t)
        events = []
        if first:
            events.append(StatusEvent(t, "I", "init.cpp:413", f"osquery initialized [version={VERSION}]",
                                      WATCHER_PID, "agent_start"))  # fmt: skip
        events.append(StatusEvent(t + 0.2, "I", "watcher.cpp:721",
                                  f"osqueryd watcher ({WATCHER_PID}) executing worker ({pid})",
                                  WATCHER_PID + 1, "worker_start"))  # fmt: skip
        events.append(StatusEvent(t + 0.4, "I", "rocksdb.cpp:90", f"Opening RocksDB handle: {DB_PATH}",
                                  pid, "database_open"))  # fmt: skip
        for k, publisher in enumerate(self.publishers):
            events.append(StatusEvent(t + 0.5 + k / 100, "I", "eventfactory.cpp:156",
                                      f"Starting event publisher run loop: {publisher}",
                                      pid + 50 + k, "publisher_started"))  # fmt: skip
        for k, (publisher, reason) in enumerate(self.unused_publishers):
            events.append(StatusEvent(t + 0.6 + k / 100, "I", "eventfactory.cpp:163",
                                      f"Event publisher not enabled: {publisher}: {reason}",
                                      pid, "publisher_disabled"))  # fmt: skip
        return events


def config_change_events(timeline: Timeline, workers: _Workers) -> list[StatusEvent]:
    """The line osquery writes as it applies each new config."""
    return [
        StatusEvent(
            t - 0.3,
            "I",
            "config.cpp:1012",
            "Calling configure for logger filesystem",
            workers.pid_at(t),
            "config_change",
        )
        for t in timeline.config_changes
    ]


def restart_events(timeline: Timeline, queries: list[str], workers: _Workers) -> list[StatusEvent]:
    """Each watchdog restart: the worker stopped, its successor's start, and the query blamed."""
    events = []
    for t in timeline.restarts:
        events.append(StatusEvent(t, "W", "watcher.cpp:721",
                                  f"osqueryd worker ({workers.pid_at(t)}) stopping: Memory limits exceeded: "
                                  "412000256 bytes (limit is 200MB)",
                                  WATCHER_PID + 1, "worker_restart"))  # fmt: skip
        events += workers.boot(t + 3.5, False)
        if queries:
            events.append(StatusEvent(t + 3.9, "W", "config.cpp:363",
                                      f"Scheduled query may have failed: {queries[0]}",
                                      workers.pid_at(t + 3.9), "worker_restart"))  # fmt: skip
    return events


def rebaseline_events(
    rebaselines: list[tuple[int, str, str]], workers: _Workers
) -> list[StatusEvent]:
    """The line a differential query logs when it stores its full state again."""
    events = []
    for t, query, cause in rebaselines:
        message = (
            f"New Epoch 1 for scheduled query {query}"
            if cause == "epoch_change"
            else f"Storing initial results for new scheduled query: {query}"
        )
        events.append(
            StatusEvent(t - 0.05, "I", "query.cpp:131", message, workers.pid_at(t), "query_updated")
        )
    return events


def database_wipe_events(timeline: Timeline, workers: _Workers) -> list[StatusEvent]:
    """Each corrupt database: its failed open, backup and destruction, then the agent's restart."""
    events = []
    for t in timeline.db_wipes:
        pid = workers.pid_at(t)
        events.append(StatusEvent(t, "I", "rocksdb.cpp:142",
                                  "Rocksdb open failed (2:0) Corruption: block checksum mismatch: stored = 1813392409, "
                                  f"computed = 2217306457 in {DB_PATH}/000051.sst", pid, "database_error"))  # fmt: skip
        events.append(StatusEvent(t + 0.1, "W", "rocksdb.cpp:170",
                                  f"Backing up RocksDB database: {DB_PATH}.backup", pid, "database_error"))  # fmt: skip
        events.append(StatusEvent(t + 0.2, "W", "rocksdb.cpp:176",
                                  "Destroying RocksDB database due to corruption", pid, "database_error"))  # fmt: skip
        events += workers.boot(t + 12, True)
    return events


def execution_events(
    executions: Sequence[tuple[float, str, str]], workers: _Workers
) -> list[StatusEvent]:
    """--verbose: the scheduler names every query it runs."""
    return [
        StatusEvent(
            t,
            "I",
            "scheduler.cpp:120",
            f"Executing scheduled query {query}: {sql}",
            workers.pid_at(t),
            "query_executed",
        )
        for t, query, sql in executions
    ]
