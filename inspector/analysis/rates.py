"""Events per time bucket per lane (host × publisher → subscriber, or host × query), zero-filled.

A lane's empty buckets are present as zeros so gaps (restarts, downtime) show. Event time is the
row's own ``time``; rows without one count at their log time.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.lanes import lane_codes, value_mask
from inspector.duck import arrow_query
from inspector.progress import Progress, report

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

# Rows per (lane code, bucket) over the slim table; codes are decoded and gaps filled after.
COUNT_SQL = """
SELECT lane, (t // $width) * $width AS b, count(*) AS n
FROM slim WHERE t IS NOT NULL AND lane >= 0 GROUP BY ALL
"""


def stream_of_formats(formats: pa.Array) -> pa.Array:
    """``database`` for rows read from osquery.db, ``results`` for everything logged."""
    return pc.if_else(pc.starts_with(formats, "database"), "database", "results")


def event_times(records: pa.Table) -> pa.ChunkedArray:
    """Each row's event time (µs since the epoch), its log time where it has none."""
    return pc.coalesce(records.column("event_time"), records.column("log_time")).cast(pa.int64())


def event_rates(
    records: pa.Table, bucket_seconds: int = 60, progress: Progress | None = None
) -> pa.Table:
    """Rows per bucket of ``bucket_seconds`` (1 s … 1 day) for every lane, empty buckets as 0."""
    if not 1 <= bucket_seconds <= 86400:
        raise ValueError("bucket size must be between 1 second and 1 day")
    report(progress, 0.0, "counting events per bucket")
    width = bucket_seconds * 1_000_000
    fields = ("host", "publisher", "subscriber", "query", "stream")
    lanes = lane_codes(
        records, fields, {"stream": ("format", stream_of_formats)}, {"query": "subscriber"}
    )
    stored = value_mask(records.column("format"), lambda v: pc.equal(v, "database_stored"))
    slim = pa.table({"lane": np.where(stored, -1, lanes.codes), "t": event_times(records)})
    counted = arrow_query(COUNT_SQL.replace("$width", str(width)), slim=slim)
    if not counted.num_rows:
        return RATES.empty_table()
    rank, values = lanes.ranked(counted.column("lane").to_numpy())
    which, buckets, rows = zero_filled(
        rank, counted.column("b").to_numpy(), counted.column("n").to_numpy(), width
    )
    take = pa.array(which)
    table = pa.table(
        {**{name: v.take(take) for name, v in values.items()},
         "bucket": pa.array(buckets, pa.timestamp("us", tz="UTC")), "rows": rows}
    )  # fmt: skip
    report(progress, 1.0, "rates ready")
    return table.cast(RATES)


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
