"""What the timeline draws, as plain arrays: lanes of counts, factor lanes, markers, bursts.

Qt-free so that the GUI's worker thread (and tests) can build a frame: the GUI only turns arrays
into curves. Bucket widths come from a ladder of round sizes so the axis reads naturally.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.binning import RateSource
from inspector.model.runs import RUN_SEPARATOR, lane_host, runs_of

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

    key: tuple[str | None, ...]  # (host, publisher, subscriber, query, stream)
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
    # Subscriptions per subscriber over time (from osquery_events rows), stream "subscriptions".
    subscription_lanes: list[Lane] = field(default_factory=list)


def lane_label(
    host: str | None,
    publisher: str | None,
    subscriber: str | None,
    query: str | None,
    stream: str | None,
) -> str:
    """``openbsm → process_events`` (plus `` · db`` for the database buffer), or the query."""
    name = f"{publisher} → {subscriber}" if subscriber and publisher else subscriber or query or "?"
    return name + (" · osquery.db" if stream == "database" else "")


def split_lanes(table: pa.Table, value: str, keys: tuple[str, ...]) -> list[Lane]:
    """Rows of a RATES/FACTORS-like table (ordered lane by lane, then time) as lanes."""
    if not table.num_rows:
        return []
    present = [k for k in (*keys, "run") if k in table.column_names]
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
        named["host"] = lane_host(named.get("host"), named.get("run"))  # a host's run, if several
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


def _gridded(
    starts: np.ndarray, values: np.ndarray, width_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Buckets without events have no factor: put them on a gapless grid as NaN (drawn as gaps)."""
    if len(starts) < 2:
        return starts, values
    slot = np.round((starts - starts[0]) / width_s).astype(np.int64)
    grid = np.full(int(slot[-1]) + 1, np.nan)
    grid[slot] = values
    return starts[0] + width_s * np.arange(len(grid)), grid


MIN_GAP_S = 300.0  # a host silent this long (and 3 buckets) had no data: a gap, not zeros


def with_gaps(lanes: list[Lane], width_s: float) -> list[Lane]:
    """Rate lanes on a gapless grid per host and stream: a bucket where the lane's host logged
    something (in that stream: results logs, or the database's buffer) but the lane nothing is
    0; a stretch where it logged nothing at all for at least ``MIN_GAP_S`` (and three buckets),
    or before the stream's first row, is NaN — drawn as a gap (agent down, logs missing, events
    expired from the database), not as a fall to zero. Shorter silences are zeros."""
    by_host: dict[object, list[Lane]] = {}
    for lane in lanes:
        by_host.setdefault((lane.host, lane.key[4]), []).append(lane)
    everything = [float(lane.starts[0]) for lane in lanes if len(lane.starts)]
    first = min(everything) if everything else 0.0
    out: dict[int, Lane] = {}
    min_slots = max(3, int(np.ceil(MIN_GAP_S / width_s)))
    for host_lanes in by_host.values():
        present = [lane for lane in host_lanes if len(lane.starts)]
        if not present:
            continue
        # The grid starts with the frame's first bucket: a stream that starts later (the
        # database keeps only its last events) has a gap before its first row.
        origin = first
        slots = [np.round((lane.starts - origin) / width_s).astype(np.int64) for lane in present]
        size = int(max(int(s[-1]) for s in slots)) + 1
        covered = np.zeros(size, bool)
        for s in slots:
            covered[s] = True
        hole = ~covered
        # Runs of empty slots at least min_slots long are gaps; shorter ones are zeros.
        edges = np.flatnonzero(np.diff(np.r_[0, hole.astype(np.int8), 0]))
        gap = np.zeros(size, bool)
        lead = int(min(int(s[0]) for s in slots))
        gap[:lead] = True  # before the stream's first row: no data
        for a, b in zip(edges[0::2], edges[1::2], strict=True):
            if b - a >= min_slots:
                gap[a:b] = True
        starts = origin + width_s * np.arange(size)
        for lane, s in zip(present, slots, strict=True):
            values = np.where(gap, np.nan, 0.0)
            values[s] = lane.values
            out[id(lane)] = Lane(lane.key, lane.label, starts, values)
    return [out.get(id(lane), lane) for lane in lanes]


HOLD_SAMPLES = 3  # a subscription count holds this many sampling intervals past its last row


def subscription_lanes(
    subscriptions: pa.Table | None, width_us: int, lo_us: int | None = None,
    hi_us: int | None = None,
) -> list[Lane]:  # fmt: skip
    """Per host and subscriber, the subscriptions in force over time (``osquery_events`` rows of
    type subscriber), on the frame's buckets: each bucket shows the count at its end, held until
    the next row (at most ``HOLD_SAMPLES`` sampling intervals; then a gap)."""
    if subscriptions is None or not subscriptions.num_rows:
        return []
    keep = pc.and_(
        pc.equal(subscriptions.column("type"), "subscriber"),
        pc.invert(pc.fill_null(pc.equal(subscriptions.column("action").cast(pa.string()),
                                        "removed"), False)),
    )  # fmt: skip
    rows = subscriptions.filter(pc.fill_null(keep, False))
    rows = rows.filter(pc.is_valid(rows.column("log_time")))
    if not rows.num_rows:
        return []
    hosts = rows.column("host").cast(pa.string())
    if runs_of(rows):  # a host's runs are lanes of their own (``mbp-01 · after``)
        hosts = pc.if_else(
            pc.is_valid(rows.column("run")),
            pc.binary_join_element_wise(hosts, rows.column("run").cast(pa.string()), RUN_SEPARATOR),
            hosts,
        )
    table = pa.table({
        "host": hosts, "publisher": rows.column("publisher"),
        "name": rows.column("name"), "t": rows.column("log_time").cast(pa.int64()),
        "n": rows.column("subscriptions"),
    }).sort_by([("host", "ascending"), ("publisher", "ascending"), ("name", "ascending"),
                ("t", "ascending")])  # fmt: skip
    width_s = width_us / SECOND
    out = []
    ids = pc.dictionary_encode(pc.binary_join_element_wise(
        *[pc.fill_null(table.column(k), "\x00") for k in ("host", "publisher", "name")], "\x1f"
    )).combine_chunks().indices.to_numpy()  # fmt: skip
    times = table.column("t").to_numpy() / SECOND
    counts = table.column("n").to_numpy(zero_copy_only=False).astype(float)
    bounds = [0, *(np.flatnonzero(ids[1:] != ids[:-1]) + 1).tolist(), table.num_rows]
    for a, b in itertools.pairwise(bounds):
        t, n = times[a:b], counts[a:b]
        step = float(np.median(np.diff(t))) if b - a > 1 else width_s
        first = np.floor(t[0] / width_s) * width_s
        last = t[-1] + HOLD_SAMPLES * max(step, width_s)
        if lo_us is not None:
            first = max(first, np.floor(lo_us / SECOND / width_s) * width_s)
        if hi_us is not None:
            last = min(last, hi_us / SECOND)
        starts = np.arange(first, last, width_s)
        if not len(starts):
            continue
        at = np.searchsorted(t, starts + width_s, side="right") - 1
        values = np.where(at >= 0, n[np.clip(at, 0, None)], np.nan)
        stale = (starts + width_s) - t[np.clip(at, 0, None)] > HOLD_SAMPLES * max(step, width_s)
        values[stale] = np.nan
        host, publisher, name = (table.column(k)[a].as_py() for k in ("host", "publisher", "name"))
        key = (host, publisher, name, None, "subscriptions")
        label = f"{publisher} → {name} · subscriptions" if publisher else f"{name} · subscriptions"
        out.append(Lane(key, label, starts, values))
    return out


def build_frame(
    binner: RateSource,
    width_us: int,
    factors_fine: pa.Table,
    lo_us: int | None = None,
    hi_us: int | None = None,
    subscriptions: pa.Table | None = None,
) -> Frame:
    """Rates at ``width_us`` over [lo, hi) and the factor lanes at that width: factors finer
    than the stored minute are counted afresh over the range, coarser ones come from it."""
    lanes = with_gaps(rate_lanes(binner.rates(width_us, lo_us, hi_us)), width_us / SECOND)
    if width_us < FACTOR_WIDTH_US:
        factors = factor_lanes(binner.factors(width_us, lo_us, hi_us), width_us)
    else:
        factors = factor_lanes(factors_fine, width_us)
    subscribed = subscription_lanes(subscriptions, width_us, lo_us, hi_us)
    return Frame(width_us, lo_us, hi_us, lanes, factors, subscribed)


def markers_table(status: pa.Table) -> list[dict[str, Any]]:
    """Markers the timeline draws: time (s), kind, host (None: every host), message."""
    if not status.num_rows:
        return []
    kinds = status.column("marker").cast(pa.string())
    keep = pc.is_in(kinds, pa.array(MARKER_KINDS))
    rows = status.filter(pc.fill_null(keep, False)).select(
        ["log_time", "marker", "host", "message", *runs_of(status)]
    )
    runs = rows.column("run").to_pylist() if runs_of(rows) else [None] * rows.num_rows
    out = []
    for t, kind, host, message, run in zip(
        *(rows.column(c).to_pylist() for c in ("log_time", "marker", "host", "message")),
        runs,
        strict=True,
    ):
        if t is not None:
            # The lane host: a marker of one run of a host in several is drawn on that run's lanes.
            out.append({"t": t.timestamp(), "kind": kind, "host": lane_host(host, run),
                        "message": message})  # fmt: skip
    return out
