"""The demo host's glog status file: what osqueryd says about starts, config changes, restarts
and its database, in the exact line format of osquery 5.x (docs/osquery-formats.md §3–4)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

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


def status_lines(
    scenario: Scenario,
    timeline: Timeline,
    queries: list[str],
    rebaselines: list[tuple[int, str, str]],
    executions: list[tuple[float, str, str]] = (),  # type: ignore[assignment]
    zone: str = "UTC",
) -> tuple[list[str], list[dict]]:
    """The file's lines (header first) and the markers written, for truth.json.

    ``rebaselines`` are (run time, query, cause) of differential queries that logged their full
    state again; osquery says so when the query runs.
    """
    start = timeline.start
    header = [
        f"Log file created at: {local(start, zone):%Y/%m/%d %H:%M:%S}",
        f"Running on machine: {scenario.host}",
        "Running duration (h:mm:ss): 0:00:00",
        "Log line format: [IWEF]yyyymmdd hh:mm:ss.uuuuuu threadid file:line] msg",
    ]
    events: list[
        tuple[float, str, str, str, int, str | None]
    ] = []  # t, sev, where, msg, tid, marker
    publishers = sorted({scenario.publisher(s.table) for s in scenario.streams})
    # The worker's pid (and thread ids) change at each watchdog restart and agent restart.
    starts = worker_starts(timeline)

    def pid_at(t: float) -> int:
        return max((pid for when, pid in starts if when <= t), default=starts[0][1])

    def boot(t: float, first: bool) -> None:
        if first:
            events.append(
                (
                    t,
                    "I",
                    "init.cpp:413",
                    f"osquery initialized [version={VERSION}]",
                    WATCHER_PID,
                    "agent_start",
                )
            )
        events.append(
            (
                t + 0.2,
                "I",
                "watcher.cpp:721",
                f"osqueryd watcher ({WATCHER_PID}) executing worker ({pid_at(t)})",
                WATCHER_PID + 1,
                "worker_start",
            )
        )
        events.append(
            (
                t + 0.4,
                "I",
                "rocksdb.cpp:90",
                f"Opening RocksDB handle: {DB_PATH}",
                pid_at(t),
                "database_open",
            )
        )
        for k, publisher in enumerate(publishers):
            events.append(
                (
                    t + 0.5 + k / 100,
                    "I",
                    "eventfactory.cpp:156",
                    f"Starting event publisher run loop: {publisher}",
                    pid_at(t) + 50 + k,
                    "publisher_started",
                )
            )
        for k, (publisher, reason) in enumerate(scenario.unused_publishers):
            events.append(
                (
                    t + 0.6 + k / 100,
                    "I",
                    "eventfactory.cpp:163",
                    f"Event publisher not enabled: {publisher}: {reason}",
                    pid_at(t),
                    "publisher_disabled",
                )
            )

    boot(start, True)
    for t in timeline.config_changes:
        events.append(
            (
                t - 0.3,
                "I",
                "config.cpp:1012",
                "Calling configure for logger filesystem",
                pid_at(t),
                "config_change",
            )
        )
    for t in timeline.restarts:
        events.append(
            (
                t,
                "W",
                "watcher.cpp:721",
                f"osqueryd worker ({pid_at(t)}) stopping: Memory limits exceeded: 412000256 bytes (limit is 200MB)",
                WATCHER_PID + 1,
                "worker_restart",
            )
        )
        boot(t + 3.5, False)
        if queries:
            events.append(
                (
                    t + 3.9,
                    "W",
                    "config.cpp:363",
                    f"Scheduled query may have failed: {queries[0]}",
                    pid_at(t + 3.9),
                    "worker_restart",
                )
            )
    for t, query, cause in rebaselines:
        message = (
            f"New Epoch 1 for scheduled query {query}"
            if cause == "epoch_change"
            else f"Storing initial results for new scheduled query: {query}"
        )
        events.append((t - 0.05, "I", "query.cpp:131", message, pid_at(t), "query_updated"))
    for t in timeline.db_wipes:
        events.append(
            (
                t,
                "I",
                "rocksdb.cpp:142",
                "Rocksdb open failed (2:0) Corruption: block checksum mismatch: stored = 1813392409, "
                f"computed = 2217306457 in {DB_PATH}/000051.sst",
                pid_at(t),
                "database_error",
            )
        )
        events.append(
            (
                t + 0.1,
                "W",
                "rocksdb.cpp:170",
                f"Backing up RocksDB database: {DB_PATH}.backup",
                pid_at(t),
                "database_error",
            )
        )
        events.append(
            (
                t + 0.2,
                "W",
                "rocksdb.cpp:176",
                "Destroying RocksDB database due to corruption",
                pid_at(t),
                "database_error",
            )
        )
        boot(t + 12, True)
    for t, query, sql in executions:
        # --verbose: the scheduler names every query it runs
        message = f"Executing scheduled query {query}: {sql}"
        events.append((t, "I", "scheduler.cpp:120", message, pid_at(t), "query_executed"))
    events.sort(key=lambda e: e[0])
    lines = header + [
        glog_line(t, sev, where, msg, tid, zone) for t, sev, where, msg, tid, _ in events
    ]
    markers = [
        {"at": round(t, 6), "kind": marker, "message": msg}
        for t, _, _, msg, _, marker in events
        if marker is not None
    ]
    return lines, markers
