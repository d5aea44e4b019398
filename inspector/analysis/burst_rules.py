"""The rules that turn one lane's duplication factors into bursts, as small pure functions.

Per bucket: ``rows`` delivered, ``distinct`` contents, factor = rows ÷ distinct. A lane's
baseline is a low quantile of its factors (a subscriber delivers each event once; a long
duplicated stretch must not pass for normal). A bucket is elevated when its factor rises clearly
above the baseline and it holds a repeated row. A burst grows from an elevated bucket while the
next elevated buckets stay within ``new_burst_change`` of its running level, across at most
``max_gap_buckets`` buckets without duplication; it counts only if it holds enough extra rows
and its own level is still clearly above the baseline (scattered legitimate twins never do).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BurstOptions:
    """How clearly a factor must rise to count, and how far a marker may lie before a burst."""

    bucket_seconds: int = 60
    min_rise: float = 0.15  # above the lane's baseline factor (20 % of events twice: 1.2)
    min_extra_rows: int = 10  # per burst: a few legitimate twins never make one
    new_burst_change: float = 0.5  # a factor change this large starts a new burst
    max_gap_buckets: int = 2  # this many buckets with events but no duplicates end a burst
    marker_window_buckets: int = 5  # how far before a burst its cause may lie


def lane_baseline(factor: np.ndarray, options: BurstOptions) -> float:
    """The lane's normal factor: its 10th percentile, capped at 1 + min_rise / 2."""
    low = float(np.quantile(factor, 0.1)) if len(factor) else 1.0
    return min(low, 1.0 + options.min_rise / 2)


def elevated_buckets(
    rows: np.ndarray, distinct: np.ndarray, baseline: float, options: BurstOptions
) -> np.ndarray:
    """Per bucket: its factor is clearly above the baseline and a row repeats in it."""
    factor = rows / np.maximum(distinct, 1)
    elevated: np.ndarray = (factor >= baseline + options.min_rise) & (rows - distinct >= 1)
    return elevated


@dataclass(frozen=True)
class Stretch:
    """A candidate burst: first and last bucket index, its rows and distinct contents."""

    start: int
    last: int
    rows: int
    distinct: int

    @property
    def factor(self) -> float:
        return self.rows / max(self.distinct, 1)

    @property
    def extra(self) -> int:
        return self.rows - self.distinct


def grow(
    start: int,
    factor: np.ndarray,
    elevated: np.ndarray,
    cum_rows: np.ndarray,
    cum_distinct: np.ndarray,
    options: BurstOptions,
) -> Stretch:
    """The stretch a burst starting at ``start`` covers (running sums give any level in O(1))."""
    level = factor[start]
    last, misses = start, 0
    for nxt in range(start + 1, len(factor)):
        if not elevated[nxt]:
            misses += 1
            if misses > options.max_gap_buckets:
                break
            continue
        if abs(factor[nxt] - level) >= options.new_burst_change:
            break
        misses = 0
        last = nxt
        level = (cum_rows[nxt + 1] - cum_rows[start]) / max(
            cum_distinct[nxt + 1] - cum_distinct[start], 1
        )
    rows = int(cum_rows[last + 1] - cum_rows[start])
    distinct = int(cum_distinct[last + 1] - cum_distinct[start])
    return Stretch(start, last, rows, distinct)


def is_burst(stretch: Stretch, baseline: float, options: BurstOptions) -> bool:
    """Enough extra rows, and a level clearly above the baseline over the whole stretch."""
    return stretch.extra >= options.min_extra_rows and stretch.factor >= baseline + options.min_rise


def signature(eid_counts: np.ndarray, rows: int) -> str:
    """How the copies differ: the same content under different eids (double delivery or a
    double subscription), the same eid seen again (re-delivery), or no eid selected."""
    known = eid_counts[~np.isnan(eid_counts)]
    if not len(known):
        return "same_content"
    if known.sum() < rows:
        return "same_eid_repeated"
    return "same_content_different_eid"


def stretches(
    rows: np.ndarray, distinct: np.ndarray, options: BurstOptions
) -> tuple[list[Stretch], float]:
    """Every burst of one lane (bucket order), and the lane's baseline."""
    factor = rows / np.maximum(distinct, 1)
    baseline = lane_baseline(factor, options)
    elevated = elevated_buckets(rows, distinct, baseline, options)
    cum_rows = np.r_[0, np.cumsum(rows)]
    cum_distinct = np.r_[0, np.cumsum(distinct)]
    out: list[Stretch] = []
    free = 0  # the first bucket no stretch covers yet
    for start in np.flatnonzero(elevated).tolist():
        if start < free:
            continue
        stretch = grow(start, factor, elevated, cum_rows, cum_distinct, options)
        if is_burst(stretch, baseline, options):
            out.append(stretch)
        free = stretch.last + 1
    return out, baseline
