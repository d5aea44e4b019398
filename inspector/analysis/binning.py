"""Counting records into time buckets per lane, for any bucket size and time range.

A ``Binner`` codes the records' lanes once (``lanes.lane_codes``) and keeps two slim tables —
lane and time for rates; lane, time, content and eid for duplication — so that re-binning at
another bucket size or over another time range (the timeline does it on every zoom) costs one
DuckDB group-by over integers.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.lanes import LaneCodes, lane_codes
from inspector.arrow_columns import value_mask
from inspector.content_hash import with_content
from inspector.duck import arrow_query

RATES = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("query", pa.string()),  # set for lanes of queries that read no event table
        pa.field("stream", pa.string()),  # results | database
        pa.field("bucket", pa.timestamp("us", tz="UTC")),
        pa.field("rows", pa.int64()),
    ]
)

FACTORS = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("stream", pa.string()),
        pa.field("bucket", pa.timestamp("us", tz="UTC")),
        pa.field("rows", pa.int64()),
        pa.field("distinct_rows", pa.int64()),
        pa.field(
            "eids", pa.int64()
        ),  # distinct eids among the rows (null when no eid was selected)
        pa.field("factor", pa.float64()),
    ]
)

RUN_FIELD = pa.field("run", pa.string())  # a host's run, where the host is in several


def with_runs(schema: pa.Schema, runs: bool) -> pa.Schema:
    """``schema`` (``RATES``, ``FACTORS``) with the ``run`` column last when lanes are told
    apart by run (``inspector.model.runs``); as it is otherwise."""
    return schema.append(RUN_FIELD) if runs else schema


def lane_fields(fields: tuple[str, ...], table: pa.Table) -> tuple[str, ...]:
    """``fields`` of a lane with ``run`` after ``host`` when ``table`` has a run column — a
    host's runs never share a lane, and their lanes sort together."""
    if "run" not in table.column_names or "run" in fields:
        return fields
    return (fields[0], "run", *fields[1:])


# Rows per (lane code, bucket) over the slim table; codes are decoded and gaps filled after.
COUNT_SQL = """
SELECT lane, (t // $width) * $width AS b, count(*) AS n
FROM slim WHERE t IS NOT NULL AND lane >= 0 $range GROUP BY ALL
"""


# Two stages: copies of one content within a bucket first (with the spread of their eids), then
# per bucket. A content group whose eids all agree is one eid seen again; if they differ, each
# copy has its own eid (the two signatures of osquery's bug class).
FACTORS_SQL = """
WITH copies AS (
    SELECT lane, (t // $width) * $width AS b, content, count(*) AS n,
           -- hash(NULL) is a number: keep rows without an eid out, so these are null for them
           min(hash(eid)) FILTER (eid IS NOT NULL) AS eid_lo,
           max(hash(eid)) FILTER (eid IS NOT NULL) AS eid_hi
    FROM slim WHERE t IS NOT NULL AND lane >= 0 $range GROUP BY ALL
)
SELECT lane, b, sum(n)::BIGINT AS rows, count(*) AS distinct_rows,  -- sums are HUGEINT otherwise
       CASE WHEN count(eid_lo) > 0
            THEN sum(CASE WHEN eid_lo IS NULL THEN 0 WHEN eid_lo = eid_hi THEN 1 ELSE n END)::BIGINT
       END AS eids
FROM copies GROUP BY ALL
"""


def stream_of_formats(formats: pa.Array) -> pa.Array:
    """``database`` for rows read from osquery.db, ``results`` for everything logged."""
    return pc.if_else(pc.starts_with(formats, "database"), "database", "results")


def event_times(records: pa.Table) -> pa.ChunkedArray:
    """Each row's event time (µs since the epoch), its log time where it has none."""
    return pc.coalesce(records.column("event_time"), records.column("log_time")).cast(pa.int64())


DELIVERY_LANE = ("host", "publisher", "subscriber", "stream")  # one source stream of a subscriber


def only_deliveries(records: pa.Table, codes: np.ndarray) -> np.ndarray:
    """``codes`` with -1 for rows that are not event deliveries: rows of no subscriber, stored
    query results, 'removed' rows."""
    excluded = (
        value_mask(records.column("subscriber"), lambda v: pc.is_null(v), null=True)
        | value_mask(records.column("format"), lambda v: pc.equal(v, "database_stored"))
        | value_mask(records.column("action"), lambda v: pc.equal(v, "removed"))
    )
    return np.where(excluded, -1, codes)


class RateSource(Protocol):
    """What drawing a timeline re-bins: a ``Binner``, or a live follow's binner (a record
    window plus the rates of the rows it let go)."""

    def rates(
        self, width_us: int, lo_us: int | None = None, hi_us: int | None = None
    ) -> pa.Table: ...

    def factors(
        self, width_us: int, lo_us: int | None = None, hi_us: int | None = None
    ) -> pa.Table: ...

    def span_us(self) -> tuple[int, int] | None: ...


class Binner:
    """Rates and duplication factors of one records table at any bucket width and time range."""

    def __init__(self, records: pa.Table, duplicates: bool = True) -> None:
        """``duplicates`` False: rates only (a preview's records have no contents to compare)."""
        self.records = records
        self.duplicates = duplicates
        self._rate: tuple[LaneCodes, pa.Table] | None = None
        self._delivery: tuple[LaneCodes, pa.Table] | None = None

    def _rate_lanes(self) -> tuple[LaneCodes, pa.Table]:
        if self._rate is None:
            r = self.records
            fields = lane_fields(("host", "publisher", "subscriber", "query", "stream"), r)
            lanes = lane_codes(
                r, fields, {"stream": ("format", stream_of_formats)}, {"query": "subscriber"}
            )
            stored = value_mask(r.column("format"), lambda v: pc.equal(v, "database_stored"))
            slim = pa.table({"lane": np.where(stored, -1, lanes.codes), "t": event_times(r)})
            self._rate = (lanes, slim)
        return self._rate

    def _delivery_lanes(self) -> tuple[LaneCodes, pa.Table]:
        if self._delivery is None:
            r = with_content(self.records)
            fields = lane_fields(DELIVERY_LANE, r)
            lanes = lane_codes(r, fields, {"stream": ("format", stream_of_formats)})
            slim = pa.table(
                {"lane": only_deliveries(r, lanes.codes), "t": event_times(r),
                 "content": r.column("content"), "eid": r.column("eid")}
            )  # fmt: skip
            self._delivery = (lanes, slim)
        return self._delivery

    def rates(self, width_us: int, lo_us: int | None = None, hi_us: int | None = None) -> pa.Table:
        """``RATES``: rows per bucket for every lane with rows in [lo, hi), gaps as zeros."""
        lanes, slim = self._rate_lanes()
        sql = COUNT_SQL.replace("$width", str(width_us)).replace("$range", _range(lo_us, hi_us))
        counted = arrow_query(sql, slim=slim)
        if not counted.num_rows:
            return RATES.empty_table()
        rank, values = lanes.ranked(counted.column("lane").to_numpy())
        which, buckets, rows = zero_filled(
            rank, counted.column("b").to_numpy(), counted.column("n").to_numpy(), width_us
        )
        take = pa.array(which)
        table = pa.table(
            {**{name: v.take(take) for name, v in values.items()},
             "bucket": pa.array(buckets, pa.timestamp("us", tz="UTC")), "rows": rows}
        )  # fmt: skip
        schema = with_runs(RATES, "run" in values)
        return table.select(schema.names).cast(schema)

    def factors(
        self, width_us: int, lo_us: int | None = None, hi_us: int | None = None
    ) -> pa.Table:
        """``FACTORS``: rows, distinct contents and factor per bucket of every delivery lane."""
        if not self.duplicates:
            return FACTORS.empty_table()
        lanes, slim = self._delivery_lanes()
        sql = FACTORS_SQL.replace("$width", str(width_us)).replace("$range", _range(lo_us, hi_us))
        counted = arrow_query(sql, slim=slim)
        if not counted.num_rows:
            return FACTORS.empty_table()
        rank, values = lanes.ranked(counted.column("lane").to_numpy())
        bucket = counted.column("b").to_numpy()
        order = np.lexsort((bucket, rank))  # lane by lane, in time order (bursts need it)
        rows = counted.column("rows").to_numpy()[order]
        distinct = counted.column("distinct_rows").to_numpy()[order]
        table = pa.table(
            {**{name: v.take(pa.array(rank[order])) for name, v in values.items()},
             "bucket": pa.array(bucket[order], pa.timestamp("us", tz="UTC")),
             "rows": rows, "distinct_rows": distinct,
             "eids": counted.column("eids").take(pa.array(order)),
             "factor": rows / np.maximum(distinct, 1)}
        )  # fmt: skip
        schema = with_runs(FACTORS, "run" in values)
        return table.select(schema.names).cast(schema)

    def span_us(self) -> tuple[int, int] | None:
        """First and last event time (µs), or None without timed rows."""
        _, slim = self._rate_lanes()
        t = slim.column("t")
        lo, hi = pc.min(t).as_py(), pc.max(t).as_py()
        return None if lo is None else (int(lo), int(hi))


def _range(lo_us: int | None, hi_us: int | None) -> str:
    parts = []
    if lo_us is not None:
        parts.append(f"AND t >= {int(lo_us)}")
    if hi_us is not None:
        parts.append(f"AND t < {int(hi_us)}")
    return " ".join(parts)


def zero_filled(
    lane: np.ndarray, bucket: np.ndarray, n: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every bucket from each lane's first to its last, in lane then time order: per bucket its
    lane, its start, and its count (0 where ``lane``/``bucket``/``n`` had no entry)."""
    order = np.lexsort((bucket, lane))
    lane, bucket, n = lane[order], bucket[order], n[order]
    starts = np.flatnonzero(np.r_[True, lane[1:] != lane[:-1]])
    ends = np.r_[starts[1:], len(lane)]
    lo, hi = bucket[starts], bucket[ends - 1]
    lengths = (hi - lo) // width + 1
    offsets = np.r_[0, np.cumsum(lengths)[:-1]]
    which = np.repeat(np.arange(len(starts)), lengths)
    buckets = lo[which] + width * (np.arange(int(lengths.sum())) - offsets[which])
    counts = np.zeros(len(buckets), dtype=np.int64)
    lane_of_entry = np.repeat(np.arange(len(starts)), ends - starts)
    counts[offsets[lane_of_entry] + (bucket - lo[lane_of_entry]) // width] = n
    return lane[starts][which], buckets, counts
