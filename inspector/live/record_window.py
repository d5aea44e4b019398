"""The records of a followed run kept in memory: the newest ones up to a byte limit, and per-lane
counts (10-second buckets) for the rows let go, so that hours of following stay in bounded memory
while the rate lanes still cover the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.binning import RATES, Binner, event_times, zero_filled
from inspector.schema import LOADED_RECORDS

AGGREGATE_US = 10 * 1_000_000  # rows let go are counted in buckets this wide
RATE_LANE = ("host", "publisher", "subscriber", "query", "stream")
DEFAULT_LIMIT_BYTES = 512 * 1024 * 1024
KEEP_SHARE = 0.8  # evicting frees down to this share of the limit (not one batch at a time)
# A followed log makes a batch every fraction of a second, each a table of its own (tens of
# columns, each with its own buffers and dictionaries): hours of them would cost several times
# their rows' bytes and make every ``since`` join thousands of tables. The newest small batches
# are joined into blocks of about this size once there are ``SMALL_BATCHES_JOINED`` of them.
BLOCK_BYTES = 4 * 1024 * 1024
SMALL_BATCHES_JOINED = 16


@dataclass
class Batch:
    table: pa.Table
    lo_us: int | None  # its earliest and latest event time
    hi_us: int | None


class RecordWindow:
    """Records in arrival batches, the oldest event times let go past ``limit_bytes``."""

    def __init__(self, limit_bytes: int = DEFAULT_LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self.batches: list[Batch] = []
        self.evicted_rates = RATES.empty_table()  # at AGGREGATE_US, lanes of the rows let go
        self.evicted_rows = 0
        self.evicted_until_us: int | None = None  # the latest event time let go
        self._table: pa.Table | None = None

    @property
    def nbytes(self) -> int:
        return sum(b.table.nbytes for b in self.batches)

    @property
    def rows(self) -> int:
        return sum(b.table.num_rows for b in self.batches)

    def add(self, records: pa.Table) -> None:
        if not records.num_rows:
            return
        times = event_times(records)
        lo, hi = pc.min(times).as_py(), pc.max(times).as_py()
        self.batches.append(Batch(records, lo, hi))
        self._join_small_batches()
        self._table = None

    def _join_small_batches(self) -> None:
        """Join the trailing batches smaller than ``BLOCK_BYTES`` into one, once there are
        ``SMALL_BATCHES_JOINED`` of them (a block that reached the size is left as it is)."""
        small = 0
        for b in reversed(self.batches):
            if b.table.nbytes >= BLOCK_BYTES:
                break
            small += 1
        if small < SMALL_BATCHES_JOINED:
            return
        tail = self.batches[-small:]
        table = pa.concat_tables([b.table for b in tail]).unify_dictionaries().combine_chunks()
        los = [b.lo_us for b in tail if b.lo_us is not None]
        his = [b.hi_us for b in tail if b.hi_us is not None]
        joined = Batch(table, min(los) if los else None, max(his) if his else None)
        self.batches[-small:] = [joined]

    def table(self) -> pa.Table:
        """Every record held, in arrival order."""
        if self._table is None:
            parts = [b.table for b in self.batches]
            self._table = (
                pa.concat_tables(parts).unify_dictionaries()
                if parts
                else LOADED_RECORDS.empty_table()
            )
        return self._table

    def since(self, start_us: int) -> pa.Table:
        """Records with an event time at or after ``start_us``."""
        parts = []
        for b in self.batches:
            if b.hi_us is None or b.hi_us < start_us:
                continue
            if b.lo_us is not None and b.lo_us >= start_us:
                parts.append(b.table)
            else:
                parts.append(b.table.filter(pc.greater_equal(event_times(b.table), start_us)))
        if not parts:
            return LOADED_RECORDS.empty_table()
        return pa.concat_tables(parts).unify_dictionaries()

    def evict(self) -> int | None:
        """Past the limit, let the oldest event times go (down to ``KEEP_SHARE`` of it); return
        the latest event time let go, or None when nothing was."""
        total = self.nbytes
        if total <= self.limit_bytes:
            return None
        target = self.limit_bytes * KEEP_SHARE
        times = np.concatenate(
            [np.asarray(pc.fill_null(event_times(b.table), 0)) for b in self.batches]
        )
        sizes = np.concatenate(
            [
                np.full(b.table.num_rows, b.table.nbytes / max(b.table.num_rows, 1))
                for b in self.batches
            ]
        )
        order = np.argsort(times, kind="stable")
        freed = np.cumsum(sizes[order])
        k = int(np.searchsorted(freed, total - target)) + 1
        cutoff = int(times[order[min(k, len(order)) - 1]])  # let go every row at or before this
        kept: list[Batch] = []
        gone: list[pa.Table] = []
        for b in self.batches:
            t = pc.fill_null(event_times(b.table), 0)
            old = pc.less_equal(t, cutoff)
            if b.hi_us is not None and b.hi_us <= cutoff:
                gone.append(b.table)
                continue
            if b.lo_us is not None and b.lo_us > cutoff:
                kept.append(b)
                continue
            gone.append(b.table.filter(old))
            rest = b.table.filter(pc.invert(old))
            if rest.num_rows:
                times_rest = event_times(rest)
                kept.append(Batch(rest, pc.min(times_rest).as_py(), pc.max(times_rest).as_py()))
        self.batches = kept
        self._table = None
        self._count_gone(gone)
        self.evicted_until_us = max(self.evicted_until_us or cutoff, cutoff)
        return self.evicted_until_us

    def _count_gone(self, gone: list[pa.Table]) -> None:
        tables = [t for t in gone if t.num_rows]
        if not tables:
            return
        table = pa.concat_tables(tables).unify_dictionaries()
        self.evicted_rows += table.num_rows
        counted = Binner(table, duplicates=False).rates(AGGREGATE_US)
        self.evicted_rates = _summed(pa.concat_tables([self.evicted_rates, counted.cast(RATES)]))


def _summed(rates: pa.Table, width_us: int | None = None) -> pa.Table:
    """Rows per (lane, bucket), buckets floored to ``width_us`` if given; zero rows dropped."""
    if not rates.num_rows:
        return RATES.empty_table()
    if width_us is not None:
        bucket = rates.column("bucket").cast(pa.int64())
        floored = pc.multiply(pc.divide(bucket, width_us), width_us).cast(
            RATES.field("bucket").type
        )
        rates = rates.set_column(rates.schema.get_field_index("bucket"), "bucket", floored)
    grouped = rates.group_by([*RATE_LANE, "bucket"], use_threads=False).aggregate([("rows", "sum")])
    grouped = grouped.rename_columns([*RATE_LANE, "bucket", "rows"])
    grouped = grouped.filter(pc.greater(grouped.column("rows"), 0))
    return grouped.select(RATES.names).cast(RATES)


class LiveBinner:
    """A ``Binner`` over a record window plus the counts of the rows it let go: the timeline
    re-bins it like any run (rates over the whole run; factors from the rows still held)."""

    def __init__(self, window: RecordWindow) -> None:
        self.records = window.table()
        self.duplicates = True
        self._binner = Binner(self.records)
        self._evicted = window.evicted_rates

    def rates(self, width_us: int, lo_us: int | None = None, hi_us: int | None = None) -> pa.Table:
        held = self._binner.rates(width_us, lo_us, hi_us) if self.records.num_rows else None
        evicted = self._evicted
        if not evicted.num_rows or width_us % AGGREGATE_US:
            return held if held is not None else RATES.empty_table()
        bucket = evicted.column("bucket").cast(pa.int64())
        keep = pc.and_(
            pc.greater_equal(bucket, lo_us if lo_us is not None else np.iinfo(np.int64).min),
            pc.less(bucket, hi_us if hi_us is not None else np.iinfo(np.int64).max),
        )
        parts = [evicted.filter(keep)] + ([held] if held is not None else [])
        return _zero_filled(_summed(pa.concat_tables(parts), width_us), width_us)

    def factors(
        self, width_us: int, lo_us: int | None = None, hi_us: int | None = None
    ) -> pa.Table:
        return self._binner.factors(width_us, lo_us, hi_us)

    def span_us(self) -> tuple[int, int] | None:
        spans: list[tuple[int, int] | None] = (
            [self._binner.span_us()] if self.records.num_rows else []
        )
        if self._evicted.num_rows:
            b = self._evicted.column("bucket").cast(pa.int64())
            spans.append((pc.min(b).as_py(), pc.max(b).as_py() + AGGREGATE_US - 1))
        known = [s for s in spans if s is not None]
        if not known:
            return None
        return (min(s[0] for s in known), max(s[1] for s in known))


def _zero_filled(rates: pa.Table, width_us: int) -> pa.Table:
    """Every bucket of each lane from its first to its last (as ``Binner.rates`` gives them)."""
    if not rates.num_rows:
        return rates
    parts = [pc.fill_null(rates.column(k).cast(pa.string()), "\x00") for k in RATE_LANE]
    key = pc.binary_join_element_wise(*parts, "\x1f")
    codes = pc.dictionary_encode(key).combine_chunks()
    lane = codes.indices.to_numpy().astype(np.int64)
    which, buckets, counts = zero_filled(
        lane, rates.column("bucket").cast(pa.int64()).to_numpy(), rates.column("rows").to_numpy(),
        width_us,
    )  # fmt: skip
    _, first_row = np.unique(lane, return_index=True)  # a row of each lane (codes 0…n-1)
    take = pa.array(first_row[which])
    table = pa.table(
        {**{k: rates.column(k).take(take) for k in RATE_LANE},
         "bucket": pa.array(buckets, RATES.field("bucket").type), "rows": counts}
    )  # fmt: skip
    order = table.sort_by([(k, "ascending") for k in (*RATE_LANE, "bucket")])
    return order.cast(RATES)
