"""Two runs side by side (before/after): per host × subscriber and per query, with the change.

Pairing follows product.md: by host × subscriber (and × query for lanes of queries that read no
event table); when each run holds a single host, by subscriber whatever the host names. Each
source stream (results log, database buffer) is its own pair. Both runs are aligned on relative
time — from each host's agent start, or from a marker the user picks in each run — and the first
relative bucket where a pair diverges beyond normal variation is reported.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.run_summary import RunProfile, run_profile
from inspector.duck import connection
from inspector.model import Workspace
from inspector.progress import Progress, report

TS = pa.timestamp("us", tz="UTC")
COMPARISON = pa.schema(
    [
        pa.field("host", pa.string()),  # the run after's (before's for a vanished lane)
        pa.field("publisher", pa.string()),  # likewise; both are in the evidence columns
        pa.field("subscriber", pa.string()),
        pa.field("query", pa.string()),
        pa.field("rows_before", pa.int64()),
        pa.field("rows_after", pa.int64()),
        pa.field("rate_before", pa.float64()),  # rows per hour of the host's observed run
        pa.field("rate_after", pa.float64()),
        pa.field("duplicate_factor_before", pa.float64()),
        pa.field("duplicate_factor_after", pa.float64()),
        pa.field("bursts_before", pa.int64()),
        pa.field("bursts_after", pa.int64()),
        pa.field("change", pa.string()),
        # evidence
        pa.field("source", pa.string()),  # results_log | osquery_db
        pa.field("host_before", pa.string()),
        pa.field("host_after", pa.string()),
        pa.field("publisher_before", pa.string()),
        pa.field("publisher_after", pa.string()),
        pa.field("extra_rows_before", pa.int64()),
        pa.field("extra_rows_after", pa.int64()),
        pa.field("hours_before", pa.float64()),  # the host's observed span in that stream
        pa.field("hours_after", pa.float64()),
        pa.field("divergence_offset_s", pa.float64()),  # seconds after the alignment point
        pa.field("divergence_kind", pa.string()),  # rate | duplication | rate and duplication
        pa.field("duplication_divergence_offset_s", pa.float64()),  # the factor's own, if any
        pa.field("divergence_before", TS),  # that instant in each run
        pa.field("divergence_after", TS),
    ]
)
# source_missing: the other run has no such source at all (e.g. no osquery.db), so the lane
# cannot be compared there — not the same as a lane that appeared or vanished.
CHANGES = (
    "appeared", "vanished", "duplication", "deduplication", "rate", "same", "source_missing",
)  # fmt: skip
RATE_CHANGE = 1.5  # a rate this many times higher or lower is a change (with enough rows)


@dataclass(frozen=True)
class Alignment:
    """Where relative time 0 lies in each run: ``start`` (agent start) or ``MARKER[:N]``."""

    before: str = "start"
    after: str = "start"


@dataclass(frozen=True)
class Comparison:
    """The pair table and where the runs first part ways."""

    table: pa.Table
    # the earliest pair divergence (a row of ``table`` as a dict)
    first_divergence: dict[str, Any] | None
    anchors_before: dict[str, dt.datetime]  # host → the alignment instant
    anchors_after: dict[str, dt.datetime]
    alignment: Alignment
    bucket_seconds: int
    by_host: bool  # pairs are host × lane (several hosts) rather than lane alone
    overlap_s: float  # relative time both runs cover (longest over hosts and streams)


def compare_runs(
    before: Workspace,
    after: Workspace,
    options: BurstOptions | None = None,
    alignment: Alignment | None = None,
    progress: Progress | None = None,
) -> Comparison:
    """Pair the lanes of two loaded runs and say what changed; raise ValueError for a bad anchor."""
    options = options or BurstOptions()
    alignment = alignment or Alignment()
    report(progress, 0.0, "profiling the run before")
    a = _profile(before, options, alignment.before, "before")
    report(progress, 0.4, "profiling the run after")
    b = _profile(after, options, alignment.after, "after")
    report(progress, 0.8, "pairing lanes")
    named = [h for h in a.hosts if h], [h for h in b.hosts if h]
    by_host = not (len(named[0]) <= 1 and len(named[1]) <= 1)
    table, overlap_s = _pair(a, b, options, by_host)
    table = _divergence_instants(table, a.anchors, b.anchors, options.bucket_seconds)
    first = None
    if table.num_rows:
        offsets = table.column("divergence_offset_s").to_pylist()
        known = [i for i, o in enumerate(offsets) if o is not None]
        if known:
            first = table.slice(min(known, key=lambda i: offsets[i]), 1).to_pylist()[0]
    report(progress, 1.0, "comparison ready")
    return Comparison(
        table, first, a.anchors, b.anchors, alignment, options.bucket_seconds, by_host, overlap_s
    )


def compare_profiles(
    a: RunProfile, b: RunProfile, options: BurstOptions, by_host: bool
) -> tuple[pa.Table, float]:
    """The ``COMPARISON`` pairs of two run profiles (however they were made: from loaded runs,
    or by an engine over a fleet dataset) and the relative time both cover (seconds)."""
    table, overlap_s = _pair(a, b, options, by_host)
    return _divergence_instants(table, a.anchors, b.anchors, options.bucket_seconds), overlap_s


def _divergence_instants(
    table: pa.Table, before: dict[str, dt.datetime], after: dict[str, dt.datetime], width_s: int
) -> pa.Table:
    """Each run's instant of a pair's divergence, from its own time 0 (a lane that went silent
    has no bucket of its own there)."""
    rows = table.to_pylist()
    for r in rows:
        offset = r["divergence_offset_s"]
        if offset is None:
            continue
        for side, anchors in (("before", before), ("after", after)):
            zero = anchors.get(r[f"host_{side}"] or "") or next(iter(anchors.values()), None)
            if zero is not None:
                floored = int(zero.timestamp()) // width_s * width_s
                r[f"divergence_{side}"] = dt.datetime.fromtimestamp(floored + offset, dt.UTC)
    return pa.Table.from_pylist(rows, schema=COMPARISON) if rows else table


def _profile(ws: Workspace, options: BurstOptions, anchor: str, role: str) -> RunProfile:
    try:
        return run_profile(ws, options, anchor)
    except ValueError as exc:
        raise ValueError(f"run {role}: {exc}") from None


def _pair(
    a: RunProfile, b: RunProfile, options: BurstOptions, by_host: bool
) -> tuple[pa.Table, float]:
    con = connection()  # a cursor (not a new database: ~15 ms); its temporary macros stay its own
    try:
        for name, p in (("a", a), ("b", b)):
            con.register(f"{name}_lanes", p.lanes)
            con.register(f"{name}_series", p.series)
        key = "coalesce(host, '')" if by_host else "''"
        con.execute(f"CREATE TEMP MACRO pair_key(host) AS {key}")
        pairs = con.sql(PAIRS_SQL).to_arrow_table()
        sql = DIVERGENCE_SQL.replace("$min_rise", str(options.min_rise))
        sql = sql.replace("$width_s", str(options.bucket_seconds))
        divergence = con.sql(sql).to_arrow_table()
        overlap = con.sql(OVERLAP_SQL.replace("$width_s", str(options.bucket_seconds))).fetchall()[
            0
        ][0]
        con.register("pairs", pairs)
        con.register("divergence", divergence)
        table = con.sql(
            f"""
            SELECT p.*, d.offset_s AS divergence_offset_s, d.kind AS divergence_kind,
                   d.dup_offset_s AS duplication_divergence_offset_s,
                   d.at_before AS divergence_before, d.at_after AS divergence_after
            FROM pairs p LEFT JOIN divergence d
              ON d.k_host = p.k_host AND d.k_lane = p.k_lane AND d.stream = p.stream
            ORDER BY {_CHANGE_ORDER}, abs(coalesce(p.extra_rows_after, 0) - coalesce(p.extra_rows_before, 0)) DESC,
                     p.subscriber NULLS LAST, p.query, p.stream
            """
        ).to_arrow_table()
    finally:
        con.close()
    rows = table.to_pylist()
    streams = (
        {r["stream"] for r in a.lanes.to_pylist()},
        {r["stream"] for r in b.lanes.to_pylist()},
    )
    for r in rows:
        missing = r["stream"] not in streams[0] or r["stream"] not in streams[1]
        r["change"] = "source_missing" if missing else classify(r, options.min_rise)
    rows.sort(key=lambda r: CHANGES.index(r["change"]))
    out = pa.Table.from_pylist(rows, schema=COMPARISON) if rows else COMPARISON.empty_table()
    return out, float(overlap or 0.0)


_CHANGE_ORDER = "coalesce(p.subscriber, p.query)"

PAIRS_SQL = """
WITH a AS (SELECT *, pair_key(host) AS k_host, coalesce(subscriber, '?' || query) AS k_lane FROM a_lanes),
     b AS (SELECT *, pair_key(host) AS k_host, coalesce(subscriber, '?' || query) AS k_lane FROM b_lanes)
SELECT coalesce(b.k_host, a.k_host) AS k_host, coalesce(b.k_lane, a.k_lane) AS k_lane,
       coalesce(b.stream, a.stream) AS stream,
       coalesce(b.host, a.host) AS host, coalesce(b.publisher, a.publisher) AS publisher,
       coalesce(b.subscriber, a.subscriber) AS subscriber,
       coalesce(b.query, a.query) AS query,
       a.rows AS rows_before, b.rows AS rows_after, a.rate AS rate_before, b.rate AS rate_after,
       a.factor AS duplicate_factor_before, b.factor AS duplicate_factor_after,
       a.bursts AS bursts_before, b.bursts AS bursts_after,
       CASE WHEN coalesce(b.stream, a.stream) = 'database' THEN 'osquery_db' ELSE 'results_log' END AS source,
       a.host AS host_before, b.host AS host_after, a.publisher AS publisher_before,
       b.publisher AS publisher_after, a.extra_rows AS extra_rows_before, b.extra_rows AS extra_rows_after,
       a.hours AS hours_before, b.hours AS hours_after
FROM a FULL OUTER JOIN b ON a.k_host = b.k_host AND a.k_lane = b.k_lane AND a.stream = b.stream
"""

# A bucket diverges when the rows differ far beyond Poisson noise, or the duplication factor
# rises or falls by min_rise with duplicates to show for it — in the bucket itself or summed
# over the trailing WINDOW buckets (so a quiet lane that stops, a few events a bucket, is seen
# too, a few buckets late); it must hold in the next bucket as well, so one noisy bucket is not
# a divergence. Only the relative span both runs cover counts.
DIVERGENCE_SQL = """
WITH a AS (SELECT *, pair_key(host) AS k_host, coalesce(subscriber, '?' || query) AS k_lane FROM a_series),
     b AS (SELECT *, pair_key(host) AS k_host, coalesce(subscriber, '?' || query) AS k_lane FROM b_series),
     spans AS (
        SELECT 'a' AS side, pair_key(host) AS k_host, stream, min(rel) AS lo, max(rel) AS hi FROM a_series GROUP BY ALL
        UNION ALL
        SELECT 'b', pair_key(host), stream, min(rel), max(rel) FROM b_series GROUP BY ALL
     ), common AS (
        SELECT k_host, stream, max(lo) AS lo, min(hi) AS hi FROM spans GROUP BY ALL HAVING count(DISTINCT side) = 2
     ), joined AS (
        SELECT coalesce(a.k_host, b.k_host) AS k_host, coalesce(a.k_lane, b.k_lane) AS k_lane,
               coalesce(a.stream, b.stream) AS stream, coalesce(a.rel, b.rel) AS rel,
               coalesce(a.rows, 0) AS ra, coalesce(b.rows, 0) AS rb,
               coalesce(a.distinct_rows, a.rows, 0) AS da, coalesce(b.distinct_rows, b.rows, 0) AS db,
               a.bucket AS at_a, b.bucket AS at_b
        FROM a FULL OUTER JOIN b ON a.k_host = b.k_host AND a.k_lane = b.k_lane AND a.stream = b.stream
                                AND a.rel = b.rel
     ), windowed AS (
        SELECT j.*,
               sum(ra) OVER w AS wra, sum(rb) OVER w AS wrb, sum(da) OVER w AS wda, sum(db) OVER w AS wdb
        FROM joined j JOIN common c ON c.k_host = j.k_host AND c.stream = j.stream
        WHERE j.rel BETWEEN c.lo AND c.hi
        WINDOW w AS (PARTITION BY j.k_host, j.k_lane, j.stream ORDER BY j.rel ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)
     ), flagged AS (
        SELECT *, (
                 abs(ra - rb) > 5 * sqrt(greatest(ra + rb, 1)) + 3
                 OR abs(wra - wrb) > 5 * sqrt(greatest(wra + wrb, 1)) + 3
               ) AS off_rate, (
                 (rb - db >= 3 AND rb / greatest(db, 1) - ra / greatest(da, 1) >= $min_rise)
                 OR (ra - da >= 3 AND ra / greatest(da, 1) - rb / greatest(db, 1) >= $min_rise)
                 OR (wrb - wdb >= 3 AND wrb / greatest(wdb, 1) - wra / greatest(wda, 1) >= $min_rise)
                 OR (wra - wda >= 3 AND wra / greatest(wda, 1) - wrb / greatest(wdb, 1) >= $min_rise)
               ) AS off_dup
        FROM windowed
     ), persistent AS (
        SELECT *,
               off_rate AND coalesce(lead(off_rate) OVER lane, false) AS rate_diverges,
               off_dup AND coalesce(lead(off_dup) OVER lane, false) AS dup_diverges
        FROM flagged
        WINDOW lane AS (PARTITION BY k_host, k_lane, stream ORDER BY rel)
     )
SELECT k_host, k_lane, stream, min(rel) * $width_s AS offset_s,
       CASE WHEN min(rel) FILTER (dup_diverges) = min(rel) AND min(rel) FILTER (rate_diverges) = min(rel)
                THEN 'rate and duplication'
            WHEN min(rel) FILTER (dup_diverges) = min(rel) THEN 'duplication' ELSE 'rate' END AS kind,
       min(rel) FILTER (dup_diverges) * $width_s AS dup_offset_s,
       arg_min(at_a, rel) AS at_before, arg_min(at_b, rel) AS at_after
FROM persistent WHERE rate_diverges OR dup_diverges
GROUP BY ALL
"""

OVERLAP_SQL = """
WITH spans AS (
    SELECT 'a' AS side, pair_key(host) AS k_host, stream, min(rel) AS lo, max(rel) AS hi FROM a_series GROUP BY ALL
    UNION ALL
    SELECT 'b', pair_key(host), stream, min(rel), max(rel) FROM b_series GROUP BY ALL
)
SELECT coalesce(max(hi - lo + 1), 0) * $width_s FROM (
    SELECT k_host, stream, max(lo) AS lo, min(hi) AS hi FROM spans GROUP BY ALL HAVING count(DISTINCT side) = 2
) WHERE hi >= lo
"""


def classify(r: dict[str, Any], min_rise: float = 0.25) -> str:
    """The short word for a pair: appeared, vanished, duplication, deduplication, rate, same."""
    before, after = r["rows_before"] or 0, r["rows_after"] or 0
    if before == 0 and after > 0:
        return "appeared"
    if after == 0 and before > 0:
        return "vanished"
    fa, fb = r["duplicate_factor_before"], r["duplicate_factor_after"]
    ba, bb = r["bursts_before"] or 0, r["bursts_after"] or 0
    if fa is not None and fb is not None:
        # More bursts at the same factor (one burst split by a gap) is not a change.
        if fb - fa >= min_rise or (ba == 0 and bb > 0):
            return "duplication"
        if fa - fb >= min_rise or (bb == 0 and ba > 0):
            return "deduplication"
    ra, rb = r["rate_before"] or 0.0, r["rate_after"] or 0.0
    if ra > 0 and rb > 0 and max(ra, rb) / min(ra, rb) >= RATE_CHANGE:
        # Clear of counting noise: the rates' Poisson spread over each run's own span.
        ha, hb = r.get("hours_before") or 0.0, r.get("hours_after") or 0.0
        spread = math.sqrt(ra / ha + rb / hb) if ha > 0 and hb > 0 else math.sqrt(ra + rb)
        if abs(ra - rb) > 5 * spread:
            return "rate"
    return "same"


__all__ = [
    "CHANGES",
    "COMPARISON",
    "Alignment",
    "Comparison",
    "classify",
    "compare_profiles",
    "compare_runs",
]
