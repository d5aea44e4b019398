"""Summary figures of a loaded run: time span, rows per query and subscriber, marker counts.

Used by ``scan``'s text and JSON output and by the GUI's overview.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

from inspector.duck import connection
from inspector.model import Workspace


@dataclass
class Overview:
    """Figures over a workspace's tables. Record times are log times (``unixTime``)."""

    first: dt.datetime | None  # first record logged
    last: dt.datetime | None
    status_first: dt.datetime | None  # first status line
    status_last: dt.datetime | None
    assumed_year_sources: list[str]  # status files whose year was assumed
    per_query: list[
        dict[str, Any]
    ]  # host, query, subscriber, publisher, how, rows, empty_runs, first, last
    markers: list[dict[str, Any]]  # marker, host, count, first, last


def overview(ws: Workspace) -> Overview:
    """Compute the figures (DuckDB over the Arrow tables, no copies)."""
    # A cursor of the process's database: a database of its own cost ~15 ms to make.
    con = connection()
    try:
        con.register("records", ws.records)
        con.register("status", ws.status)
        con.register("mapping", ws.mapping)
        first, last = con.sql("SELECT min(log_time), max(log_time) FROM records").fetchall()[0]
        status_first, status_last = con.sql(
            "SELECT min(log_time), max(log_time) FROM status"
        ).fetchall()[0]
        con.register("empty", ws.empty_runs)
        per_query = _dicts(
            con.sql(
                """WITH r AS (
                       SELECT CAST(r.host AS VARCHAR) AS host, CAST(r.query AS VARCHAR) AS query,
                              CAST(r.subscriber AS VARCHAR) AS subscriber,
                              CAST(r.publisher AS VARCHAR) AS publisher,
                              coalesce(any_value(m.how), CASE WHEN any_value(r.query) IS NULL
                                  THEN 'buffered in osquery.db' END) AS how, count(*) AS rows,
                              min(r.log_time) AS first, max(r.log_time) AS last
                       FROM records r LEFT JOIN mapping m
                         ON m.query = CAST(r.query AS VARCHAR)
                        AND coalesce(m.host, '') = coalesce(CAST(r.host AS VARCHAR), '')
                       GROUP BY 1, 2, 3, 4
                   ), e AS (
                       -- runs that logged no row (empty snapshots and batches) count too
                       SELECT host, query, count(*) AS empty_runs, min(log_time) AS first,
                              max(log_time) AS last
                       FROM empty GROUP BY 1, 2
                   )
                   SELECT coalesce(r.host, e.host) AS host, coalesce(r.query, e.query) AS query,
                          r.subscriber, r.publisher, r.how, coalesce(r.rows, 0) AS rows,
                          coalesce(e.empty_runs, 0) AS empty_runs,
                          least(r.first, e.first) AS first, greatest(r.last, e.last) AS last
                   FROM r FULL JOIN e ON r.host IS NOT DISTINCT FROM e.host AND r.query = e.query
                   ORDER BY rows DESC, query, host"""
            )
        )
        markers = _dicts(
            con.sql(
                """SELECT CAST(marker AS VARCHAR) AS marker, CAST(host AS VARCHAR) AS host,
                          count(*) AS count, min(log_time) AS first, max(log_time) AS last
                   FROM status WHERE marker IS NOT NULL GROUP BY 1, 2 ORDER BY first, marker"""
            )
        )
    finally:
        con.close()
    assumed = [s.path for s in ws.sources if s.year_assumed]
    return Overview(first, last, status_first, status_last, assumed, per_query, markers)


def _dicts(rel: duckdb.DuckDBPyRelation) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = rel.to_arrow_table().to_pylist()
    return rows


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 file``, ``2 files`` (with thousands separators)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def when(value: dt.datetime | None, zone: dt.tzinfo = dt.UTC) -> str:
    """A time as shown everywhere, in ``zone``: ``2026-08-04 12:34:56 UTC``."""
    if not value:
        return "none"
    shown = (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(zone)
    return f"{shown:%Y-%m-%d %H:%M:%S} {shown.tzname()}"


def span(first: dt.datetime | None, last: dt.datetime | None, zone: dt.tzinfo = dt.UTC) -> str:
    """``first → last``, or one time when they are the same, or ``none`` (in ``zone``)."""
    if first is None:
        return "none"
    if last is None or last == first:
        return when(first, zone)
    return f"{when(first, zone)} → {when(last, zone)}"


def loaded_line(ws: Workspace) -> str:
    """``5 of 6 files loaded (1 is a link to a file already read)``."""
    loaded = len(ws.loaded_sources)
    links = sum(1 for s in ws.sources if s.status == "duplicate")
    total = len(ws.sources) - links
    text = f"{loaded} of {plural(total, 'file')} loaded"
    if links:
        text += f" ({plural(links, 'link')} to a file already read)"
    return text
