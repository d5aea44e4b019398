"""Cutting a chunk into parts of at most so many lines, and recognising runs of empty lines.

Per-line work (offsets, flags, parser rows) costs tens of bytes per line: a 32 MB chunk of
newlines is 32 million lines, and a gigabyte of per-line arrays. Parts of at most
``MAX_LINES_PER_PART`` lines keep that bounded, and a part that is nothing but newlines needs no
per-line work at all: it is one run of empty lines.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

MAX_LINES_PER_PART = 1 << 18  # an ordinary 32 MB chunk holds ~60,000 lines
SLICE = 1 << 20  # bytes compared at once (bounded temporaries)


def _newlines_per_slice(arr: np.ndarray) -> np.ndarray:
    return np.array(
        [int(np.count_nonzero(arr[i : i + SLICE] == 10)) for i in range(0, len(arr), SLICE)],
        dtype=np.int64,
    )


def only_newlines(data: bytes | bytearray | memoryview) -> bool:
    """True when ``data`` holds nothing but ``"\\n"`` bytes (every line in it is empty)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    return bool(len(arr)) and all(
        not np.any(arr[i : i + SLICE] != 10) for i in range(0, len(arr), SLICE)
    )


_NOT_BLANK = np.ones(256, dtype=bool)
_NOT_BLANK[[9, 10, 13, 32]] = False


def is_blank(data: bytes | bytearray | memoryview) -> bool:
    """True when ``data`` holds only spaces, tabs and line ends (or nothing)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    return all(not np.any(_NOT_BLANK[arr[i : i + SLICE]]) for i in range(0, len(arr), SLICE))


def line_parts(
    data: bytes | bytearray | memoryview, lines: int, max_lines: int = MAX_LINES_PER_PART
) -> Iterator[tuple[memoryview, int]]:
    """``data`` (``lines`` lines) as consecutive views of at most ``max_lines`` lines each, with
    their line counts; a final piece without ``"\\n"`` is a line of the last part."""
    view = memoryview(data).cast("B") if isinstance(data, memoryview) else memoryview(data)
    if lines <= max_lines:
        yield view, lines
        return
    arr = np.frombuffer(view, dtype=np.uint8)
    per_slice = _newlines_per_slice(arr)
    before = np.concatenate([[0], np.cumsum(per_slice)])  # newlines before each slice
    start, done = 0, 0
    for target in range(max_lines, int(before[-1]) + 1, max_lines):
        if target == lines:  # the last part ends at the data's end anyway
            break
        k = int(np.searchsorted(before, target, side="left")) - 1  # slice holding newline #target
        nth = target - int(before[k]) - 1  # of that slice's newlines
        if per_slice[k] == min(SLICE, len(arr) - k * SLICE):  # all newlines: no search needed
            end = k * SLICE + nth + 1
        else:
            end = k * SLICE + int(np.flatnonzero(arr[k * SLICE : (k + 1) * SLICE] == 10)[nth]) + 1
        yield view[start:end], target - done
        start, done = end, target
    if start < len(arr):
        yield view[start:], lines - done
