"""Duplicated delivery: the duplication factor per bucket and the bursts where it rises.

Content identity follows product.md: host, subscriber (or query), the source stream, and every
column except ``eid`` (the results-log envelope is not part of the columns). Factor of a bucket =
rows ÷ distinct contents. A burst is a maximal run of buckets whose factor stays clearly above
the lane's baseline; a change of factor by 0.5 or more starts a new one. Each burst is linked to
the nearest config change or restart marker at or before its start within a few buckets, and
named by its signature: the same content under different eids (double delivery / double
subscription) or the same eid seen again (re-delivery).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.binning import (
    DELIVERY_LANE,
    lane_fields,
    only_deliveries,
    stream_of_formats,
)
from inspector.analysis.burst_rules import BurstOptions, signature, stretches
from inspector.analysis.lanes import lane_codes
from inspector.duck import arrow_query
from inspector.model.runs import runs_of, with_run_of_rows
from inspector.progress import Progress, report
from inspector.sql.in_memory import factors_of


def delivery_lanes(records: pa.Table) -> np.ndarray:
    """Per record the code of its delivery lane (host × publisher → subscriber × stream), or -1."""
    fields = lane_fields(DELIVERY_LANE, records)
    lanes = lane_codes(records, fields, {"stream": ("format", stream_of_formats)})
    return only_deliveries(records, lanes.codes)


def duplication_factors(
    records: pa.Table, bucket_seconds: int = 60, progress: Progress | None = None
) -> pa.Table:
    """Rows, distinct contents and factor per bucket for every event-subscriber lane (``FACTORS``,
    lane by lane in time order), by the SQL definition every engine runs
    (``inspector.sql.definitions.factor_counts`` and ``lanes``, joined by ``shaping``), here on
    DuckDB over ``records`` in memory."""
    report(progress, 0.0, "counting copies per bucket")
    table = factors_of(records, bucket_seconds * 1_000_000)
    report(progress, 1.0, "factors ready")
    return table


BURSTS = pa.schema(
    [
        pa.field("kind", pa.string()),
        pa.field("signature", pa.string()),
        pa.field("host", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("stream", pa.string()),
        pa.field("start", pa.timestamp("us", tz="UTC")),
        pa.field("end", pa.timestamp("us", tz="UTC")),
        pa.field("duplicate_factor", pa.float64()),
        pa.field("baseline_factor", pa.float64()),
        pa.field("rows", pa.int64()),
        pa.field("extra_rows", pa.int64()),
        pa.field("config_change_at", pa.timestamp("us", tz="UTC")),
        pa.field("marker", pa.string()),
        pa.field("marker_message", pa.string()),
        # The burst was already on where the lane's data begins (e.g. the oldest event the
        # database still buffers): it may have begun earlier, so its cause is looked for further back.
        pa.field("open_start", pa.bool_()),
        # The host's run where the host appears in several (``inspector.model.runs``), else null.
        pa.field("run", pa.string()),
    ]
)
LINKED_MARKERS = ("config_change", "worker_restart", "worker_start", "agent_start")


def duplicate_bursts(
    factors: pa.Table, status: pa.Table | None = None, options: BurstOptions | None = None
) -> pa.Table:
    """Bursts of duplicated delivery per lane, from ``duplication_factors`` output."""
    options = options or BurstOptions()
    width_us = options.bucket_seconds * 1_000_000
    out: list[dict[str, Any]] = []
    keys = lane_fields(("host", "publisher", "subscriber", "stream"), factors)
    # duplication_factors returns rows ordered by lane: split at the rows where the lane changes.
    lane_of = pc.binary_join_element_wise(
        *[pc.fill_null(factors.column(k), "") for k in keys], "\x1f"
    )
    lane_of = lane_of.to_numpy(zero_copy_only=False)
    cuts = np.flatnonzero(lane_of[1:] != lane_of[:-1]) + 1
    starts = np.r_[0, cuts].astype(np.int64) if len(lane_of) else np.zeros(0, np.int64)
    ends = np.r_[cuts, len(lane_of)].astype(np.int64) if len(lane_of) else starts
    columns = _lane_columns(factors)
    # A burst holds at least min_extra_rows repeated rows (rows − distinct_rows of its buckets,
    # never negative: rows ≥ distinct_rows in every bucket), so a lane with fewer in all its
    # buckets (most lanes of a healthy fleet) has none to look for.
    extra = columns["rows"] - columns["distinct"]
    lane_extra = np.add.reduceat(extra, starts) if len(starts) else np.zeros(0, np.int64)
    searched = lane_extra >= options.min_extra_rows
    starts, ends = starts[searched], ends[searched]
    names = {k: factors.column(k).take(starts).to_pylist() for k in keys}
    for i, (lo, hi) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        lane = {k: names[k][i] for k in keys}
        part = {name: column[lo:hi] for name, column in columns.items()}
        out.extend(_lane_bursts(lane, part, options, width_us))
    for b in out:
        b.pop("_buckets", None)
    bursts = pa.Table.from_pylist(out, schema=BURSTS) if out else BURSTS.empty_table()
    return _link_markers(bursts, status, options)


def _lane_columns(factors: pa.Table) -> dict[str, np.ndarray]:
    """The columns the burst rules read, as whole arrays (each lane a slice of them)."""
    return {
        "bucket": factors.column("bucket").cast(pa.int64()).to_numpy(),
        "rows": factors.column("rows").cast(pa.int64()).to_numpy(),
        "distinct": factors.column("distinct_rows").cast(pa.int64()).to_numpy(),
        "eids": factors.column("eids").cast(pa.float64()).fill_null(np.nan).to_numpy(),
    }


def _lane_bursts(
    lane: dict[str, Any], part: dict[str, np.ndarray], options: BurstOptions, width_us: int
) -> list[dict[str, Any]]:
    """The bursts of one lane (``burst_rules``) as rows of ``BURSTS``."""
    bucket, eids = part["bucket"], part["eids"]
    found, baseline = stretches(part["rows"], part["distinct"], options)
    out = [
        {
            "kind": "duplicate_burst",
            "signature": signature(eids[s.start : s.last + 1], s.rows),
            **lane,
            "start": int(bucket[s.start]),
            "end": int(bucket[s.last]) + width_us,
            "duplicate_factor": round(s.factor, 3),
            "baseline_factor": round(baseline, 3),
            "rows": s.rows,
            "extra_rows": s.extra,
            "config_change_at": None,
            "marker": None,
            "marker_message": None,
            "open_start": s.start == 0,
            "_buckets": s.last - s.start + 1,
        }
        for s in found
    ]
    return _absorb_transitions(out)


def _absorb_transitions(bursts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A one-bucket burst between two levels (the bucket where the factor changed, holding both)
    joins the burst it touches, preferring the next one."""
    merged: list[dict[str, Any]] = []
    i = 0
    while i < len(bursts):
        b = bursts[i]
        touches_next = i + 1 < len(bursts) and bursts[i + 1]["start"] == b["end"]
        if _one_bucket(b) and touches_next:
            bursts[i + 1] = _join(b, bursts[i + 1])
        elif _one_bucket(b) and merged and merged[-1]["end"] == b["start"]:
            merged[-1] = _join(merged[-1], b)
        else:
            merged.append(b)
        i += 1
    return merged


def _one_bucket(b: dict[str, Any]) -> bool:
    return bool(b.get("_buckets", 2) == 1)


def _join(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    rows = a["rows"] + b["rows"]
    extra = a["extra_rows"] + b["extra_rows"]
    joined = dict(b if b["rows"] >= a["rows"] else a)
    joined.update(
        start=min(a["start"], b["start"]),
        open_start=a["open_start"] or b["open_start"],
        end=max(a["end"], b["end"]),
        rows=rows,
        extra_rows=extra,
        duplicate_factor=round(rows / max(rows - extra, 1), 3),
        _buckets=a.get("_buckets", 1) + b.get("_buckets", 1),
    )
    return joined


def _link_markers(bursts: pa.Table, status: pa.Table | None, options: BurstOptions) -> pa.Table:
    if not bursts.num_rows or status is None or not status.num_rows:
        return bursts
    window = options.bucket_seconds * options.marker_window_buckets
    linked = arrow_query(
        f"""
            SELECT b.* EXCLUDE (config_change_at, marker, marker_message),
                   m.at AS config_change_at, m.marker AS marker, m.message AS marker_message
            FROM b LEFT JOIN LATERAL (
                SELECT s.log_time AS at, CAST(s.marker AS VARCHAR) AS marker, s.message
                FROM s
                WHERE CAST(s.marker AS VARCHAR) IN {LINKED_MARKERS}
                  AND (s.host IS NULL OR CAST(s.host AS VARCHAR) = b.host)
                  AND (b.run IS NULL OR s.run IS NULL OR CAST(s.run AS VARCHAR) = b.run)
                  AND s.log_time <= b.start + INTERVAL 1 SECOND * {options.bucket_seconds}
                  AND s.log_time >= b.start - CASE WHEN b.open_start THEN INTERVAL 1 DAY
                                                   ELSE INTERVAL 1 SECOND * {window} END
                ORDER BY s.log_time DESC LIMIT 1
            ) m ON true
            ORDER BY b.extra_rows DESC
            """,
        b=bursts,
        s=with_run_of_rows(
            status.select(["host", "marker", "message", "log_time", *runs_of(status)])
        ),
    )
    return linked.select(BURSTS.names).cast(BURSTS)
