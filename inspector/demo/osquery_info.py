"""The demo host's ``osquery_info`` query (osquery-monitoring pack): one row per worker.

A differential query over ``osquery_info``: the first run logs the worker that answers it, and
the first run after each worker start logs the old worker removed and the new one added. Its
``start_time`` is the worker's start in UTC — what the analysis sets against the status log's
wall-clock start lines to learn the agent's time zone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inspector.demo.differential import DiffRows
from inspector.demo.scenarios import Scenario
from inspector.demo.schedule import Timeline
from inspector.demo.status_log import VERSION, WATCHER_PID

QUERY = "pack_osquery-monitoring_osquery_info"
SQL = "SELECT * FROM osquery_info;"
INTERVAL = 600
UUIDS = {
    "darwin": "4AB2906D-5516-5794-AF54-86D1D7F533F3",
    "linux": "9F3C5E2A-1B7D-4C8E-A0F1-2D3E4F5A6B7C",
}


def run_times(timeline: Timeline, worker_starts: list[tuple[float, int]]) -> list[int]:
    """The scheduler runs the query ``INTERVAL`` after each worker start and every
    ``INTERVAL`` from there (a new worker starts its schedule afresh)."""
    ends = [t for t, _ in worker_starts[1:]] + [float(timeline.end)]
    out = []
    for (start, _), end in zip(worker_starts, ends, strict=True):
        t = int(start) + 41
        while t < end and t <= timeline.end:
            if timeline.running(np.array([t]))[0]:
                out.append(t)
            t += INTERVAL
    return out


def osquery_info_rows(
    scenario: Scenario, timeline: Timeline, worker_starts: list[tuple[float, int]]
) -> DiffRows:
    """Logged rows of the query: a row per worker, removed when the next one is added."""
    out = DiffRows(QUERY, [], [], [], [], [], [])
    previous: dict[str, Any] | None = None
    counter = -1
    resets = sorted(timeline.epoch_changes + timeline.db_wipes)
    for run in run_times(timeline, worker_starts):
        start, pid = max((w for w in worker_starts if w[0] <= run), key=lambda w: w[0])
        row = {
            "build_distro": "10.14" if scenario.platform == "darwin" else "focal",
            "build_platform": scenario.platform, "config_hash": "b7e4c1f0a2d35e68c9f1b2a3d4e5f60718293a4b",
            "config_valid": "1", "extensions": "active", "instance_id": f"c0ffee00-0000-4000-8000-{pid:012d}",
            "pid": str(pid), "platform_mask": "21" if scenario.platform == "darwin" else "9",
            "start_time": str(int(start)), "uuid": UUIDS.get(scenario.platform, UUIDS["linux"]),
            "version": VERSION, "watcher": str(WATCHER_PID),
        }  # fmt: skip
        epoch = int(timeline.epoch(np.array([run]))[0])
        reset = any(counter >= 0 and out.log_time and out.log_time[-1] < r <= run for r in resets)
        if counter < 0 or reset:
            if reset:
                out.rebaselines.append((run, "database_wipe" if any(
                    out.log_time[-1] < w <= run for w in timeline.db_wipes) else "epoch_change"))  # fmt: skip
            counter = 0
            _add(out, run, "added", counter, epoch, row)
        elif previous is not None and row != previous:  # previous: set by the first run
            counter += 1
            _add(out, run, "removed", counter, epoch, previous)
            _add(out, run, "added", counter, epoch, row)
        previous = row
    return out


def _add(
    out: DiffRows, run: int, action: str, counter: int, epoch: int, row: dict[str, Any]
) -> None:
    out.log_time.append(run)
    out.action.append(action)
    out.counter.append(counter)
    out.epoch.append(epoch)
    out.rows.append(row)
