"""``fleet compare``: two time ranges of a dataset side by side, per host × subscriber.

Each range is profiled as ``compare`` profiles a run (``inspector.analysis.run_summary``: lanes
with rows, rate per hour of the host's observed span, duplication factor and bursts; bucket
series on relative time), from what the engine computes with the shared definitions; time 0 of
each range is its start. The pairs are ``compare``'s own (``compare_profiles``), and a roll-up
per subscriber counts the hosts that started duplicating, stopped, or did not change.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.compare import CHANGES, COMPARISON, classify, compare_profiles
from inspector.analysis.duplicates import duplicate_bursts
from inspector.analysis.run_summary import LANES_SQL, SERIES_SQL, RunProfile
from inspector.duck import new_database
from inspector.fleet.engines import Engine, Scope, open_engine
from inspector.fleet.scan import distinct_rows, read_small, scope_of
from inspector.progress import Progress, report
from inspector.sql import definitions, shaping
from inspector.views.overview import plural

TS = pa.timestamp("us", tz="UTC")
ROLLUP = pa.schema(
    [
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("source", pa.string()),
        pa.field("hosts", pa.int64()),
        pa.field("started", pa.int64()),  # hosts whose duplication rose (change 'duplication')
        pa.field("stopped", pa.int64()),  # hosts whose duplication fell ('deduplication')
        pa.field("unchanged", pa.int64()),  # in both ranges, duplication as before
        pa.field("appeared", pa.int64()),
        pa.field("vanished", pa.int64()),
        pa.field("started_hosts", pa.list_(pa.string())),
        pa.field("stopped_hosts", pa.list_(pa.string())),
    ]
)
ROLLUP_SQL = """
SELECT publisher, subscriber, source, count(DISTINCT host) AS hosts,
       count(*) FILTER (WHERE change = 'duplication') AS started,
       count(*) FILTER (WHERE change = 'deduplication') AS stopped,
       count(*) FILTER (WHERE change IN ('same', 'rate')) AS unchanged,
       count(*) FILTER (WHERE change = 'appeared') AS appeared,
       count(*) FILTER (WHERE change = 'vanished') AS vanished,
       coalesce(list_sort(list(host) FILTER (WHERE change = 'duplication')), []) AS started_hosts,
       coalesce(list_sort(list(host) FILTER (WHERE change = 'deduplication')), []) AS stopped_hosts
FROM pairs WHERE subscriber IS NOT NULL
GROUP BY ALL
ORDER BY started DESC, stopped DESC, subscriber, publisher NULLS LAST, source
"""


@dataclass
class FleetComparison:
    """The pairs and the per-subscriber roll-up of two ranges of a dataset."""

    engine: str
    before: tuple[int, int]  # µs
    after: tuple[int, int]
    bucket_seconds: int
    pairs: pa.Table  # COMPARISON
    subscribers: pa.Table  # ROLLUP
    empty_ranges: list[str] = field(default_factory=list)  # "before"/"after": no records there

    def to_json(self) -> dict[str, Any]:
        def when(us: int) -> dt.datetime:
            return dt.datetime.fromtimestamp(us / 1e6, dt.UTC)

        return {
            "engine": self.engine,
            "before": {"from": when(self.before[0]), "to": when(self.before[1])},
            "after": {"from": when(self.after[0]), "to": when(self.after[1])},
            "bucket_seconds": self.bucket_seconds,
            "pairs": self.pairs.to_pylist(),
            "subscribers": self.subscribers.to_pylist(),
            "empty_ranges": self.empty_ranges,
        }


def window_profile(db: Engine, options: BurstOptions, lo_us: int, mapping: pa.Table) -> RunProfile:
    """A range's profile from the engine ``db`` (scoped to it); time 0 at ``lo_us``."""
    d, width = db.dialect, options.bucket_seconds * 1_000_000
    rates = shaping.rates_table(db.sql(definitions.rates(d, width)), width)
    counts, lanes = db.sql_all([definitions.factor_counts(d, width), definitions.lanes(d)])
    factors = shaping.factors_table(counts, lanes)
    bursts = duplicate_bursts(factors, None, options)
    raw = db.sql(definitions.spans(d))
    first = raw.column("first_us").cast(pa.int64()).to_numpy(zero_copy_only=False)
    last = raw.column("last_us").cast(pa.int64()).to_numpy(zero_copy_only=False)
    spans = pa.table(
        {
            "host": raw.column("host").cast(pa.string()),
            "stream": raw.column("stream").cast(pa.string()),
            "hours": np.maximum(last - first, 60e6) / 3.6e9,
        }
    )
    lane_hosts = set(rates.column("host").to_pylist())
    hosts = sorted(h for h in lane_hosts if h is not None) + ([None] if None in lane_hosts else [])
    zero = dt.datetime.fromtimestamp(lo_us / 1e6, dt.UTC)
    anchors = {h or "": zero for h in hosts}
    con = new_database()
    try:
        for name, table in (("rates", rates), ("factors", factors), ("bursts", bursts),
                            ("mapping", mapping), ("spans", spans)):  # fmt: skip
            con.register(name, table)
        con.register(
            "anchors",
            pa.table({"host": list(anchors), "at": pa.array(list(anchors.values()), TS)}),
        )
        lanes = con.sql(LANES_SQL.replace("$width", str(width))).to_arrow_table()
        series = con.sql(SERIES_SQL.replace("$width", str(width))).to_arrow_table()
    finally:
        con.close()
    return RunProfile(lanes, series, anchors, hosts)


def fleet_compare(
    dataset: str,
    before: tuple[int, int],
    after: tuple[int, int],
    engine: str = "duckdb",
    options: BurstOptions | None = None,
    hosts_glob: str | Sequence[str] | None = None,
    spark_master: str | None = None,
    progress: Progress | None = None,
) -> FleetComparison:
    """Pair every host × lane of range ``before`` with the same in range ``after``."""
    options = options or BurstOptions()
    profiles = []
    hosts = scope_of(dataset, hosts_glob, None, None).hosts
    mapping = distinct_rows(read_small(dataset, "mapping", hosts))
    for k, (lo, hi) in enumerate((before, after)):
        report(progress, 0.05 + 0.45 * k, f"profiling the range {'before' if k == 0 else 'after'}")
        db = open_engine(engine, dataset, Scope(hosts, lo, hi), spark_master)
        try:
            profiles.append(window_profile(db, options, lo, mapping))
        finally:
            db.close()
    report(progress, 0.95, "pairing lanes")
    pairs, _ = compare_profiles(profiles[0], profiles[1], options, by_host=True)
    pairs = silent_lanes_vanished(pairs, options)
    con = new_database()
    try:
        con.register("pairs", pairs)
        rollup = con.sql(ROLLUP_SQL).to_arrow_table()
    finally:
        con.close()
    report(progress, 1.0, "comparison ready")
    empty = [name for name, p in zip(("before", "after"), profiles, strict=True)
             if not p.lanes.num_rows]  # fmt: skip
    return FleetComparison(
        engine, before, after, options.bucket_seconds, in_total_order(pairs.cast(COMPARISON)),
        rollup.cast(ROLLUP), empty,
    )  # fmt: skip


def silent_lanes_vanished(pairs: pa.Table, options: BurstOptions) -> pa.Table:
    """``pairs`` with the results-log lanes of a range that has no results rows at all as
    appeared or vanished.

    ``compare`` calls such a pair ``source_missing``: the other run has no such source and
    cannot tell. Both ranges here are the same dataset, so a range without results rows is
    hosts that sent none there. osquery.db lanes keep the word: a database copy holds only the
    events of its retention window, so a range outside it says nothing of the hosts."""
    if not pairs.num_rows:
        return pairs
    missing = pc.and_(
        pc.equal(pairs.column("change"), "source_missing"),
        pc.equal(pairs.column("source"), "results_log"),
    )
    if not pc.any(missing).as_py():
        return pairs
    rows = pairs.to_pylist()
    for r in rows:
        if r["change"] == "source_missing" and r["source"] == "results_log":
            r["change"] = classify(r, options.min_rise)
    return pa.Table.from_pylist(rows, schema=pairs.schema)


def in_total_order(pairs: pa.Table) -> pa.Table:
    """``pairs`` (``COMPARISON``) in ``compare``'s order — change, subscriber (or query), the
    change in extra rows (largest first) — with every other column breaking ties, host first:
    rows that differ never swap places between runs or engines."""
    if pairs.num_rows < 2:
        return pairs
    rows = pairs.to_pylist()
    rest = [n for n in pairs.column_names if n not in ("change", "subscriber", "query")]
    ties = ["host", "publisher", "source"] + [
        n for n in rest if n not in ("host", "publisher", "source")
    ]

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        extra = abs((r["extra_rows_after"] or 0) - (r["extra_rows_before"] or 0))
        lane = r["subscriber"] if r["subscriber"] is not None else r["query"]
        return (
            CHANGES.index(r["change"]) if r["change"] in CHANGES else len(CHANGES),
            _last_if_none(lane), -extra, _last_if_none(r["subscriber"]),
            _last_if_none(r["query"]), *(_last_if_none(r[n]) for n in ties),
        )  # fmt: skip

    rows.sort(key=key)
    return pa.Table.from_pylist(rows, schema=pairs.schema)


def _last_if_none(value: Any) -> tuple[Any, ...]:
    """A sort key of a value that sorts None (and NaN) after every value of its column."""
    if value is None:
        return (2,)
    if isinstance(value, float) and math.isnan(value):
        return (1,)
    return (0, value)


def compare_text(result: FleetComparison) -> str:
    """A human reading: the roll-up per subscriber, then the hosts that changed."""
    out = [
        f"per publisher → subscriber ({result.engine}; before {_range(result.before)}, after {_range(result.after)}):"
    ]
    for name in result.empty_ranges:
        span = result.before if name == "before" else result.after
        out.append(f"  the {name} range ({_range(span)}) holds no records of these hosts")
    for r in result.subscribers.to_pylist():
        where = " in osquery.db" if r["source"] == "osquery_db" else ""
        lane = f"{r['publisher'] or 'publisher unknown'} → {r['subscriber']}"
        out.append(
            f"  {lane}{where}: {plural(r['hosts'], 'host')} — started duplicating {r['started']}, "
            f"stopped {r['stopped']}, unchanged {r['unchanged']}, appeared {r['appeared']}, "
            f"vanished {r['vanished']}"
        )
        if r["started_hosts"]:
            out.append("    started: " + ", ".join(r["started_hosts"][:20]))
    if not result.subscribers.num_rows:
        out.append("  (no subscriber lanes in either range)")
    return "\n".join(out + _changed_pairs_text(result.pairs))


# The pairs worth a line, most telling first; "same" is left to the roll-up and --json.
_SHOWN_CHANGES = ("duplication", "deduplication", "appeared", "vanished", "rate", "source_missing")
PAIRS_SHOWN = 20


def _changed_pairs_text(pairs: pa.Table, most: int = PAIRS_SHOWN) -> list[str]:
    """Per host: the lanes and queries that changed (queries without a subscriber too, which
    the roll-up leaves out), the first ``most`` of them."""
    rank = {c: i for i, c in enumerate(_SHOWN_CHANGES)}
    changed = sorted(
        (p for p in pairs.to_pylist() if p["change"] in rank),
        key=lambda p: (
            p["host"] is None,
            p["host"] or "",
            rank[p["change"]],
            p["subscriber"] or p["query"] or "",
        ),
    )
    if not changed:
        return []
    out = [f"changed per host ({plural(len(changed), 'pair')}):"]
    for p in changed[:most]:
        what = (
            f"{p['publisher'] or 'publisher unknown'} → {p['subscriber']}"
            if p["subscriber"]
            else f"query {p['query']}"
        )
        where = " in osquery.db" if p["source"] == "osquery_db" else ""
        factors = (p["duplicate_factor_before"], p["duplicate_factor_after"])
        factor = (  # a query without a subscriber has none
            f", factor {_factor(factors[0])} → {_factor(factors[1])}"
            if any(f is not None for f in factors)
            else ""
        )
        # The roll-up counts a rate change as unchanged duplication: said so here too.
        change = "rate (duplication as before)" if p["change"] == "rate" else p["change"]
        out.append(
            f"  {p['host'] or '(unknown host)'}  {what}{where}: {change} — rows "
            f"{_count(p['rows_before'])} → {_count(p['rows_after'])}{factor}"
        )
    if len(changed) > most:
        out.append(f"  … and {len(changed) - most:,} more (--json or --out)")
    return out


def _count(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def _factor(x: float | None) -> str:
    return "–" if x is None or math.isnan(x) else f"×{x:.2f}"


def _range(pair: tuple[int, int]) -> str:
    a, b = (dt.datetime.fromtimestamp(x / 1e6, dt.UTC).strftime("%Y-%m-%d %H:%M") for x in pair)
    return f"{a}..{b} UTC"
