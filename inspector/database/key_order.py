"""How well key order follows event time (range scans by time depend on it).

osquery's event keys are ``data.<publisher>.<subscriber>.<eid10>``: within a subscriber, key order
is eid order. A time range can be read as one key range only where eid order is time order. Per
subscriber, over its rows in key order:

- ``adjacent_decreasing``: the share of neighbouring key pairs whose time goes backwards;
- ``inversions``: pairs (i < j) in key order with time_i > time_j (equal times are no inversion),
  and ``inversion_fraction`` = inversions ÷ (n (n − 1) / 2): Kendall's distance between key order
  and time order, 0 when keys are in time order, 1 when exactly reversed;
- ``late_events``: events older than an event before them in key order (behind the time frontier),
  and ``max_lag_seconds``: how far behind the furthest one is.
"""

from __future__ import annotations

import numpy as np

KEY_ORDER_FIELDS = (
    "adjacent_decreasing", "inversions", "inversion_fraction", "late_events", "max_lag_seconds",
)  # fmt: skip


def inversions(values: np.ndarray) -> int:
    """Pairs i < j with ``values[i] > values[j]``, counted exactly in O(n log n).

    A bottom-up merge sort, vectorised: at each level a stable argsort of (block, value) merges
    pairs of sorted runs (timsort merges two runs in linear time), and each right-run element
    adds the left-run elements merged after it. Equal values keep their order: no inversion.
    """
    v = np.asarray(values)
    n = len(v)
    if n < 2 or bool(np.all(v[1:] >= v[:-1])):
        return 0
    # Dense ranks keep (block, value) inside one int64 key whatever the values are.
    _, ranks = np.unique(v, return_inverse=True)
    current = ranks.astype(np.int64).reshape(-1)
    m = int(current.max()) + 1
    position = np.arange(n, dtype=np.int64)
    total = 0
    width = 1
    while width < n:
        block_start = (position // (2 * width)) * (2 * width)
        order = np.argsort((position // (2 * width)) * m + current, kind="stable")
        merged_at = np.empty(n, dtype=np.int64)  # each element's place in its merged block
        merged_at[order] = position - block_start
        right = np.flatnonzero(position - block_start >= width)
        left_before = merged_at[right] - (right - block_start[right] - width)
        left_size = np.minimum(width, n - block_start[right])
        total += int(np.sum(left_size - left_before))
        current = current[order]
        width *= 2
    return total


def key_order_health(times: np.ndarray) -> dict[str, float | int | None]:
    """The measures above for one subscriber's times in key order (null times left out)."""
    t = np.asarray(times, dtype=np.float64)
    t = t[~np.isnan(t)].astype(np.int64)
    n = len(t)
    if n < 2:
        return {"adjacent_decreasing": 0.0 if n else None, "inversions": 0,
                "inversion_fraction": 0.0 if n else None, "late_events": 0, "max_lag_seconds": 0}  # fmt: skip
    frontier = np.maximum.accumulate(t)
    lag = frontier - t
    count = inversions(t)
    return {
        "adjacent_decreasing": float(np.count_nonzero(t[1:] < t[:-1]) / (n - 1)),
        "inversions": count,
        "inversion_fraction": float(count / (n * (n - 1) / 2)),
        "late_events": int(np.count_nonzero(lag > 0)),
        "max_lag_seconds": int(lag.max()),
    }


def length_distribution(lengths: np.ndarray) -> dict[str, object]:
    """Key lengths of a family: min, median, p90, p99, max, mean and every length's count."""
    if not len(lengths):
        return {"min": None, "median": None, "p90": None, "p99": None, "max": None, "mean": None,
                "histogram": []}  # fmt: skip
    values, counts = np.unique(lengths, return_counts=True)
    p50, p90, p99 = np.percentile(lengths, [50, 90, 99], method="lower")
    return {
        "min": int(values[0]),
        "median": int(p50),
        "p90": int(p90),
        "p99": int(p99),
        "max": int(values[-1]),
        "mean": float(lengths.mean()),
        "histogram": [[int(v), int(c)] for v, c in zip(values, counts, strict=True)],
    }
