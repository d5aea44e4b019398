"""The events domain's ``data.<publisher>.<subscriber>.<eid>`` rows, one small row each.

Per buffered event: who published it, which subscriber holds it, its eid, its event time (the
value's ``"time"``), its key and value sizes, and its content hash (the columns without ``eid``,
as ``inspector.analysis.content`` defines content) — everything the anatomy needs, without the
row text. Keys sort bytewise, so each subscriber's rows are one run, in eid order.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.content_hash import content_hashes

# The first '"time":"<digits>"' of a value is its time column: values are flat JSON objects of
# strings, so that text cannot occur inside another value (its quotes would be escaped).
# Plausible event seconds only (1973–2500), as the records reader takes them.
_ROWS_SQL = r"""
SELECT position, publisher, subscriber, eid, key_bytes, value_bytes,
       CASE WHEN t BETWEEN 100000000 AND 16725225600 THEN t END AS time
FROM (
    SELECT position,
           split_part(k, '.', 2) AS publisher,
           split_part(k, '.', 3) AS subscriber,
           split_part(k, '.', 4) AS eid,
           key_bytes, value_bytes,
           TRY_CAST(regexp_extract(v, '"time":"(-?[0-9]{1,19})"', 1) AS BIGINT) AS t
    FROM family
    WHERE starts_with(k, 'data.') AND regexp_full_match(k, 'data\.[^.]+\.[^.]+\.[0-9]+')
)
"""
_MALFORMED_SQL = r"""
SELECT count(*) FROM family
WHERE starts_with(k, 'data.') AND NOT regexp_full_match(k, 'data\.[^.]+\.[^.]+\.[0-9]+')
"""
EVENT_ROWS = pa.schema(
    [
        pa.field("position", pa.int64()),  # the key's position in its column family
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("eid", pa.string()),
        pa.field("key_bytes", pa.int64()),
        pa.field("value_bytes", pa.int64()),
        pa.field("time", pa.int64()),  # unix seconds; null when the value has no plausible time
        pa.field("content", pa.uint64()),
    ]
)


def family_table(
    keys: pa.Array, values: pa.Array, key_lengths: np.ndarray, value_lengths: np.ndarray
) -> pa.Table:
    """A column family as the table the SQL here reads (keys and values as strings)."""
    return pa.table(
        {
            "position": pa.array(np.arange(len(keys), dtype=np.int64)),
            "k": keys,
            "v": values,
            "key_bytes": pa.array(key_lengths, pa.int64()),
            "value_bytes": pa.array(value_lengths, pa.int64()),
        }
    )


def event_rows(con: duckdb.DuckDBPyConnection, family: pa.Table) -> tuple[pa.Table, int]:
    """``EVENT_ROWS`` of the family's data rows in key order, and the number of ``data.`` keys
    that are not ``data.<publisher>.<subscriber>.<eid>`` (left out)."""
    con.register("family", family)
    try:
        rows = con.sql(_ROWS_SQL).to_arrow_table()
        malformed = int(con.sql(_MALFORMED_SQL).fetchall()[0][0])
    finally:
        con.unregister("family")
    positions = rows.column("position").to_numpy()
    if len(positions) > 1 and not bool(np.all(positions[1:] > positions[:-1])):
        order = np.argsort(positions, kind="stable")  # keep key order
        rows, positions = rows.take(pa.array(order)), positions[order]
    values = family.column("v")
    n = len(positions)
    if n and positions[-1] - positions[0] == n - 1:
        # the usual case: every data. key is one run of the sorted keys; no copy of the rows
        columns = values.slice(int(positions[0]), n)
    else:
        columns = values.take(pa.array(positions))
    content = content_hashes(pa.table({"eid": rows.column("eid"), "columns": columns}), con)
    return rows.append_column("content", content).cast(EVENT_ROWS), malformed


def subscriber_runs(rows: pa.Table) -> list[tuple[str, str, int, int]]:
    """(publisher, subscriber, start, stop) of each subscriber's run of rows.

    Keys sort bytewise and every key of a subscriber starts with ``data.<publisher>.<subscriber>.``,
    so each subscriber's rows are one contiguous run.
    """
    n = rows.num_rows
    if not n:
        return []
    publisher = rows.column("publisher").combine_chunks()
    subscriber = rows.column("subscriber").combine_chunks()
    changed = pc.or_(
        pc.not_equal(publisher.slice(1), publisher.slice(0, n - 1)),
        pc.not_equal(subscriber.slice(1), subscriber.slice(0, n - 1)),
    )
    starts = np.r_[0, np.flatnonzero(changed.to_numpy(zero_copy_only=False)) + 1]
    stops = np.r_[starts[1:], n]
    return [
        (str(publisher[a].as_py()), str(subscriber[a].as_py()), int(a), int(b))
        for a, b in zip(starts.tolist(), stops.tolist(), strict=True)
    ]
