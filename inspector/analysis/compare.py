"""Two runs side by side (before/after): per host × subscriber and per query, with the change.

Pairing follows product.md: by host × subscriber (and × query for lanes of queries that read no
event table); when each run holds a single host, by subscriber whatever the host names. Each
source stream (results log, database buffer) is its own pair. Both runs are aligned on relative
time — from each host's agent start, or from a marker the user picks in each run — and the first
relative bucket where a pair diverges beyond normal variation is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from inspector.analysis.duplicates import BurstOptions
from inspector.analysis.profile import RunProfile, run_profile
from inspector.progress import Progress, report
from inspector.workspace import Workspace

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
        pa.field("divergence_offset_s", pa.float64()),  # seconds after the alignment point
        pa.field("divergence_before", TS),  # that instant in each run
        pa.field("divergence_after", TS),
    ]
)
CHANGES = ("appeared", "vanished", "duplication", "deduplication", "rate", "same")
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
    first_divergence: dict | None  # the earliest pair divergence (a row of ``table`` as a dict)
    anchors_before: dict[str, object]  # host → the alignment instant (datetime)
    anchors_after: dict[str, object]
    alignment: Alignment
    bucket_seconds: int


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
    by_host = not (len(a.hosts) <= 1 and len(b.hosts) <= 1)
    table = _pair(a, b, options, by_host)
    first = None
    if table.num_rows:
        offsets = table.column("divergence_offset_s").to_pylist()
        known = [i for i, o in enumerate(offsets) if o is not None]
        if known:
            first = table.slice(min(known, key=lambda i: offsets[i]), 1).to_pylist()[0]
    report(progress, 1.0, "comparison ready")
    return Comparison(table, first, a.anchors, b.anchors, alignment, options.bucket_seconds)


def _profile(ws: Workspace, options: BurstOptions, anchor: str, role: str) -> RunProfile:
    try:
        return run_profile(ws, options, anchor)
    except ValueError as exc:
        raise ValueError(f"run {role}: {exc}") from None


def _pair(a: RunProfile, b: RunProfile, options: BurstOptions, by_host: bool) -> pa.Table:
    con = duckdb.connect(":memory:")
    try:
        for name, p in (("a", a), ("b", b)):
            con.register(f"{name}_lanes", p.lanes)
            con.register(f"{name}_series", p.series)
        key = "coalesce(host, '')" if by_host else "''"
        con.execute(f"CREATE TEMP MACRO pair_key(host) AS {key}")
        pairs = con.sql(PAIRS_SQL).to_arrow_table()
        divergence = con.sql(
            DIVERGENCE_SQL.replace("$min_rise", str(options.min_rise)).replace(
                "$width_s", str(options.bucket_seconds)
            )
        ).to_arrow_table()
        con.register("pairs", pairs)
        con.register("divergence", divergence)
        table = con.sql(
            f"""
            SELECT p.*, d.offset_s AS divergence_offset_s,
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
    for r in rows:
        r["change"] = classify(r)
    rows.sort(key=lambda r: CHANGES.index(r["change"]))
    return pa.Table.from_pylist(rows, schema=COMPARISON) if rows else COMPARISON.empty_table()


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
       b.publisher AS publisher_after, a.extra_rows AS extra_rows_before, b.extra_rows AS extra_rows_after
FROM a FULL OUTER JOIN b ON a.k_host = b.k_host AND a.k_lane = b.k_lane AND a.stream = b.stream
"""

# A bucket diverges when the rows differ far beyond Poisson noise, or the duplication factor
# rises or falls by min_rise with duplicates to show for it; it must hold in the next bucket too,
# so a single noisy bucket is not a divergence. Only the relative span both runs cover counts.
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
     ), flagged AS (
        SELECT j.*, (
                 abs(ra - rb) > 5 * sqrt(greatest(ra + rb, 1)) + 3
                 OR (rb - db >= 3 AND rb / greatest(db, 1) - ra / greatest(da, 1) >= $min_rise)
                 OR (ra - da >= 3 AND ra / greatest(da, 1) - rb / greatest(db, 1) >= $min_rise)
               ) AS off
        FROM joined j JOIN common c ON c.k_host = j.k_host AND c.stream = j.stream
        WHERE j.rel BETWEEN c.lo AND c.hi
     ), persistent AS (
        SELECT *, lead(off) OVER (PARTITION BY k_host, k_lane, stream ORDER BY rel) AS next_off FROM flagged
     )
SELECT k_host, k_lane, stream, min(rel) * $width_s AS offset_s,
       arg_min(at_a, rel) AS at_before, arg_min(at_b, rel) AS at_after
FROM persistent WHERE off AND coalesce(next_off, true)
GROUP BY ALL
"""


def classify(r: dict) -> str:
    """The short word for a pair: appeared, vanished, duplication, deduplication, rate, same."""
    before, after = r["rows_before"] or 0, r["rows_after"] or 0
    if before == 0 and after > 0:
        return "appeared"
    if after == 0 and before > 0:
        return "vanished"
    fa, fb = r["duplicate_factor_before"], r["duplicate_factor_after"]
    ba, bb = r["bursts_before"] or 0, r["bursts_after"] or 0
    if fa is not None and fb is not None:
        if fb - fa >= 0.25 or bb > ba:
            return "duplication"
        if fa - fb >= 0.25 or bb < ba:
            return "deduplication"
    ra, rb = r["rate_before"] or 0.0, r["rate_after"] or 0.0
    # A rate change must be large and clear of counting noise (a few rows per hour may halve).
    if (
        ra > 0
        and rb > 0
        and max(ra, rb) / min(ra, rb) >= RATE_CHANGE
        and abs(after - before) > 5 * math.sqrt(after + before)
    ):
        return "rate"
    return "same"


__all__ = [
    "CHANGES",
    "COMPARISON",
    "Alignment",
    "Comparison",
    "classify",
    "compare_runs",
]
