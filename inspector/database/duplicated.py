"""Content that repeats under different eids inside the database: duplication's database side.

Within one subscriber every key has its own eid, so rows of equal content (the columns without
``eid``, the event's ``time`` included) are copies of one event stored more than once — what a
doubled subscription leaves in the buffer. Per subscriber: rows, distinct contents, the extra
rows, the factor (rows ÷ distinct), how many contents repeat, and the times of the first and
last repeated content; and per time bucket, events and distinct contents (the buffered events
over time, the same figures bucket by bucket).
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

DUPLICATED = pa.schema(
    [
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("rows", pa.int64()),
        pa.field("distinct", pa.int64()),
        pa.field("extra_rows", pa.int64()),
        pa.field("factor", pa.float64()),
        pa.field("repeated_contents", pa.int64()),
        pa.field("first_repeat", pa.timestamp("s", tz="UTC")),
        pa.field("last_repeat", pa.timestamp("s", tz="UTC")),
    ]
)
TIMELINE = pa.schema(
    [
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("start", pa.timestamp("s", tz="UTC")),
        pa.field("events", pa.int64()),
        pa.field("distinct", pa.int64()),
    ]
)
_DUPLICATED_SQL = """
WITH contents AS (
    SELECT publisher, subscriber, content, count(*) AS n, min(time) AS time
    FROM rows GROUP BY ALL
)
SELECT publisher, subscriber, sum(n) AS rows, count(*) AS "distinct",
       sum(n) - count(*) AS extra_rows, sum(n) / count(*) AS factor,
       count(*) FILTER (n > 1) AS repeated_contents,
       to_timestamp(min(time) FILTER (n > 1)) AS first_repeat,
       to_timestamp(max(time) FILTER (n > 1)) AS last_repeat
FROM contents GROUP BY ALL ORDER BY publisher, subscriber
"""
_TIMELINE_SQL = """
SELECT publisher, subscriber, to_timestamp(time // $width * $width) AS start,
       count(*) AS events, count(DISTINCT content) AS "distinct"
FROM rows WHERE time IS NOT NULL GROUP BY ALL ORDER BY publisher, subscriber, start
"""


def duplicated_content(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> pa.Table:
    """``DUPLICATED``: one row per subscriber of ``rows`` (``events.EVENT_ROWS``)."""
    con.register("rows", rows.select(["publisher", "subscriber", "content", "time"]))
    try:
        return con.sql(_DUPLICATED_SQL).to_arrow_table().cast(DUPLICATED)
    finally:
        con.unregister("rows")


def buffered_over_time(con: duckdb.DuckDBPyConnection, rows: pa.Table, width_s: int) -> pa.Table:
    """``TIMELINE``: events and distinct contents per subscriber and ``width_s`` bucket."""
    con.register("rows", rows.select(["publisher", "subscriber", "content", "time"]))
    try:
        table = con.sql(_TIMELINE_SQL, params={"width": width_s}).to_arrow_table()
        return table.cast(TIMELINE)
    finally:
        con.unregister("rows")
