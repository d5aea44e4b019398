"""Vectorised line splitting over a byte buffer (numpy), with no Python object per line.

A ``LineChunk`` knows where each line starts and ends (line terminator and a trailing ``\\r``
excluded) and the 1-based number of its first line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inspector.files.byte_ranges import (
    count_in_ranges,
    first_in_ranges,
    ranges_with_high_bytes,
    utf8_error_at,
)
from inspector.files.byte_ranges import fill_ranges as fill_byte_ranges


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
    return first_in_ranges(arr, value, starts, ends)


def count_bytes_in_ranges(
    arr: np.ndarray, value: int, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Per range ``[lo, hi)``, how many bytes equal ``value``."""
    return count_in_ranges(arr, value, lo, hi)


def invalid_utf8_lines(chunk: LineChunk) -> dict[int, int]:
    """Lines (chunk index → byte offset within the line) that are not valid UTF-8.

    Pure-ASCII buffers are recognised at numpy speed, a valid buffer by one validation; only
    when that fails are the lines holding non-ASCII bytes checked one by one (without copies).
    """
    arr = np.frombuffer(chunk.data, dtype=np.uint8)
    if not len(arr) or utf8_error_at(chunk.data) is None:
        return {}
    bad: dict[int, int] = {}
    view = memoryview(chunk.data).cast("B") if isinstance(chunk.data, memoryview) else None
    for i in ranges_with_high_bytes(arr, chunk.starts, chunk.ends).tolist():
        lo, hi = int(chunk.starts[i]), int(chunk.ends[i])
        line = view[lo:hi] if view is not None else memoryview(chunk.data)[lo:hi]
        at = utf8_error_at(line)
        if at is not None:
            bad[i] = at
    return bad


def fill_ranges(
    data: bytes | bytearray | memoryview, lo: np.ndarray, hi: np.ndarray, value: int = 32
) -> None:
    """Overwrite ``data[lo[i]:hi[i]]`` with ``value`` for all i (``data`` must be writable)."""
    fill_byte_ranges(data, lo, hi, value)
