"""glog lines that a launcher (Kolide's, for one) captured from osqueryd's stderr into JSON ``msg``.

The record's own UTC ``ts`` fixes both the year and the UTC offset of glog's local time, rounded
to a quarter hour (clock "utc"). Where ``ts`` is missing the row keeps its wall clock (clock
"local") for the loading pipeline to place in the agent's zone. Lines joined with ``\\r\\n`` in
one ``msg`` are records of their own; a line without a glog prefix continues the one before it
in the same record (one write to stderr), never one in another record.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.readers.glog_lines import (
    GlogOptions,
    as_utc_placeholder,
    naive_timestamps,
    parse_glog_lines,
)
from inspector.readers.local_dates import place_years
from inspector.schema import TIMESTAMP
from inspector.timezones import civil_to_us

QUARTER_HOUR_US = 15 * 60 * 1_000_000
NO_TS = np.iinfo(np.int64).min


def parse_glog_in_json(
    wrapped: pa.Table, source: str, options: GlogOptions
) -> tuple[pa.Table, list[str], set[tuple[int, int | None]]]:
    """Status rows from ``wrapped`` (line, item, msg, ts_us); also the (line, item) of records
    whose ``msg`` held something that is not a glog line."""
    msgs = wrapped.column("msg").combine_chunks().cast(pa.string())
    parts = pc.split_pattern_regex(msgs, r"\r?\n")
    parent = np.asarray(pc.list_parent_indices(parts))
    sub = pc.list_flatten(parts)
    firsts = np.ones(len(parent), dtype=bool)
    firsts[1:] = parent[1:] != parent[:-1]
    item_within = np.arange(len(parent)) - np.flatnonzero(firsts)[np.cumsum(firsts) - 1]
    base_item = np.asarray(pc.fill_null(wrapped.column("item").combine_chunks(), 0), dtype=np.int64)
    lines = np.asarray(wrapped.column("line").combine_chunks(), dtype=np.int64)[parent]
    items = base_item[parent] + item_within
    parsed = parse_glog_lines(sub, lines, items, breaks=firsts)
    bad = np.flatnonzero((parsed.orphan | parsed.invalid) & firsts)
    item_col = wrapped.column("item").combine_chunks().to_numpy(zero_copy_only=False)
    orphans = {(int(lines[i]), item_col[parent[i]]) for i in bad}

    ts_us = np.asarray(pc.fill_null(wrapped.column("ts_us").combine_chunks(), NO_TS))
    rec_ts = ts_us[parent[parsed.first]]
    has_ts = rec_ts != NO_TS
    ts_dates = rec_ts.astype("datetime64[us]")
    ts_year = ts_dates.astype("datetime64[Y]").astype(np.int64) + 1970
    ts_month = ts_dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    fallback = place_years(None, parsed.month, parsed.day, options.year)
    years = np.where(has_ts, ts_year, fallback)
    years = (
        years
        - ((parsed.month == 12) & (ts_month == 1) & has_ts)
        + ((parsed.month == 1) & (ts_month == 12) & has_ts)
    )
    local_us = civil_to_us(years, parsed.month, parsed.day, *parsed.clock)
    utc_us = local_us - np.round((local_us - rec_ts) / QUARTER_HOUR_US).astype(np.int64) * (
        QUARTER_HOUR_US
    )
    local = naive_timestamps(local_us)
    notes = ["glog lines inside JSON: year and UTC offset taken from each record's own timestamp"]
    log_time = pa.array(np.where(has_ts, utc_us, local_us), pa.int64()).cast(TIMESTAMP)
    clock: str | pa.Array = "utc"
    if not has_ts.all():
        log_time = pc.if_else(pa.array(has_ts), log_time, as_utc_placeholder(local))
        clock = pa.array(np.where(has_ts, "utc", "local"))
        notes.append(
            "some wrapped glog lines had no timestamp: their times are the agent's wall clock"
            + ("" if options.year is not None else ", in the current year")
        )
    table = parsed.table(source, "glog_in_json", log_time, None, clock, local)
    return table, notes, orphans
