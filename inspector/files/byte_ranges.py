"""Per-line byte questions over a chunk — how many NUL bytes, where the first ``{`` is, which
lines hold bytes past ASCII — answered a megabyte at a time.

Listing every position of a byte in the whole chunk costs 8 bytes per hit: a chunk of NUL bytes
or of braces would need eight times its own size. Here the positions are taken one slice at a
time, and only for the slices that the lines asked about overlap; the ranges asked about are in
line order and do not overlap (lines of one chunk).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

SLICE = 1 << 20
SMALL_RANGE = 4096  # ranges up to this long are filled together, longer ones one by one
FILL_BATCH = 1 << 22  # bytes of small ranges filled per vectorised step


def _slices(arr: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> Iterator[tuple[int, int, int, int]]:
    """``(a, b, i0, i1)``: each slice ``[a, b)`` of ``arr`` that ranges ``i0:i1`` overlap."""
    for a in range(0, len(arr), SLICE):
        b = min(a + SLICE, len(arr))
        i0 = int(np.searchsorted(hi, a, side="right"))  # first range ending after a
        i1 = int(np.searchsorted(lo, b, side="left"))  # ranges starting before b
        if i0 < i1:
            yield a, b, i0, i1


def _ordered(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = np.asarray(lo, dtype=np.int64)
    return lo, np.maximum(np.asarray(hi, dtype=np.int64), lo)  # an empty range where hi < lo


def count_in_ranges(arr: np.ndarray, value: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per range ``[lo, hi)``, how many bytes equal ``value``."""
    lo, hi = _ordered(lo, hi)
    counts = np.zeros(len(lo), dtype=np.int64)
    for a, b, i0, i1 in _slices(arr, lo, hi):
        hits = np.flatnonzero(arr[a:b] == value)
        if not len(hits):
            continue
        hits += a
        left = np.maximum(lo[i0:i1], a)
        right = np.minimum(hi[i0:i1], b)
        found = np.searchsorted(hits, right) - np.searchsorted(hits, left)
        counts[i0:i1] += np.maximum(found, 0)
    return counts


def first_in_ranges(arr: np.ndarray, value: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per range ``[lo, hi)``, the position of its first byte equal to ``value``, or -1."""
    lo, hi = _ordered(lo, hi)
    pos = np.full(len(lo), -1, dtype=np.int64)
    for a, b, i0, i1 in _slices(arr, lo, hi):
        waiting = pos[i0:i1] < 0
        if not waiting.any():
            continue
        hits = np.flatnonzero(arr[a:b] == value)
        if not len(hits):
            continue
        hits += a
        left = np.maximum(lo[i0:i1], a)
        right = np.minimum(hi[i0:i1], b)
        idx = np.searchsorted(hits, left)
        cand = hits[np.minimum(idx, len(hits) - 1)]
        found = waiting & (idx < len(hits)) & (cand < right)
        pos[i0:i1][found] = cand[found]
    return pos


def last_in_ranges(arr: np.ndarray, value: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per range ``[lo, hi)``, the position of its last byte equal to ``value``, or -1."""
    lo, hi = _ordered(lo, hi)
    pos = np.full(len(lo), -1, dtype=np.int64)
    for a, b, i0, i1 in _slices(arr, lo, hi):
        hits = np.flatnonzero(arr[a:b] == value)
        if not len(hits):
            continue
        hits += a
        left = np.maximum(lo[i0:i1], a)
        right = np.minimum(hi[i0:i1], b)
        idx = np.searchsorted(hits, right) - 1
        cand = hits[np.maximum(idx, 0)]
        found = (idx >= 0) & (cand >= left)
        pos[i0:i1] = np.where(found, np.maximum(pos[i0:i1], cand), pos[i0:i1])
    return pos


def ranges_with_high_bytes(arr: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Indices of the ranges that hold a byte ≥ 0x80 (ascending)."""
    lo, hi = _ordered(lo, hi)
    out: list[np.ndarray] = []
    for a, b, _i0, _i1 in _slices(arr, lo, hi):
        high = np.flatnonzero(arr[a:b] >= 0x80)
        if not len(high):
            continue
        idx = np.searchsorted(lo, high + a, side="right") - 1
        idx = idx[(idx >= 0) & (high + a < hi[np.maximum(idx, 0)])]
        out.append(np.unique(idx))
    return np.unique(np.concatenate(out)) if out else np.zeros(0, np.int64)


def fill_ranges(
    data: bytes | bytearray | memoryview, lo: np.ndarray, hi: np.ndarray, value: int
) -> None:
    """Overwrite ``data[lo[i]:hi[i]]`` with ``value`` for all i (ranges may come in any order)."""
    lo, hi = _ordered(lo, hi)
    keep = hi > lo
    lo, hi = lo[keep], hi[keep]
    if not len(lo):
        return
    arr = np.frombuffer(data, dtype=np.uint8)
    lengths = hi - lo
    big = lengths > SMALL_RANGE
    for start, end in zip(lo[big].tolist(), hi[big].tolist(), strict=True):
        arr[start:end] = value
    lo, lengths = lo[~big], lengths[~big]
    if not len(lo):
        return
    ends = np.cumsum(lengths)
    first = 0
    while first < len(lo):
        last = int(np.searchsorted(ends, (ends[first - 1] if first else 0) + FILL_BATCH))
        last = max(last, first + 1)
        sizes = lengths[first:last]
        shift = np.repeat(lo[first:last] - (np.cumsum(sizes) - sizes), sizes)
        arr[np.arange(len(shift), dtype=np.int64) + shift] = value
        first = last


def utf8_error_at(data: bytes | bytearray | memoryview) -> int | None:
    """The offset of the first invalid UTF-8 byte in ``data``, or None when it is valid —
    checked by Arrow (no copy), located a megabyte at a time if it fails."""
    offsets = np.array([0, len(data)], dtype=np.int64)
    whole = pa.Array.from_buffers(
        pa.large_string(), 1, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    try:
        whole.validate(full=True)
        return None
    except pa.ArrowInvalid:
        pass
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data).cast("B") if isinstance(data, memoryview) else memoryview(data)
    for start in range(0, len(view), SLICE):
        pending = len(decoder.getstate()[0])  # an unfinished sequence carried from before
        try:
            decoder.decode(view[start : start + SLICE], final=start + SLICE >= len(view))
        except UnicodeDecodeError as exc:
            return start - pending + exc.start
    return len(data)  # not reached: Arrow and Python agree on what is valid
