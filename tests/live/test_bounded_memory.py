"""Hours of following must not grow memory with the number of batches: the record window joins
small batches into blocks, the analysis keeps one chunk per table, and rejected lines are
listed up to a cap while their count stays exact."""

from __future__ import annotations

import itertools

import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.duplicates import duplicate_bursts, duplication_factors
from inspector.demo.live_agent import RotatingLog, event_line
from inspector.live import live_run, record_window
from inspector.live.live_run import LiveRun
from inspector.live.record_window import SMALL_BATCHES_JOINED, RecordWindow
from inspector.model import LoadOptions
from tests.live.test_incremental import (
    BURST_KEYS,
    FACTOR_KEYS,
    T0,
    agent_lines,
    canonical,
    incremental,
    records_of,
)


def _plain(table: pa.Table) -> list[dict]:
    return table.to_pylist()  # dictionary columns read as their values


def test_small_batches_are_joined_and_keep_their_rows_and_order():
    records = records_of(agent_lines([(200, 300, 1)], 3))
    window = RecordWindow(1 << 40)
    pieces = [records.slice(i, 7) for i in range(0, records.num_rows, 7)]
    for piece in pieces:
        window.add(piece)
        assert len(window.batches) < SMALL_BATCHES_JOINED  # never a pile of small tables
    assert len(pieces) > 10 * SMALL_BATCHES_JOINED
    assert _plain(window.table()) == _plain(records)
    start = int(pc.min(records.column("event_time").cast(pa.int64())).as_py()) + 600_000_000
    since = window.since(start)
    times = records.column("event_time").cast(pa.int64())
    assert _plain(since) == _plain(records.filter(pc.greater_equal(times, start)))


def test_a_block_that_reached_its_size_is_left_alone(monkeypatch):
    monkeypatch.setattr(record_window, "BLOCK_BYTES", 20_000)
    records = records_of(agent_lines([], 4))
    window = RecordWindow(1 << 40)
    for i in range(0, records.num_rows, 5):
        window.add(records.slice(i, 5))
    full = [b for b in window.batches if b.table.nbytes >= 20_000]
    assert len(full) >= 3  # several blocks, not one table re-joined over and over
    assert _plain(window.table()) == _plain(records)
    for b in window.batches:
        t = b.table.column("event_time").cast(pa.int64())
        assert (b.lo_us, b.hi_us) == (pc.min(t).as_py(), pc.max(t).as_py())


def test_hundreds_of_small_batches_still_equal_the_full_analysis():
    records = records_of(agent_lines([(300, 200, 1), (800, 100, 2)], 5))
    cuts = list(range(9, records.num_rows, 9))
    options = BurstOptions(bucket_seconds=30)
    order = list(range(len(cuts) + 1))
    got = incremental(records, cuts, order, options, limit_bytes=150_000)
    full = duplication_factors(records, 30)
    assert canonical(got.factors, FACTOR_KEYS) == canonical(full, FACTOR_KEYS)
    bursts = duplicate_bursts(full, None, options)
    assert bursts.num_rows
    assert canonical(got.bursts, BURST_KEYS) == canonical(bursts, BURST_KEYS)
    assert got.bursts.column(0).num_chunks <= 1  # not a chunk per batch


def test_rejected_lines_are_listed_up_to_a_cap_and_counted_exactly(tmp_path, monkeypatch):
    monkeypatch.setattr(live_run, "BAD_LINES_KEPT", 5)
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"))
    run = LiveRun([str(tmp_path)], LoadOptions(tz="UTC"))
    notes: list[str] = []
    try:
        for step in range(4):
            good = [event_line(n, T0 + n) for n in range(step * 10, step * 10 + 10)]
            bad = [f"not json {step} {k}" for k in range(3)]
            log.write(
                list(itertools.chain.from_iterable(zip(good[:3], bad, strict=True))) + good[3:]
            )
            notes += run.step().notes
        assert run.counts.lines == 52 and run.counts.records == 40
        assert run.counts.rejected == 12  # every rejected line counted
        assert len(run.bad_lines) == 5  # listed up to the cap
        assert sum(live_run.BAD_LINES_CAPPED.format(kept=5) == n for n in notes) == 1
    finally:
        run.close()


def test_status_batches_are_held_in_few_chunks(tmp_path, monkeypatch):
    monkeypatch.setattr(live_run, "CHUNKS_BEFORE_COMPACTING", 4)
    status = tmp_path / "osqueryd.INFO"
    run = LiveRun([str(tmp_path)], LoadOptions(tz="UTC"))
    try:
        for k in range(12):
            with open(status, "a") as f:
                f.write(f"I1122 10:00:{k:02d}.000000  1234 events.cpp:123] Event publisher "
                        f"inotify run loop {k}\n")  # fmt: skip
            run.step()
        assert run.status.num_rows == 12
        assert run.status.column(0).num_chunks <= 5
        assert run.status.column("message").to_pylist()[-1].endswith("run loop 11")
    finally:
        run.close()
