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
    blanks = _Blanks()
    text_starts = _after_bom(lines, blanks)
    brace = first_braces(arr, text_starts, ends)
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
    prefixed = has_brace & (brace > text_starts)
    if prefixed.any():
        clean_prefix = prefixed & (count_bytes_in_ranges(arr, 0, text_starts, brace) == 0)
        result.prefixed = int(np.count_nonzero(clean_prefix))
        blanks.add(text_starts[prefixed], brace[prefixed])
    # Lines with NUL bytes after their record's start: keep a complete record they follow.
    trailing = (nuls > 0) & has_brace
    if after_run is not None:
        trailing[after_run[0]] = False
    result.nul_trimmed += _blank_nuls_after_records(lines, brace, trailing, pre_bad, blanks)
    ok = has_brace.copy()
    if pre_bad:
        idx = np.fromiter(pre_bad.keys(), dtype=np.int64)
        blanks.add(starts[idx], ends[idx])
        ok[idx] = False
    result.table = _arrow_input(lines, blanks.applied(lines.data), ok)
    return result


class _Blanks:
    """Byte ranges ``[lo, hi)`` of the chunk to overwrite with spaces."""

    def __init__(self) -> None:
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []

    def add(self, lo: np.ndarray, hi: np.ndarray) -> None:
        self.lo.append(lo)
        self.hi.append(hi)

    def applied(self, data: bytes | bytearray | memoryview) -> bytes | bytearray | memoryview:
        """``data`` with the ranges blanked: in place when it is writable, else in a copy."""
        if not self.lo:
            return data
        # A pool buffer's view belongs to this chunk alone: blanked in place, like a bytearray.
        writable = isinstance(data, bytearray) or (
            isinstance(data, memoryview) and not data.readonly
        )
        if not writable:
            data = bytearray(data)
        fill_ranges(data, np.concatenate(self.lo), np.concatenate(self.hi))
        return data


def _after_bom(lines: LineChunk, blanks: _Blanks) -> np.ndarray:
    """Where each line's text starts: past a byte-order mark at the start of the file (which is
    blanked), else at the line start."""
    if lines.first_line == 1 and bytes(lines.data[:3]) == BOM:
        blanks.add(np.array([0]), np.array([3]))
        starts = lines.starts.copy()
        starts[0] = 3
        return starts
    return lines.starts


def first_braces(arr: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The position of the first ``{`` in each line ``[start, end)`` of ``arr``, -1 for none."""
    # Nearly every line starts with "{": only the others need a search for their first brace.
    first = arr[np.minimum(starts, max(len(arr) - 1, 0))] if len(arr) else np.zeros(0, np.uint8)
    brace = np.where((ends > starts) & (first == ord("{")), starts, -1)
    others = np.flatnonzero(brace < 0)
    if len(others):
        brace[others] = first_byte_at_or_after(arr, ord("{"), starts[others], ends[others])
    return brace


def _blank_nuls_after_records(
    lines: LineChunk,
    brace: np.ndarray,
    trailing: np.ndarray,
    pre_bad: dict[int, str],
    blanks: _Blanks,
) -> int:
    """Blank what follows a complete record in the ``trailing`` lines (NUL bytes after the
    record's start) when that is only NULs and whitespace; return how many lines were."""
    trimmed = 0
    ends = lines.ends
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
            blanks.add(np.array([brace[i] + close + 1]), np.array([ends[i]]))
            trimmed += 1
    return trimmed


def _arrow_input(
    lines: LineChunk, data: bytes | bytearray | memoryview, ok: np.ndarray
) -> pa.Table:
    """``(line, item, text, ok)`` in record batches; ``text`` is a view of ``data``."""
    offsets = np.append(lines.starts, len(data)).astype(np.int64)
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
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS))
