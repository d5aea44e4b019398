"""Incremental factors and bursts equal a full re-analysis of the same rows, however the rows
were split into batches and in whatever order the batches came."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.duplicates import duplicate_bursts, duplication_factors
from inspector.demo.live_agent import event_line
from inspector.live.incremental import IncrementalDuplicates, sort_factors
from inspector.live.record_window import RecordWindow
from inspector.loading.pipeline import assemble
from inspector.model import LoadOptions, SourceReport
from inspector.readers.json_lines.reader import read_json_lines

T0 = 1_700_000_000


def records_of(lines: list[str]) -> pa.Table:
    data = ("\n".join(lines) + "\n").encode()
    result = read_json_lines("sim.log", "sim.log", data=data)
    source = SourceReport("sim.log", result.kind, "loaded")
    return assemble([source], [(source, result)], LoadOptions(tz="UTC")).records


def agent_lines(draw_plan: list[tuple[int, int, int]], seed: int) -> list[str]:
    """Events of two queries over ~20 minutes; plan entries (start, length, copies) double them."""
    rng = np.random.default_rng(seed)
    lines = []
    for n in range(1200):
        t = T0 + n + int(rng.integers(0, 3))
        name = "process_events" if n % 3 else "file_events"
        copies = 1 + sum(c for start, length, c in draw_plan if start <= n < start + length)
        for c in range(copies):
            line = event_line(n, t, copy=c)
            lines.append(line if name == "process_events" else line.replace("process_events", name))
    return lines


def canonical(table: pa.Table, keys: list[str]) -> list[dict]:
    return sorted(table.select(keys).to_pylist(), key=lambda r: [str(r[k]) for k in keys])


FACTOR_KEYS = [
    "host",
    "publisher",
    "subscriber",
    "stream",
    "bucket",
    "rows",
    "distinct_rows",
    "eids",
]
BURST_KEYS = ["host", "subscriber", "stream", "start", "end", "rows", "extra_rows",
              "duplicate_factor", "baseline_factor", "signature", "open_start"]  # fmt: skip


def incremental(records: pa.Table, cuts: list[int], order: list[int], options: BurstOptions,
                limit_bytes: int = 1 << 40) -> IncrementalDuplicates:  # fmt: skip
    window = RecordWindow(limit_bytes)
    analysis = IncrementalDuplicates(window.since, options)
    bounds = [0, *sorted(set(cuts)), records.num_rows]
    batches = [records.slice(a, b - a) for a, b in itertools.pairwise(bounds) if b > a]
    for i in order:
        if i < len(batches):
            window.add(batches[i])
            analysis.add(batches[i])
            evicted = window.evict()
            if evicted is not None:
                analysis.forget_until(evicted)
    for i, batch in enumerate(batches):  # batches the order did not name come last
        if i not in order:
            window.add(batch)
            analysis.add(batch)
    return analysis


PLANS = st.lists(
    st.tuples(st.integers(0, 1100), st.integers(5, 400), st.integers(1, 2)), max_size=3
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    plan=PLANS,
    seed=st.integers(0, 1000),
    cuts=st.lists(st.integers(1, 3000), max_size=12),
    order=st.permutations(list(range(13))),
    bucket=st.sampled_from([10, 30, 60]),
)
def test_incremental_equals_a_full_reanalysis(plan, seed, cuts, order, bucket):
    records = records_of(agent_lines(plan, seed))
    cuts = [c for c in cuts if c < records.num_rows]
    options = BurstOptions(bucket_seconds=bucket)
    got = incremental(records, cuts, list(order), options)
    full_factors = duplication_factors(records, bucket)
    assert canonical(got.factors, FACTOR_KEYS) == canonical(full_factors, FACTOR_KEYS)
    full_bursts = duplicate_bursts(full_factors, None, options)
    assert canonical(got.bursts, BURST_KEYS) == canonical(full_bursts, BURST_KEYS)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=PLANS, seed=st.integers(0, 1000), cuts=st.lists(st.integers(1, 3000), max_size=12))
def test_a_bounded_window_in_time_order_still_equals_the_full_analysis(plan, seed, cuts):
    records = records_of(agent_lines(plan, seed))
    cuts = [c for c in cuts if c < records.num_rows]
    options = BurstOptions(bucket_seconds=30)
    got = incremental(records, cuts, list(range(13)), options, limit_bytes=200_000)
    full_factors = duplication_factors(records, 30)
    assert canonical(got.factors, FACTOR_KEYS) == canonical(full_factors, FACTOR_KEYS)
    full_bursts = duplicate_bursts(full_factors, None, options)
    assert canonical(got.bursts, BURST_KEYS) == canonical(full_bursts, BURST_KEYS)


def test_a_burst_reaching_the_open_buckets_is_provisional():
    plan = [(1100, 100, 1)]  # doubled until the end: still going
    records = records_of(agent_lines(plan, 0))
    got = incremental(records, [], [0], BurstOptions(bucket_seconds=60))
    assert got.bursts.num_rows == 2  # both queries' lanes
    newest = got.newest_us
    assert got.provisional(newest).tolist() == [True, True]
    assert got.provisional(newest + 10 * 60 * 1_000_000).tolist() == [False, False]  # quiet since


def test_factors_stay_in_lane_then_time_order():
    records = records_of(agent_lines([(100, 200, 1)], 1))
    got = incremental(records, [500, 900], [2, 0, 1], BurstOptions(bucket_seconds=60))
    assert got.factors.equals(sort_factors(got.factors))
