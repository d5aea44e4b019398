"""The burst rules on lanes that are not perfect 2× steps: partial duplication, noisy and sparse
lanes, legitimate twins (product.md, "Duplicate semantics")."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from inspector.analysis.burst_rules import BurstOptions, stretches
from inspector.analysis.duplicates import duplicate_bursts

OPTIONS = BurstOptions()


def lane(distinct: np.ndarray, copies: np.ndarray) -> pa.Table:
    """A factors table of one lane: ``distinct`` events per bucket, ``copies`` extra rows."""
    n = len(distinct)
    rows = distinct + copies
    return pa.table({
        "host": ["h"] * n, "publisher": ["openbsm"] * n, "subscriber": ["process_events"] * n,
        "stream": ["results"] * n,
        "bucket": pa.array(np.arange(n, dtype=np.int64) * 60_000_000).cast(pa.timestamp("us", tz="UTC")),
        "rows": pa.array(rows, pa.int64()), "distinct_rows": pa.array(distinct, pa.int64()),
        "eids": pa.array(rows, pa.int64()),
    })  # fmt: skip


@pytest.mark.parametrize("share", [0.2, 0.3, 0.5])
def test_partial_duplication_is_a_burst_at_its_own_level(share) -> None:
    rng = np.random.default_rng(7)
    distinct = rng.poisson(200, 120)
    copies = np.zeros(120, dtype=np.int64)
    copies[40:80] = rng.binomial(distinct[40:80], share)  # share of events delivered twice
    bursts = duplicate_bursts(lane(distinct, copies)).to_pylist()
    assert len(bursts) == 1
    (b,) = bursts
    assert abs(b["duplicate_factor"] - (1 + share)) < 0.05
    assert b["extra_rows"] == int(copies[40:80].sum())
    assert b["start"].timestamp() == 40 * 60 and b["end"].timestamp() == 80 * 60
    assert b["signature"] == "same_content_different_eid"


def test_legitimate_twins_on_a_noisy_lane_make_no_burst() -> None:
    """1 % of events written twice in one second, on a lane whose volume swings 20×."""
    rng = np.random.default_rng(11)
    distinct = rng.poisson(rng.choice([10, 200], 300))
    copies = rng.binomial(distinct, 0.01)
    assert duplicate_bursts(lane(distinct, copies)).num_rows == 0


def test_a_sparse_lane_with_scattered_twins_makes_no_burst() -> None:
    """Two or three events a bucket, an occasional identical pair: factors of 1.5 or 2 in single
    buckets, never enough extra rows together."""
    rng = np.random.default_rng(3)
    distinct = rng.integers(0, 4, 400)
    copies = np.where((rng.random(400) < 0.03) & (distinct > 0), 1, 0)
    assert duplicate_bursts(lane(distinct, copies)).num_rows == 0


def test_a_sparse_lane_that_doubles_is_a_burst() -> None:
    rng = np.random.default_rng(5)
    distinct = rng.integers(1, 4, 200)
    copies = np.zeros(200, dtype=np.int64)
    copies[100:] = distinct[100:]  # every event twice from bucket 100
    (b,) = duplicate_bursts(lane(distinct, copies)).to_pylist()
    assert b["duplicate_factor"] == 2.0 and b["start"].timestamp() == 100 * 60


def test_a_factor_change_of_half_starts_a_new_burst() -> None:
    distinct = np.full(90, 100)
    copies = np.r_[np.zeros(30), np.full(30, 100), np.full(30, 200)].astype(np.int64)
    found, baseline = stretches(distinct + copies, distinct, OPTIONS)
    assert baseline == pytest.approx(1.0)
    assert [(s.start, s.last, round(s.factor, 2)) for s in found] == [(30, 59, 2.0), (60, 89, 3.0)]


def test_gaps_of_up_to_two_quiet_buckets_stay_in_one_burst() -> None:
    distinct = np.full(40, 50)
    copies = np.zeros(40, dtype=np.int64)
    copies[10:30] = 50
    copies[[18, 19]] = 0  # two buckets without duplicates inside the stretch
    found, _ = stretches(distinct + copies, distinct, OPTIONS)
    assert [(s.start, s.last) for s in found] == [(10, 29)]
    copies[[18, 19, 20]] = 0  # three: two bursts
    found, _ = stretches(distinct + copies, distinct, OPTIONS)
    assert [(s.start, s.last) for s in found] == [(10, 17), (21, 29)]
