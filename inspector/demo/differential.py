"""Non-event scheduled queries: full state on the first run (counter 0), then only changes.

After an epoch change or on a fresh database the next run logs the full state again with
counter 0 — a re-baseline that the analysis must not call duplication.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from inspector.demo.scenarios import Differential, Scenario
from inspector.demo.schedule import Timeline

INTERVAL = 300

# table → a new row (its values as osquery logs them: strings) for a random generator and serial
ROW_MAKERS: dict[str, Callable[[np.random.Generator, int], dict[str, str]]] = {
    "listening_ports": lambda rng, i: {
        "address": str(rng.choice(["0.0.0.0", "127.0.0.1", "::"])), "family": "2",
        "fd": str(int(rng.integers(3, 200))), "net_namespace": "0", "path": "",
        "pid": str(int(rng.integers(100, 60000))), "port": str(1024 + (i * 7919) % 60000),
        "protocol": str(rng.choice(["6", "17"])), "socket": str(int(rng.integers(10**5, 10**7))),
    },
    "users": lambda rng, i: {
        "description": f"Service account {i}", "directory": f"/var/lib/svc{i}", "gid": str(1000 + i),
        "gid_signed": str(1000 + i), "shell": "/usr/sbin/nologin", "uid": str(1000 + i),
        "uid_signed": str(1000 + i), "username": f"svc{i}", "uuid": "",
    },
}  # fmt: skip
TYPES = {"fd": "BIGINT", "pid": "INTEGER", "port": "INTEGER", "protocol": "INTEGER", "family": "INTEGER",
         "socket": "BIGINT", "net_namespace": "TEXT", "gid": "BIGINT", "uid": "BIGINT",
         "gid_signed": "BIGINT", "uid_signed": "BIGINT", "start_time": "INTEGER", "watcher": "INTEGER",
         "config_valid": "INTEGER"}  # fmt: skip


@dataclass
class DiffRows:
    """Logged rows of one differential query, in log order (removed before added per run)."""

    query: str
    log_time: list[int]
    action: list[str]
    counter: list[int]
    epoch: list[int]
    rows: list[dict[str, Any]]
    rebaselines: list[
        tuple[int, str]
    ]  # (run time, cause) of counter-0 full-state runs after the first


def differential_rows(
    rng: np.random.Generator, scenario: Scenario, timeline: Timeline, spec: Differential, index: int
) -> DiffRows:
    make = ROW_MAKERS[spec.table]
    serial = spec.rows
    state = [make(rng, i) for i in range(spec.rows)]
    out = DiffRows(spec.query, [], [], [], [], [], [])
    offset = (11 + 17 * index) % 60
    counter = -1
    resets = sorted(
        [(t, "epoch_change") for t in timeline.epoch_changes]
        + [(t, "database_wipe") for t in timeline.db_wipes]
    )
    next_reset = 0
    for run in range(timeline.start + offset + INTERVAL, timeline.end + 1, INTERVAL):
        if not timeline.running(np.array([run]))[0]:
            continue
        full = counter < 0
        while next_reset < len(resets) and resets[next_reset][0] <= run:
            full = True
            if counter >= 0:
                out.rebaselines.append((run, resets[next_reset][1]))
            next_reset += 1
        epoch = int(timeline.epoch(np.array([run]))[0])
        if full:
            counter = 0
            for row in state:
                _add(out, run, "added", 0, epoch, row)
            continue
        changes = int(rng.poisson(spec.churn_per_hour * INTERVAL / 3600))
        if not changes:
            continue
        counter += 1
        removed, added = [], []
        for _ in range(changes):
            slot = int(rng.integers(0, len(state)))
            removed.append(state[slot])
            state[slot] = make(rng, serial)
            serial += 1
            added.append(state[slot])
        for row in removed:
            _add(out, run, "removed", counter, epoch, row)
        for row in added:
            _add(out, run, "added", counter, epoch, row)
    return out


def _add(
    out: DiffRows, run: int, action: str, counter: int, epoch: int, row: dict[str, Any]
) -> None:
    out.log_time.append(run)
    out.action.append(action)
    out.counter.append(counter)
    out.epoch.append(epoch)
    out.rows.append(row)
