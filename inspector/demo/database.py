"""The demo host's ``osquery.db``: a RocksDB database in osquery's real layout.

Column families ``default`` + osquery 5.12's domains, with domain *n* stored in column family
*n − 1* (the off-by-one osquery has always had). The events domain buffers only the last
``events_expiry`` of events as ``data.<publisher>.<table>.<eid10>`` rows (JSON, every value a
string, keys sorted), next to each query's ``optimize.*`` state; the queries domain keeps each
scheduled query's last result set, epoch and counter, and its SQL.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from inspector.demo import lines as L
from inspector.demo.differential import DiffRows
from inspector.demo.events import StreamRows
from inspector.demo.scenarios import Scenario
from inspector.demo.schedule import Timeline
from inspector.readers.osquery_db import DOMAINS

if TYPE_CHECKING:  # rocksdict is imported when a database is written
    from rocksdict import Options, Rdict

EVENTS_EXPIRY = 3600


def physical_family(domain: str) -> str:
    """The column family osquery stores logical ``domain`` in."""
    index = DOMAINS.index(domain)
    return "default" if index == 0 else DOMAINS[index - 1]


def write_database(
    path: str,
    scenario: Scenario,
    timeline: Timeline,
    streams: list[StreamRows],
    diffs: list[DiffRows],
    sql: dict[str, str],
) -> dict[str, Any]:
    """Write the database; return what truth.json says about it."""
    # Buffered: the last events_expiry of events, and none from before a wiped database.
    cutoff = max(
        [timeline.end - EVENTS_EXPIRY, *[t for t in timeline.db_wipes if t <= timeline.end]]
    )
    db = _create(path)
    try:
        config = _family(db, "configurations")
        config[b"results_version"] = b"2"
        config[b"executing_query"] = b""
        buffered = _write_events(_family(db, "events"), streams, cutoff, timeline.end)
        _write_stored_queries(_family(db, "queries"), timeline, streams, diffs, sql)
    finally:
        db.close()
    # The binding leaves its own settings file; osqueryd's databases have none.
    leftover = os.path.join(path, "rocksdict-config.json")
    if os.path.exists(leftover):
        os.remove(leftover)
    return {
        "events_expiry": EVENTS_EXPIRY,
        "buffered_from": int(cutoff),
        "buffered_events": buffered,
    }


def _create(path: str) -> Rdict:
    """A new database at ``path`` with osquery's column families."""
    from rocksdict import Rdict

    main = _options()
    main.create_if_missing(True)
    main.create_missing_column_families(True)
    return Rdict(path, options=main, column_families={cf: _options() for cf in DOMAINS})


def _options() -> Options:
    from rocksdict import BlockBasedOptions, Options

    # SST format 5: what RocksDB 6.x (osquery's) and Debian's 7.x can read; newer default is 6.
    table = BlockBasedOptions()
    table.set_format_version(5)
    opts = Options(raw_mode=True)
    opts.set_block_based_table_factory(table)
    return opts


def _family(db: Rdict, domain: str) -> Rdict:
    """The column family holding osquery's logical ``domain``."""
    cf = physical_family(domain)
    return db if cf == "default" else db.get_column_family(cf)


def _write_events(
    events: Rdict, streams: list[StreamRows], cutoff: int, end: int
) -> dict[str, int]:
    """The buffered events from ``cutoff`` on, and each query's optimize cursor (its last
    event reported by ``end``); returns the events written per ``publisher.subscriber``."""
    buffered: dict[str, int] = {}
    for sr in streams:
        keep = np.flatnonzero(sr.time >= cutoff)
        if not len(keep):
            continue
        take = pa.array(keep)
        columns = {name: values.take(take) for name, values in sr.columns.items()}
        columns["eid"] = sr.eid.take(take)
        values = L.row_objects(columns, {}, numerics=False).to_pylist()
        ns = f"{sr.publisher}.{sr.stream.table}"
        for eid, value in zip(columns["eid"].to_pylist(), values, strict=True):
            events[f"data.{ns}.{eid}".encode()] = value.encode()
        buffered[ns] = len(keep)
        reported = sr.log_time <= end
        if reported.any():
            last = int(np.flatnonzero(reported)[-1])
            events[f"optimize.{sr.stream.query}".encode()] = str(int(sr.time[last])).encode()
            events[f"optimize_eid.{sr.stream.query}".encode()] = sr.eid[last].as_py().encode()
    return buffered


def _write_stored_queries(
    queries: Rdict,
    timeline: Timeline,
    streams: list[StreamRows],
    diffs: list[DiffRows],
    sql: dict[str, str],
) -> None:
    """What osquery keeps per scheduled query: its last results (event queries store none),
    counter and epoch, and its SQL."""
    for sr in streams:
        queries[sr.stream.query.encode()] = b"[]"
        queries[(sr.stream.query + "counter").encode()] = str(
            int(sr.counter[-1]) if len(sr.counter) else 0
        ).encode()
        queries[(sr.stream.query + "epoch").encode()] = str(
            int(timeline.epoch(np.array([timeline.end]))[0])
        ).encode()
    for d in diffs:
        state = _final_state(d)
        queries[d.query.encode()] = json.dumps(state, separators=(",", ":")).encode()
        queries[(d.query + "counter").encode()] = str(d.counter[-1] if d.counter else 0).encode()
        queries[(d.query + "epoch").encode()] = str(d.epoch[-1] if d.epoch else 0).encode()
    for name, text in sql.items():
        queries[f"query.{name}".encode()] = text.encode()


def _final_state(d: DiffRows) -> list[dict[str, Any]]:
    """The result set a differential query last stored (numbers as numbers, as since 4.0)."""
    state: list[dict[str, Any]] = []
    previous_run = None
    for run, counter, action, row in zip(d.log_time, d.counter, d.action, d.rows, strict=True):
        if counter == 0 and run != previous_run:
            state = []  # a full-state run (first, new epoch, fresh database) replaces what was stored
        previous_run = run
        if action == "added":
            state.append(row)
        elif row in state:
            state.remove(row)
    return [
        {k: (int(v) if v.lstrip("-").isdigit() else v) for k, v in sorted(row.items())}
        for row in state
    ]
