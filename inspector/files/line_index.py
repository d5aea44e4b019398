"""Vectorised line splitting over a byte buffer (numpy), with no Python object per line.

A ``LineChunk`` knows where each line starts and ends (line terminator and a trailing ``\\r``
excluded) and the 1-based number of its first line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass
class LineChunk:
    """Line offsets over ``data``; line ``i`` is ``data[starts[i]:ends[i]]``."""

    data: bytes | bytearray | memoryview
    starts: np.ndarray  # int64
    ends: np.ndarray  # int64, exclusive, without "\n" and a trailing "\r"
    first_line: int  # 1-based number of the first line
    unterminated_last: bool  # the last line had no "\n" (end of file)

    @property
    def count(self) -> int:
        return len(self.starts)

    @property
    def line_numbers(self) -> np.ndarray:
        return np.arange(self.first_line, self.first_line + self.count, dtype=np.int64)

    def line_bytes(self, i: int) -> bytes:
        """The bytes of line ``i`` (index within the chunk)."""
        return bytes(self.data[self.starts[i] : self.ends[i]])


SLICE = 1 << 20


def byte_positions(arr: np.ndarray, value: int) -> np.ndarray:
    """Positions (int64) of ``value`` in ``arr``, compared 1 MB at a time: a whole-chunk
    temporary of tens of MB is fresh memory on every call, and its page faults cost more than
    the comparison itself."""
    parts = [np.flatnonzero(arr[i : i + SLICE] == value) + i for i in range(0, len(arr), SLICE)]
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)


def line_count(data: bytes | bytearray | memoryview) -> int:
    """How many lines ``split_lines`` finds in ``data`` (a final piece without ``\\n`` counts)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    if not len(arr):
        return 0
    newlines = sum(
        int(np.count_nonzero(arr[i : i + SLICE] == 10)) for i in range(0, len(arr), SLICE)
    )
    return newlines + (0 if arr[-1] == 10 else 1)


def split_lines(data: bytes | bytearray | memoryview, first_line: int) -> LineChunk:
    """Split ``data`` into lines; a final piece without ``\\n`` is a line of its own."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = byte_positions(arr, 10)
    n = len(arr)
    unterminated = n > 0 and arr[-1] != 10
    starts = np.empty(len(newlines) + (1 if unterminated else 0), dtype=np.int64)
    starts[0:1] = 0
    starts[1 : len(newlines)] = newlines[:-1] + 1
    if unterminated:
        if len(newlines):
            starts[len(newlines)] = newlines[-1] + 1
        ends = np.append(newlines, n)
    else:
        ends = newlines.copy()
    # A trailing "\r" (CRLF files) is not part of the line.
    if len(ends):
        nonempty = ends > starts
        cr = np.zeros(len(ends), dtype=bool)
        cr[nonempty] = arr[ends[nonempty] - 1] == 13
        ends = ends - cr
    return LineChunk(data, starts, ends, first_line, bool(unterminated))


def first_byte_at_or_after(
    arr: np.ndarray, value: int, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Per line, the position of the first ``value`` byte in ``[start, end)``, or -1."""
    hits = byte_positions(arr, value)
    idx = np.searchsorted(hits, starts)
    pos = np.full(len(starts), -1, dtype=np.int64)
    valid = idx < len(hits)
    cand = np.where(valid, hits[np.minimum(idx, max(len(hits) - 1, 0))] if len(hits) else 0, -1)
    inside = valid & (cand < ends)
    pos[inside] = cand[inside]
    return pos


def count_bytes_in_ranges(
    arr: np.ndarray, value: int, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Per range ``[lo, hi)``, how many bytes equal ``value``."""
    hits = byte_positions(arr, value)
    if not len(hits):
        return np.zeros(len(lo), dtype=np.int64)
    return np.searchsorted(hits, hi) - np.searchsorted(hits, lo)


def invalid_utf8_lines(chunk: LineChunk) -> dict[int, int]:
    """Lines (chunk index → byte offset within the line) that are not valid UTF-8.

    Pure-ASCII buffers are recognised at numpy speed, a valid buffer by one decode; only when
    that fails are the lines holding non-ASCII bytes checked one by one.
    """
    arr = np.frombuffer(chunk.data, dtype=np.uint8)
    if not len(arr) or int(arr.max()) < 0x80:
        return {}
    # Arrow's UTF-8 validation (SIMD) is ~10× faster than decoding the buffer in Python.
    offsets = np.array([0, len(arr)], dtype=np.int64)
    whole = pa.Array.from_buffers(
        pa.large_string(), 1, [None, pa.py_buffer(offsets), pa.py_buffer(chunk.data)]
    )
    try:
        whole.validate(full=True)
        return {}
    except pa.ArrowInvalid:
        pass
    high = np.flatnonzero(arr >= 0x80)
    lines = np.unique(np.searchsorted(chunk.starts, high, side="right") - 1)
    bad: dict[int, int] = {}
    for i in lines.tolist():
        try:
            chunk.line_bytes(i).decode("utf-8")
        except UnicodeDecodeError as exc:
            bad[i] = exc.start
    return bad


def fill_ranges(data: bytearray, lo: np.ndarray, hi: np.ndarray, value: int = 32) -> None:
    """Overwrite ``data[lo[i]:hi[i]]`` with ``value`` for all i (vectorised)."""
    keep = hi > lo
    lo, hi = lo[keep], hi[keep]
    if not len(lo):
        return
    arr = np.frombuffer(data, dtype=np.uint8)
    delta = np.zeros(len(arr) + 1, dtype=np.int32)
    np.add.at(delta, lo, 1)
    np.add.at(delta, hi, -1)
    mask = np.cumsum(delta[:-1]) > 0
    arr[mask] = value
