"""Summary figures of a loaded run: time span, rows per query and subscriber, marker counts.

Used by ``scan``'s text and JSON output and by the GUI's overview.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from inspector.workspace import Workspace


@dataclass
class Overview:
    """Figures over a workspace's tables."""

    first: dt.datetime | None
    last: dt.datetime | None
    per_query: list[dict]  # host, query, subscriber, publisher, how, rows, first, last
    markers: list[dict]  # marker, host, count, first, last


def overview(ws: Workspace) -> Overview:
    """Compute the figures (DuckDB over the Arrow tables, no copies)."""
    con = duckdb.connect(":memory:")
    try:
        con.register("records", ws.records)
        con.register("status", ws.status)
        con.register("mapping", ws.mapping)
        span = con.sql(
            """SELECT min(t), max(t) FROM (
                   SELECT coalesce(event_time, log_time) AS t FROM records
                   UNION ALL SELECT log_time FROM status)"""
        ).fetchall()[0]
        per_query = _dicts(
            con.sql(
                """SELECT CAST(r.host AS VARCHAR) AS host, CAST(r.query AS VARCHAR) AS query,
                          any_value(CAST(r.subscriber AS VARCHAR)) AS subscriber,
                          any_value(CAST(r.publisher AS VARCHAR)) AS publisher,
                          any_value(m.how) AS how, count(*) AS rows,
                          min(r.log_time) AS first, max(r.log_time) AS last
                   FROM records r LEFT JOIN mapping m
                     ON m.query = CAST(r.query AS VARCHAR)
                    AND coalesce(m.host, '') = coalesce(CAST(r.host AS VARCHAR), '')
                   GROUP BY 1, 2 ORDER BY rows DESC, query"""
            )
        )
        markers = _dicts(
            con.sql(
                """SELECT CAST(marker AS VARCHAR) AS marker, CAST(host AS VARCHAR) AS host,
                          count(*) AS count, min(log_time) AS first, max(log_time) AS last
                   FROM status WHERE marker IS NOT NULL GROUP BY 1, 2 ORDER BY first"""
            )
        )
    finally:
        con.close()
    return Overview(span[0], span[1], per_query, markers)


def _dicts(rel: duckdb.DuckDBPyRelation) -> list[dict]:
    table: pa.Table = rel.to_arrow_table()
    return table.to_pylist()
