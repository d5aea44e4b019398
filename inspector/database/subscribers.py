"""Per publisher → subscriber: what the buffer holds, over what span, against the expiry.

The span is newest − oldest buffered event time. osquery expires a subscriber's events older
than its expiry (``expiry.ExpirySettings.effective``) once its queries have run, so a span past
expiry + one query interval + a minute means expiry does not keep up. osquery 4.7+ holds each
subscriber's time → eid index in RAM (``std::map<time, std::vector<eid>>``): its size is
estimated as ``distinct_times × 96 B + events × 8 B`` (a 64 B map node in an 80 B heap block and
a 16 B block header for its vector per distinct second, 8 B per eid; libstdc++, 64-bit).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from inspector.database.events import subscriber_runs
from inspector.database.expiry import ExpirySettings
from inspector.database.key_order import key_order_health

RAM_INDEX_FORMULA = "distinct_times × 96 B + events × 8 B"
SUBSCRIBERS = pa.schema(
    [
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("events", pa.int64()),
        pa.field("bytes", pa.int64()),  # the rows' JSON (values)
        pa.field("oldest", pa.timestamp("s", tz="UTC")),
        pa.field("newest", pa.timestamp("s", tz="UTC")),
        pa.field("key_bytes", pa.int64()),
        pa.field("span_seconds", pa.int64()),
        pa.field("events_per_hour", pa.float64()),
        pa.field("expiry_seconds", pa.int64()),
        pa.field("span_over_expiry", pa.float64()),
        pa.field("expiry_keeps_up", pa.bool_()),
        pa.field("events_without_time", pa.int64()),
        pa.field("first_eid", pa.int64()),
        pa.field("last_eid", pa.int64()),
        pa.field("distinct_times", pa.int64()),
        pa.field("ram_index_bytes", pa.int64()),
        pa.field("adjacent_decreasing", pa.float64()),
        pa.field("inversions", pa.int64()),
        pa.field("inversion_fraction", pa.float64()),
        pa.field("late_events", pa.int64()),
        pa.field("max_lag_seconds", pa.int64()),
    ]
)
_SQL = """
SELECT publisher, subscriber, count(*) AS events, sum(value_bytes) AS bytes,
       min(time) AS oldest, max(time) AS newest, sum(key_bytes) AS key_bytes,
       count(*) FILTER (time IS NULL) AS events_without_time,
       min(TRY_CAST(eid AS BIGINT)) AS first_eid, max(TRY_CAST(eid AS BIGINT)) AS last_eid,
       count(DISTINCT time) AS distinct_times
FROM rows GROUP BY ALL
"""


def subscriber_table(
    con: duckdb.DuckDBPyConnection, rows: pa.Table, expiry: ExpirySettings
) -> pa.Table:
    """``SUBSCRIBERS``: one row per subscriber of ``rows`` (``events.EVENT_ROWS``, key order)."""
    con.register("rows", rows.drop_columns(["content"]))
    try:
        stats = {
            (r["publisher"], r["subscriber"]): r for r in con.sql(_SQL).to_arrow_table().to_pylist()
        }
    finally:
        con.unregister("rows")
    times = rows.column("time").to_numpy(zero_copy_only=False)
    out = []
    for publisher, subscriber, start, stop in subscriber_runs(rows):
        row = dict(stats[(publisher, subscriber)])
        t = times[start:stop].astype(np.float64)  # NaN for rows without a time
        row.update(key_order_health(t))
        out.append(_with_span(row, expiry))
    table = pa.Table.from_pylist(out, schema=_PLAIN)
    return table.cast(SUBSCRIBERS)


def _with_span(row: dict[str, Any], expiry: ExpirySettings) -> dict[str, Any]:
    oldest, newest = row["oldest"], row["newest"]
    span = None if oldest is None else int(newest - oldest)
    row["span_seconds"] = span
    # Over the buffered span; a span under a minute counts as a minute (no runaway rates).
    row["events_per_hour"] = (
        None
        if span is None
        else (row["events"] - row["events_without_time"]) * 3600 / max(span, 60)
    )
    limit = expiry.effective(row["subscriber"])
    row["expiry_seconds"] = limit
    row["span_over_expiry"] = None if limit is None or span is None or not limit else span / limit
    row["expiry_keeps_up"] = (
        None if limit is None or span is None else span <= limit + expiry.slack(row["subscriber"])
    )
    timed = row["events"] - row["events_without_time"]
    row["ram_index_bytes"] = row["distinct_times"] * 96 + timed * 8
    return row


# Times as plain seconds while the rows are Python dicts; cast to timestamps at the end.
_PLAIN = pa.schema(
    [pa.field(f.name, pa.int64()) if pa.types.is_timestamp(f.type) else f for f in SUBSCRIBERS]
)
