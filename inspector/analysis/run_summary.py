"""A run's lanes summarised and put on relative time: what ``compare`` sets side by side.

Each lane (host × publisher → subscriber, or host × query, per source stream) gets its rows, its
rate per hour of the host's observed span, its duplication factor and its bursts; its bucket
series is numbered from the run's alignment point (agent start or a chosen marker).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyarrow as pa

from inspector.analysis.binning import Binner
from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.duplicates import duplicate_bursts, duplication_factors
from inspector.duck import arrow_query, connection
from inspector.model import Workspace

if TYPE_CHECKING:
    import duckdb


@dataclass(frozen=True)
class RunProfile:
    """Lanes (one row each), their relative bucket series, and each host's alignment instant."""

    lanes: pa.Table
    series: pa.Table
    anchors: dict[str, dt.datetime]
    hosts: list[str | None]


def parse_anchor(spec: str) -> tuple[str, int]:
    """``start`` → ("start", 1); ``config_change`` → ("config_change", 1); ``config_change:2``."""
    name, _, nth = spec.strip().partition(":")
    if not name:
        raise ValueError("an alignment is 'start' or a marker kind such as config_change[:N]")
    try:
        n = int(nth) if nth else 1
    except ValueError:
        raise ValueError(f"not a marker number in {spec!r} (try config_change:2)") from None
    if n < 1:
        raise ValueError(f"marker numbers start at 1: {spec!r}")
    return name, n


def run_profile(ws: Workspace, options: BurstOptions, anchor: str = "start") -> RunProfile:
    """Summarise ``ws`` for comparison; ``anchor`` is ``start`` or ``MARKER[:N]`` (per host)."""
    kind, nth = parse_anchor(anchor)
    width = options.bucket_seconds
    binner = Binner(ws.records)
    rates = binner.rates(width * 1_000_000)
    factors = duplication_factors(ws.records, width)
    bursts = duplicate_bursts(factors, None, options)
    lane_hosts = set(rates.column("host").to_pylist())
    hosts = sorted(h for h in lane_hosts if h is not None)
    if None in lane_hosts:
        hosts.append(None)  # lanes of no host (e.g. a database beside no log) get a time 0 too
    con = connection()  # a cursor of the process's database (a new database: ~15 ms)
    try:
        con.register("rates", rates)
        con.register("factors", factors)
        con.register("bursts", bursts)
        con.register("status", ws.status.select(["host", "marker", "log_time"]))
        con.register("mapping", ws.mapping)
        con.register("spans", _spans(ws.records))
        anchors = _anchors(con, kind, nth, hosts)
        con.register(
            "anchors",
            pa.table(
                {
                    "host": list(anchors),
                    "at": pa.array(list(anchors.values()), pa.timestamp("us", tz="UTC")),
                }
            ),
        )
        lanes = con.sql(LANES_SQL.replace("$width", str(width * 1_000_000))).to_arrow_table()
        series = con.sql(SERIES_SQL.replace("$width", str(width * 1_000_000))).to_arrow_table()
    finally:
        con.close()
    return RunProfile(lanes, series, anchors, hosts)


def _spans(records: pa.Table) -> pa.Table:
    """Observed hours per host × stream, from the first to the last event time (a minute at
    least): rates per hour must not depend on the bucket size."""
    return arrow_query(
        """
        SELECT CAST(host AS VARCHAR) AS host,
               CASE WHEN starts_with(CAST(format AS VARCHAR), 'database') THEN 'database'
                    ELSE 'results' END AS stream,
               greatest(epoch_us(max(coalesce(event_time, log_time)))
                        - epoch_us(min(coalesce(event_time, log_time))), 60e6) / 3.6e9 AS hours
        FROM records
        WHERE coalesce(event_time, log_time) IS NOT NULL AND CAST(format AS VARCHAR) <> 'database_stored'
        GROUP BY ALL
        """,
        records=records.select(["host", "format", "event_time", "log_time"]),
    )


def _anchors(
    con: duckdb.DuckDBPyConnection, kind: str, nth: int, hosts: list[str]
) -> dict[str, dt.datetime]:
    """Each host's relative-time zero; ValueError naming the host when its marker is missing."""
    out: dict[str, dt.datetime] = {}
    for host in hosts:
        first_data = con.sql(
            "SELECT min(bucket) FROM rates WHERE host IS NOT DISTINCT FROM ?", params=[host]
        ).fetchall()[0][0]
        markers = con.sql(
            """SELECT log_time FROM status
               WHERE CAST(marker AS VARCHAR) = ? AND (host IS NULL OR CAST(host AS VARCHAR) = ?)
                 AND log_time IS NOT NULL
               ORDER BY log_time""",
            params=["agent_start" if kind == "start" else kind, host],
        ).fetchall()
        if kind == "start":
            # The first agent start at or before the data; without one, where the data begins.
            starts = [m[0] for m in markers if first_data is None or m[0] <= first_data]
            at = (
                starts[-1]
                if starts
                else (markers[0][0] if markers and first_data is None else first_data)
            )
        elif len(markers) >= nth:
            at = markers[nth - 1][0]
        else:
            where = f"host {host}" if host else "the run"
            raise ValueError(
                f"{where} has {len(markers)} {kind} marker(s); cannot align on number {nth}"
            )
        if at is not None:
            out[host or ""] = at
    return out


LANES_SQL = """
WITH lane_rows AS (
    SELECT host, publisher, subscriber, query, stream, sum(rows) AS rows FROM rates GROUP BY ALL
), lane_factors AS (
    SELECT host, publisher, subscriber, stream, sum(rows) / greatest(sum(distinct_rows), 1) AS factor,
           sum(rows) - sum(distinct_rows) AS extra_rows
    FROM factors GROUP BY ALL
), lane_bursts AS (
    SELECT host, publisher, subscriber, stream, count(*) AS bursts FROM bursts GROUP BY ALL
), lane_query AS (
    SELECT CAST(host AS VARCHAR) AS host, CAST(subscriber AS VARCHAR) AS subscriber,
           CASE WHEN count(*) = 1 THEN any_value(CAST(query AS VARCHAR)) END AS query
    FROM mapping WHERE subscriber IS NOT NULL GROUP BY ALL
)
SELECT l.host, l.publisher, l.subscriber, coalesce(l.query, q.query) AS query, l.stream, l.rows,
       l.rows / s.hours AS rate, s.hours,
       f.factor, f.extra_rows, CASE WHEN l.subscriber IS NOT NULL THEN coalesce(b.bursts, 0) END AS bursts
FROM lane_rows l
JOIN spans s ON s.host IS NOT DISTINCT FROM l.host AND s.stream = l.stream
LEFT JOIN lane_factors f ON f.host IS NOT DISTINCT FROM l.host AND f.publisher IS NOT DISTINCT FROM l.publisher
     AND f.subscriber IS NOT DISTINCT FROM l.subscriber AND f.stream = l.stream
LEFT JOIN lane_bursts b ON b.host IS NOT DISTINCT FROM l.host AND b.publisher IS NOT DISTINCT FROM l.publisher
     AND b.subscriber IS NOT DISTINCT FROM l.subscriber AND b.stream = l.stream
LEFT JOIN lane_query q ON q.host IS NOT DISTINCT FROM l.host AND q.subscriber = l.subscriber
"""

SERIES_SQL = """
SELECT r.host, r.publisher, r.subscriber, r.query, r.stream, r.bucket,
       (epoch_us(r.bucket) - (epoch_us(a.at) // $width) * $width) // $width AS rel,
       r.rows, f.distinct_rows
FROM rates r
JOIN anchors a ON a.host = coalesce(r.host, '')
LEFT JOIN factors f ON f.host IS NOT DISTINCT FROM r.host AND f.publisher IS NOT DISTINCT FROM r.publisher
     AND f.subscriber IS NOT DISTINCT FROM r.subscriber AND f.stream = r.stream AND f.bucket = r.bucket
"""
