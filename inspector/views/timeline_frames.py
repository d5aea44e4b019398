"""What the timeline draws, as plain arrays: lanes of counts, factor lanes, markers, bursts.

Qt-free so that the GUI's worker thread (and tests) can build a frame: the GUI only turns arrays
into curves. Bucket widths come from a ladder of round sizes so the axis reads naturally.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.binning import Binner

SECOND = 1_000_000
WIDTHS_US = [
    s * SECOND
    for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
              43200, 86400)
]  # fmt: skip
FACTOR_WIDTH_US = 60 * SECOND  # duplication factors are computed once at this width
# Status-log markers drawn across the lanes: what changes the event pipeline.
MARKER_KINDS = (
    "config_change", "worker_restart", "worker_start", "agent_start", "agent_stop",
    "publisher_started", "publisher_stopped", "publisher_disabled", "database_error",
)  # fmt: skip


def nice_width(span_us: float, target_buckets: int = 600) -> int:
    """The smallest round bucket width that shows ``span_us`` in at most ``target_buckets``."""
    for width in WIDTHS_US:
        if span_us / width <= target_buckets:
            return width
    return WIDTHS_US[-1]


def width_label(width_us: int) -> str:
    """``1 s``, ``5 min``, ``2 h``, ``1 day``."""
    s = width_us // SECOND
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h"
    return f"{s // 86400} day"


@dataclass
class Lane:
    """One lane: its identity, its label, and bucket start times (s) with a value per bucket."""

    key: tuple  # (host, publisher, subscriber, query, stream)
    label: str
    starts: np.ndarray  # float seconds since the epoch
    values: np.ndarray

    @property
    def host(self) -> str | None:
        return self.key[0]

    @property
    def subscriber(self) -> str | None:
        return self.key[2]


@dataclass
class Frame:
    """Lanes at one bucket width over one time range, and their duplication-factor lanes."""

    width_us: int
    lo_us: int | None
    hi_us: int | None
    lanes: list[Lane]
    factor_lanes: list[Lane] = field(default_factory=list)


def lane_label(host, publisher, subscriber, query, stream) -> str:
    """``openbsm → process_events`` (plus `` · db`` for the database buffer), or the query."""
    name = f"{publisher} → {subscriber}" if subscriber and publisher else subscriber or query or "?"
    return name + (" · osquery.db" if stream == "database" else "")


def split_lanes(table: pa.Table, value: str, keys: tuple[str, ...]) -> list[Lane]:
    """Rows of a RATES/FACTORS-like table (ordered lane by lane, then time) as lanes."""
    if not table.num_rows:
        return []
    present = [k for k in keys if k in table.column_names]
    joined = pc.binary_join_element_wise(
        *[pc.fill_null(table.column(k).cast(pa.string()), "\x00") for k in present], "\x1f"
    )
    ids = pc.dictionary_encode(joined).combine_chunks().indices.to_numpy()
    cuts = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    starts = table.column("bucket").cast(pa.int64()).to_numpy() / SECOND
    values = table.column(value).to_numpy(zero_copy_only=False).astype(float)
    lanes = []
    bounds = [0, *cuts.tolist(), table.num_rows]
    for lo, hi in itertools.pairwise(bounds):
        named = {k: table.column(k)[lo].as_py() for k in present}
        key = tuple(named.get(k) for k in ("host", "publisher", "subscriber", "query", "stream"))
        lanes.append(Lane(key, lane_label(*key), starts[lo:hi], values[lo:hi]))
    return lanes


def rate_lanes(rates: pa.Table) -> list[Lane]:
    """Lanes of a RATES table (host, publisher, subscriber, query, stream)."""
    return split_lanes(rates, "rows", ("host", "publisher", "subscriber", "query", "stream"))


def factor_lanes(factors: pa.Table, width_us: int) -> list[Lane]:
    """Factor lanes at ``width_us``: per display bucket the highest factor of its finer buckets,
    so that a short doubled stretch never averages away when zoomed out (peak downsampling)."""
    out = []
    fine = split_lanes(factors, "factor", ("host", "publisher", "subscriber", "stream"))
    for lane in fine:
        host, publisher, subscriber, _, stream = lane.key
        key = (host, publisher, subscriber, None, stream)
        starts, values = lane.starts, lane.values
        width_s = width_us / SECOND
        if width_us > FACTOR_WIDTH_US and len(starts):
            slot = np.floor(starts / width_s).astype(np.int64)
            first = np.flatnonzero(np.r_[True, slot[1:] != slot[:-1]])
            values = np.maximum.reduceat(values, first)
            starts = slot[first] * width_s
        starts, values = _gridded(starts, values, width_s)
        out.append(Lane(key, "×factor " + lane_label(*key), starts, values))
    return out


def _gridded(starts: np.ndarray, values: np.ndarray, width_s: float) -> tuple:
    """Buckets without events have no factor: put them on a gapless grid as NaN (drawn as gaps)."""
    if len(starts) < 2:
        return starts, values
    slot = np.round((starts - starts[0]) / width_s).astype(np.int64)
    grid = np.full(int(slot[-1]) + 1, np.nan)
    grid[slot] = values
    return starts[0] + width_s * np.arange(len(grid)), grid


def build_frame(
    binner: Binner,
    width_us: int,
    factors_fine: pa.Table,
    lo_us: int | None = None,
    hi_us: int | None = None,
) -> Frame:
    """Rates at ``width_us`` over [lo, hi) and the factor lanes at that width: factors finer
    than the stored minute are counted afresh over the range, coarser ones come from it."""
    lanes = rate_lanes(binner.rates(width_us, lo_us, hi_us))
    if width_us < FACTOR_WIDTH_US:
        factors = factor_lanes(binner.factors(width_us, lo_us, hi_us), width_us)
    else:
        factors = factor_lanes(factors_fine, width_us)
    return Frame(width_us, lo_us, hi_us, lanes, factors)


def markers_table(status: pa.Table) -> list[dict]:
    """Markers the timeline draws: time (s), kind, host (None: every host), message."""
    if not status.num_rows:
        return []
    kinds = status.column("marker").cast(pa.string())
    keep = pc.is_in(kinds, pa.array(MARKER_KINDS))
    rows = status.filter(pc.fill_null(keep, False)).select(
        ["log_time", "marker", "host", "message"]
    )
    out = []
    for t, kind, host, message in zip(
        *(rows.column(c).to_pylist() for c in ("log_time", "marker", "host", "message")),
        strict=True,
    ):
        if t is not None:
            out.append({"t": t.timestamp(), "kind": kind, "host": host, "message": message})
    return out
