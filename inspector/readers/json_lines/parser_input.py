"""A chunk of lines as the Arrow table the DuckDB parser reads: ``(line, item, text, ok)``.

``text`` shares the chunk's buffer (no copy per line). What is not JSON is blanked in place —
a syslog prefix, a NUL run before or after a complete record, a byte-order mark — because JSON
allows surrounding whitespace and the offsets must stay contiguous.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from inspector.files.byte_ranges import first_in_ranges, last_in_ranges
from inspector.files.line_index import (
    LineChunk,
    count_bytes_in_ranges,
    fill_ranges,
    first_byte_at_or_after,
    invalid_utf8_lines,
)

BATCH_ROWS = 16_384  # several record batches let DuckDB parse on every core
BOM = b"\xef\xbb\xbf"


@dataclass
class LineTable:
    """The Arrow input table, plus what was found on the way."""

    table: pa.Table
    pre_bad: dict[int, str]  # chunk index -> reason, for lines rejected before parsing
    prefixed: int = 0  # lines with a (syslog) prefix before the JSON
    nul_trimmed: int = 0  # lines whose complete record had NUL bytes before or after it
    torn_before_nuls: int = 0  # of those: a torn record before the NUL run was left out
    notes: list[str] = field(default_factory=list)


def _record_after_nul_run(
    arr: np.ndarray, starts: np.ndarray, ends: np.ndarray, nuls: np.ndarray
) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Lines whose text after their last NUL byte holds a ``{``: (their indices, the position
    of that brace, how many had more than NUL bytes before it — a torn record), or None."""
    with_nuls = np.flatnonzero(nuls > 0)
    if not len(with_nuls):
        return None
    last = last_in_ranges(arr, 0, starts[with_nuls], ends[with_nuls])
    brace = first_in_ranges(arr, ord("{"), last + 1, ends[with_nuls])
    found = brace >= 0
    if not found.any():
        return None
    moved = with_nuls[found]
    torn = (last[found] + 1 - starts[moved]) > nuls[moved]
    return moved, brace[found], int(np.count_nonzero(torn))


def line_table(lines: LineChunk) -> LineTable:
    """Build the parser's input for ``lines`` (modifies the chunk's buffer when it must blank)."""
    arr = np.frombuffer(lines.data, dtype=np.uint8)
    starts, ends = lines.starts, lines.ends
    pre_bad = {
        i: f"invalid UTF-8 at byte {offset + 1} of the line"
        for i, offset in invalid_utf8_lines(lines).items()
    }
    blank_lo: list[np.ndarray] = []
    blank_hi: list[np.ndarray] = []

    if lines.first_line == 1 and bytes(lines.data[:3]) == BOM:
        blank_lo.append(np.array([0]))
        blank_hi.append(np.array([3]))
        starts_for_search = starts.copy()
        starts_for_search[0] = 3
    else:
        starts_for_search = starts

    # Nearly every line starts with "{": only the others need a search for their first brace.
    first = (
        arr[np.minimum(starts_for_search, max(len(arr) - 1, 0))]
        if len(arr)
        else np.zeros(0, np.uint8)
    )
    brace = np.where((ends > starts_for_search) & (first == ord("{")), starts_for_search, -1)
    others = np.flatnonzero(brace < 0)
    if len(others):
        brace[others] = first_byte_at_or_after(
            arr, ord("{"), starts_for_search[others], ends[others]
        )
    nuls = count_bytes_in_ranges(arr, 0, starts, ends)
    result = LineTable(pa.table({}), pre_bad)
    # A NUL run is not part of the text after it (a crash left zeros, then the agent wrote on):
    # a record after a line's last NUL is the line's record, whatever came before the run.
    after_run = _record_after_nul_run(arr, starts, ends, nuls)
    if after_run is not None:
        moved, at, torn = after_run
        brace[moved] = at
        result.nul_trimmed += len(moved)
        result.torn_before_nuls = torn
    has_brace = brace >= 0
    prefixed = has_brace & (brace > starts_for_search)
    if prefixed.any():
        clean_prefix = prefixed & (count_bytes_in_ranges(arr, 0, starts_for_search, brace) == 0)
        result.prefixed = int(np.count_nonzero(clean_prefix))
        blank_lo.append(starts_for_search[prefixed])
        blank_hi.append(brace[prefixed])
    # Lines with NUL bytes after their record's start: keep a complete record they follow.
    trailing = (nuls > 0) & has_brace
    if after_run is not None:
        trailing[after_run[0]] = False
    for i in np.flatnonzero(trailing).tolist():
        if i in pre_bad:
            continue
        raw = bytes(lines.data[brace[i] : ends[i]])
        close = raw.rfind(b"}")
        if (
            close >= 0
            and b"\x00" not in raw[: close + 1]
            and not raw[close + 1 :].strip(b"\x00 \t\r")
        ):
            blank_lo.append(np.array([brace[i] + close + 1]))
            blank_hi.append(np.array([ends[i]]))
            result.nul_trimmed += 1

    data = lines.data
    if pre_bad:
        idx = np.fromiter(pre_bad.keys(), dtype=np.int64)
        blank_lo.append(starts[idx])
        blank_hi.append(ends[idx])
    if blank_lo:
        # A pool buffer's view belongs to this chunk alone: blanked in place, like a bytearray.
        writable = isinstance(data, bytearray) or (
            isinstance(data, memoryview) and not data.readonly
        )
        if not writable:
            data = bytearray(data)
        fill_ranges(data, np.concatenate(blank_lo), np.concatenate(blank_hi))
    ok = has_brace.copy()
    if pre_bad:
        ok[np.fromiter(pre_bad.keys(), dtype=np.int64)] = False
    offsets = np.append(starts, len(data)).astype(np.int64)
    text = pa.Array.from_buffers(
        pa.large_string(), lines.count, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    table = pa.table(
        {
            "line": pa.array(lines.line_numbers),
            "item": pa.nulls(lines.count, pa.int32()),
            "text": text,
            "ok": pa.array(ok),
        }
    )
    result.table = pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS))
    return result
