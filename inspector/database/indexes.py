"""Index-like keys of the events domain: what they hold, cost, and how well they match the rows.

- ``records.<ns>.60.<bin>`` (≤ 4.6): ``eid:time`` entries, the time index of the data rows;
  one row per subscriber. Dangling: entries without a data row; missing: data rows of an indexed
  subscriber in no entry; ``repeated``: entries listed more than once; ``time_mismatch``: entries
  whose time differs from their row's.
- ``indexes.<ns>.60`` (≤ 4.6): the minute bins that have a ``records.`` key; one row per
  subscriber. Dangling: listed bins without their ``records.`` key; missing: ``records.`` keys
  whose bin is not listed.
- ``eid.<ns>`` (≤ 4.6): the eid checkpoint per subscriber; one row for all. Dangling: checkpoints
  of subscribers without data rows; missing: subscribers with data rows but no checkpoint.
- ``optimize.<query>``, ``optimize_eid.<query>``: per query, the last event returned (time, eid);
  a cursor, not an index of rows: dangling and missing do not apply (null).

RAM cost, were these entries held in memory instead: ``entries × width``, width 16 B for an
(eid, time) pair of 64-bit integers, 8 B for a bin number, a checkpoint or an optimize value.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa

INDEX_COLUMNS = pa.schema(
    [
        pa.field("family", pa.string()),
        pa.field("entries", pa.int64()),
        pa.field("bytes", pa.int64()),
        pa.field("dangling", pa.int64()),
        pa.field("missing", pa.int64()),
        pa.field("ram_bytes", pa.int64()),
        pa.field("kind", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("keys", pa.int64()),
        pa.field("share", pa.float64()),
        pa.field("repeated", pa.int64()),
        pa.field("time_mismatch", pa.int64()),
        pa.field("ram_formula", pa.string()),
    ]
)
ENTRY_BYTES = {"records": 16, "indexes": 8, "eid": 8, "optimize": 8, "optimize_eid": 8}
RAM_FORMULAS = {
    "records": "entries × 16 B (eid and time as two 64-bit integers)",
    "indexes": "entries × 8 B (one 64-bit bin number)",
    "eid": "entries × 8 B (one 64-bit eid)",
    "optimize": "entries × 8 B (one 64-bit time)",
    "optimize_eid": "entries × 8 B (one 64-bit eid)",
}

_KEYS_SQL = """
SELECT CASE WHEN starts_with(k, 'optimize_eid.') THEN 'optimize_eid'
            WHEN starts_with(k, 'optimize.') THEN 'optimize'
            ELSE split_part(k, '.', 1) END AS kind,
       split_part(k, '.', 2) AS publisher, split_part(k, '.', 3) AS subscriber,
       split_part(k, '.', 4) AS granularity, split_part(k, '.', 5) AS bin,
       k, v, key_bytes + value_bytes AS bytes
FROM family
WHERE starts_with(k, 'records.') OR starts_with(k, 'indexes.') OR starts_with(k, 'eid.')
   OR starts_with(k, 'optimize.') OR starts_with(k, 'optimize_eid.')
"""
_RECORDS_SQL = """
WITH entries AS (
    SELECT publisher, subscriber, split_part(entry, ':', 1) AS eid,
           TRY_CAST(split_part(entry, ':', 2) AS BIGINT) AS time
    FROM (SELECT publisher, subscriber, unnest(string_split(v, ',')) AS entry
          FROM ikeys WHERE kind = 'records')
    WHERE entry <> ''
), listed AS (
    SELECT publisher, subscriber, eid, count(*) AS n, min(time) AS time FROM entries GROUP BY ALL
), checked AS (
    SELECT l.publisher, l.subscriber, l.n, r.eid IS NULL AS dangling,
           r.eid IS NOT NULL AND l.time IS DISTINCT FROM r.time AS mismatch
    FROM listed l LEFT JOIN rows r USING (publisher, subscriber, eid)
), per AS (
    SELECT publisher, subscriber, sum(n) AS entries, sum(n - 1) AS repeated,
           count(*) FILTER (dangling) AS dangling, count(*) FILTER (mismatch) AS mismatch
    FROM checked GROUP BY ALL
), missed AS (
    SELECT r.publisher, r.subscriber, count(*) AS missing
    FROM rows r JOIN per p USING (publisher, subscriber)
    WHERE NOT EXISTS (SELECT 1 FROM listed l WHERE l.publisher = r.publisher
                      AND l.subscriber = r.subscriber AND l.eid = r.eid)
    GROUP BY ALL
)
SELECT p.publisher, p.subscriber, p.entries, p.repeated, p.dangling,
       coalesce(m.missing, 0) AS missing, p.mismatch
FROM per p LEFT JOIN missed m USING (publisher, subscriber)
"""
_BINS_SQL = """
WITH listed AS (
    SELECT DISTINCT publisher, subscriber, granularity, trim(b) AS bin
    FROM (SELECT publisher, subscriber, granularity, unnest(string_split(v, ',')) AS b
          FROM ikeys WHERE kind = 'indexes')
    WHERE trim(b) <> ''
), recorded AS (
    SELECT DISTINCT publisher, subscriber, granularity, bin FROM ikeys WHERE kind = 'records'
), counted AS (
    SELECT publisher, subscriber,
           sum(len(list_filter(string_split(v, ','), lambda b: trim(b) <> ''))) AS entries
    FROM ikeys WHERE kind = 'indexes' GROUP BY ALL
), dangling AS (
    SELECT l.publisher, l.subscriber, count(*) AS n FROM listed l
    WHERE NOT EXISTS (SELECT 1 FROM recorded r WHERE r.publisher = l.publisher
                      AND r.subscriber = l.subscriber AND r.granularity = l.granularity
                      AND r.bin = l.bin)
    GROUP BY ALL
), missing AS (
    SELECT r.publisher, r.subscriber, count(*) AS n FROM recorded r
    WHERE NOT EXISTS (SELECT 1 FROM listed l WHERE r.publisher = l.publisher
                      AND r.subscriber = l.subscriber AND r.granularity = l.granularity
                      AND r.bin = l.bin)
    GROUP BY ALL
)
SELECT c.publisher, c.subscriber, c.entries, coalesce(d.n, 0), coalesce(m.n, 0)
FROM counted c LEFT JOIN dangling d USING (publisher, subscriber)
     LEFT JOIN missing m USING (publisher, subscriber)
"""


def index_families(
    con: duckdb.DuckDBPyConnection, family: pa.Table, rows: pa.Table, database_bytes: int
) -> pa.Table:
    """``INDEX_COLUMNS`` rows for the index-like keys of the events family ``family``
    (``events.family_table``), checked against its data ``rows`` (``events.EVENT_ROWS``)."""
    con.register("family", family)
    try:
        ikeys = con.sql(_KEYS_SQL).to_arrow_table()
    finally:
        con.unregister("family")
    if not ikeys.num_rows:
        return INDEX_COLUMNS.empty_table()
    con.register("ikeys", ikeys)
    con.register("rows", rows.select(["publisher", "subscriber", "eid", "time"]))
    try:
        sizes = {
            (kind, pub, sub): (n, b)
            for kind, pub, sub, n, b in con.sql(
                "SELECT kind, publisher, subscriber, count(*), sum(bytes) FROM ikeys GROUP BY ALL"
            ).fetchall()
        }
        out: list[dict[str, Any]] = []
        for pub, sub, entries, repeated, dangling, missing, mismatch in con.sql(
            _RECORDS_SQL
        ).fetchall():
            out.append(
                _row("records", pub, sub, sizes, entries, dangling, missing, repeated, mismatch)
            )
        for pub, sub, entries, dangling, missing in con.sql(_BINS_SQL).fetchall():
            out.append(_row("indexes", pub, sub, sizes, entries, dangling, missing))
        out.extend(_cursor_rows(con, sizes))
    finally:
        con.unregister("ikeys")
        con.unregister("rows")
    for row in out:
        row["share"] = row["bytes"] / database_bytes if database_bytes else None
    table = pa.Table.from_pylist(out, schema=INDEX_COLUMNS)
    return table.sort_by([("kind", "ascending"), ("family", "ascending")])


# (kind, publisher, subscriber) → (keys, bytes) of the index families
_Sizes = dict[tuple[str, str | None, str | None], tuple[int, int]]


def _row(
    kind: str, pub: str | None, sub: str | None, sizes: _Sizes, entries: int,
    dangling: int | None, missing: int | None, repeated: int | None = None,
    time_mismatch: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    if pub is None:  # a kind counted over all subscribers (or queries)
        keys = sum(n for (k, _, _), (n, _) in sizes.items() if k == kind)
        size = sum(b for (k, _, _), (_, b) in sizes.items() if k == kind)
    else:
        keys, size = sizes.get((kind, pub, sub), (0, 0))
    entries = int(entries or 0)
    return {
        "family": kind if pub is None else f"{kind}.{pub}.{sub}",
        "entries": entries,
        "bytes": int(size or 0),
        "dangling": None if dangling is None else int(dangling),
        "missing": None if missing is None else int(missing),
        "ram_bytes": entries * ENTRY_BYTES[kind],
        "kind": kind,
        "publisher": pub,
        "subscriber": sub,
        "keys": int(keys),
        "repeated": None if repeated is None else int(repeated),
        "time_mismatch": None if time_mismatch is None else int(time_mismatch),
        "ram_formula": RAM_FORMULAS[kind],
    }


def _cursor_rows(con: duckdb.DuckDBPyConnection, sizes: _Sizes) -> list[dict[str, Any]]:
    """The ``eid.`` checkpoints (checked against the subscribers with rows) and the optimize
    cursors, one row per kind."""
    out = []
    kinds = {kind for kind, _, _ in sizes}
    if "eid" in kinds:
        dangling, missing = con.sql(
            """SELECT
                 (SELECT count(*) FROM (SELECT DISTINCT publisher, subscriber FROM ikeys WHERE kind = 'eid')
                   ANTI JOIN (SELECT DISTINCT publisher, subscriber FROM rows) USING (publisher, subscriber)),
                 (SELECT count(*) FROM (SELECT DISTINCT publisher, subscriber FROM rows)
                   ANTI JOIN (SELECT DISTINCT publisher, subscriber FROM ikeys WHERE kind = 'eid')
                   USING (publisher, subscriber))"""
        ).fetchall()[0]
        entries = sum(n for (k, _, _), (n, _) in sizes.items() if k == "eid")
        out.append(_row("eid", None, None, sizes, entries, dangling, missing))
    for kind in ("optimize", "optimize_eid"):
        if kind in kinds:
            entries = sum(n for (k, _, _), (n, _) in sizes.items() if k == kind)
            out.append(_row(kind, None, None, sizes, entries, None, None))
    return out
