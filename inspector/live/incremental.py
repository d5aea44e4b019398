"""Duplication factors and bursts of a growing run, updated per batch with the batch analysis's
own definitions (``duplication_factors``, ``duplicate_bursts``) — never a copy of them.

- Factors: a bucket's factor depends only on its own rows, so a batch recomputes the buckets
  from the earliest one it touched (with every row the record window holds for them) and keeps
  the rest as they were.
- Bursts depend on a lane's whole history (its baseline is a low quantile of its factors):
  detection runs again on the lanes the batch touched, over their full factor history (one row
  per bucket: small), and on every lane when a marker a burst links to arrives.
- Rows reach the log up to a query interval after their event: the newest buckets stay open for
  a lateness margin, and a burst reaching into them is provisional.

Buckets older than what the record window keeps are final; a late row landing there is added to
its bucket's counts as a new content (noted: exact only while the window holds the bucket).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.binning import (
    FACTORS,
    event_times,
    only_deliveries,
    stream_of_formats,
)
from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.duplicates import (
    BURSTS,
    LINKED_MARKERS,
    duplicate_bursts,
    duplication_factors,
)

log = logging.getLogger(__name__)

LANE = ("host", "publisher", "subscriber", "stream")
MARKER_COLUMNS = ("host", "marker", "message", "log_time")
MARKERS = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("marker", pa.string()),
        pa.field("message", pa.string()),
        pa.field("log_time", pa.timestamp("us", tz="UTC")),
    ]
)

# Rows of the window with an event time at or after a bucket start (µs): supplied by the owner
# of the records (the record window), so the analysis keeps no second copy of them.
RecordsSince = Callable[[int], pa.Table]


@dataclass
class BatchEffect:
    """What one batch changed: from which bucket factors were recomputed, which lanes' bursts."""

    recomputed_from_us: int | None
    lanes: int
    late_rows: int = 0  # rows for buckets older than the window holds


def lane_keys(table: pa.Table) -> pa.Array:
    """One string per row naming its lane (host, publisher, subscriber, stream)."""
    parts = [pc.fill_null(table.column(k).cast(pa.string()), "\x00") for k in LANE]
    return pc.binary_join_element_wise(*parts, "\x1f").combine_chunks()


def sort_factors(factors: pa.Table) -> pa.Table:
    """Lane by lane, each in time order (what ``duplicate_bursts`` expects)."""
    keys = [(k, "ascending") for k in (*LANE, "bucket")]
    return factors.sort_by(keys)  # nulls last


class IncrementalDuplicates:
    """Factors (``FACTORS``) and bursts (``BURSTS``) of every lane, kept current per batch."""

    def __init__(
        self,
        records_since: RecordsSince,
        options: BurstOptions | None = None,
        lateness_seconds: int = 90,
    ) -> None:
        self.records_since = records_since
        self.options = options or BurstOptions()
        self.width_us = self.options.bucket_seconds * 1_000_000
        self.lateness_us = lateness_seconds * 1_000_000
        self.factors = FACTORS.empty_table()
        self.bursts = BURSTS.empty_table()
        self.markers = MARKERS.empty_table()
        self.newest_us: int | None = None  # the newest event time seen
        self.complete_from_us: int | None = None  # buckets before this are no longer in the window
        self.late_rows = 0

    # -- a batch --------------------------------------------------------------------------------
    def add(self, records: pa.Table, status: pa.Table | None = None) -> BatchEffect:
        """Take a batch of records (already in the window) and status rows."""
        new_markers = self._add_markers(status)
        times = event_times(records) if records.num_rows else pa.chunked_array([], pa.int64())
        lo = pc.min(times).as_py() if len(times) else None
        hi = pc.max(times).as_py() if len(times) else None
        if hi is not None:
            self.newest_us = hi if self.newest_us is None else max(self.newest_us, hi)
        touched = self._touched_lanes(records)
        effect = BatchEffect(None, 0)
        if lo is not None and touched is not None and len(touched):
            start = (int(lo) // self.width_us) * self.width_us
            effect.late_rows = self._recompute_factors(start, records)
            effect.recomputed_from_us = start
        if new_markers:
            touched = None  # a marker a burst links to: every lane's bursts again
        effect.lanes = self._redetect(touched)
        return effect

    def _touched_lanes(self, records: pa.Table) -> pa.Array:
        """The delivery lanes the batch has rows in (the binning's own rule of what a
        delivery is: ``only_deliveries``, ``stream_of_formats``)."""
        if not records.num_rows:
            return pa.array([], pa.string())
        delivery = only_deliveries(records, np.zeros(records.num_rows, np.int32)) >= 0
        rows = records.filter(pa.array(delivery)).select(
            ["host", "publisher", "subscriber", "format"]
        )
        if not rows.num_rows:
            return pa.array([], pa.string())
        distinct = rows.group_by(["host", "publisher", "subscriber", "format"]).aggregate([])
        stream = stream_of_formats(distinct.column("format").cast(pa.string()))
        lanes = distinct.append_column("stream", stream)
        return pc.unique(lane_keys(lanes))

    def _recompute_factors(self, start: int, batch: pa.Table) -> int:
        """Factors of every bucket from ``start`` on, from all the window's rows there."""
        late = 0
        complete = self.complete_from_us
        if complete is not None and start < complete:
            late = self._merge_late(batch, start, complete)
            start = complete
        fresh = duplication_factors(self.records_since(start), self.options.bucket_seconds)
        bucket_us = self.factors.column("bucket").cast(pa.int64())
        kept = self.factors.filter(pc.less(bucket_us, start))
        self.factors = sort_factors(pa.concat_tables([kept, fresh.cast(FACTORS)]))
        return late

    def _merge_late(self, batch: pa.Table, start: int, complete: int) -> int:
        """Rows for buckets the window no longer holds: added to their buckets' counts."""
        times = event_times(batch)
        late = batch.filter(pc.less(times, complete))
        counted = duplication_factors(late, self.options.bucket_seconds)
        if not counted.num_rows:
            return 0
        self.late_rows += late.num_rows
        log.info("%d rows arrived for buckets older than the record window", late.num_rows)
        both = pa.concat_tables([self.factors, counted.cast(FACTORS)])
        grouped = both.group_by([*LANE, "bucket"], use_threads=False).aggregate(
            [("rows", "sum"), ("distinct_rows", "sum"), ("eids", "sum")]
        )
        rows = grouped.column("rows_sum").to_numpy()
        distinct = grouped.column("distinct_rows_sum").to_numpy()
        merged = pa.table(
            {
                **{k: grouped.column(k) for k in (*LANE, "bucket")},
                "rows": grouped.column("rows_sum"),
                "distinct_rows": grouped.column("distinct_rows_sum"),
                "eids": grouped.column("eids_sum"),
                "factor": rows / np.maximum(distinct, 1),
            }
        )
        self.factors = sort_factors(merged.cast(FACTORS))
        return int(late.num_rows)

    def _add_markers(self, status: pa.Table | None) -> bool:
        if status is None or not status.num_rows:
            return False
        marker = status.column("marker").cast(pa.string())
        linked = status.filter(pc.fill_null(pc.is_in(marker, pa.array(LINKED_MARKERS)), False))
        if not linked.num_rows:
            return False
        rows = pa.table({c: linked.column(c).cast(MARKERS.field(c).type) for c in MARKER_COLUMNS})
        # One chunk, not one per batch: hours of batches would otherwise pile up empty chunks.
        self.markers = pa.concat_tables([self.markers, rows]).combine_chunks()
        return True

    def _redetect(self, touched: pa.Array | None) -> int:
        """Bursts again on the ``touched`` lanes (None: every lane) over their whole history."""
        if touched is not None and not len(touched):
            return 0
        if touched is None:
            factors, kept = self.factors, BURSTS.empty_table()
        else:
            factors = self.factors.filter(pc.is_in(lane_keys(self.factors), touched))
            kept = self.bursts.filter(pc.invert(pc.is_in(lane_keys(self.bursts), touched)))
        fresh = duplicate_bursts(factors, self.markers, self.options)
        # One chunk, not one more per batch (a followed run makes a batch every fraction of a
        # second: hours of them as chunks grow memory and every later filter's time).
        self.bursts = pa.concat_tables([kept, fresh.cast(BURSTS)]).combine_chunks()
        return len(pc.unique(lane_keys(factors))) if factors.num_rows else 0

    # -- time -----------------------------------------------------------------------------------
    def open_from_us(self, now_us: int | None = None) -> int | None:
        """Start of the first bucket still open: rows may yet arrive for it (None: no data).

        Buckets within the lateness margin of the newest event are open; once the wall clock
        (``now_us``) is past the newest event by the margin, every bucket is closed."""
        if self.newest_us is None:
            return None
        if now_us is not None and now_us - self.newest_us > self.lateness_us:
            return self.newest_us + self.width_us
        edge = self.newest_us - self.lateness_us
        return (edge // self.width_us) * self.width_us

    def provisional(self, now_us: int | None = None) -> np.ndarray:
        """Per burst (in ``self.bursts`` order): does it reach into an open bucket?"""
        edge = self.open_from_us(now_us)
        if edge is None or not self.bursts.num_rows:
            return np.zeros(self.bursts.num_rows, dtype=bool)
        ends = np.asarray(self.bursts.column("end").cast(pa.int64()).to_numpy())
        return np.asarray(ends > edge, dtype=bool)

    def forget_until(self, evicted_until_us: int) -> None:
        """The record window dropped rows up to this event time: their buckets are final now."""
        edge = (evicted_until_us // self.width_us) * self.width_us + self.width_us
        self.complete_from_us = max(self.complete_from_us or edge, edge)
