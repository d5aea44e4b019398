"""Reader for osquery's glog status files (``osqueryd.INFO.<stamp>.<pid>``).

glog writes the agent's local wall-clock time without a year. The year comes from the file
header (``Log file created at: YYYY/MM/DD``), else the file name stamp (``YYYYMMDD-HHMMSS``), else
a parameter, else the file's modification time, and the reader says which (``local_dates``).
Rows keep the wall clock (``clock`` "local"); the loading pipeline places them in the agent's
time zone. A line that is not a glog line (another program's output, or the rest of a
multi-line message) becomes a row of its own (format ``plain``), never glued to the message
before it. Parsing is vectorised with pyarrow's regex kernels.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.files.line_index import LineChunk, invalid_utf8_lines, split_lines
from inspector.files.source_file import StreamError, iter_chunks
from inspector.progress import Progress, report
from inspector.readers.glog_lines import (
    GLOG_LINE,
    GlogOptions,
    as_utc_placeholder,
    glog_options,
    naive_timestamps,
    parse_glog_lines,
)
from inspector.readers.local_dates import place_years, safe_date, years_from_mtime
from inspector.readers.result import ReaderResult
from inspector.timezones import civil_to_us

__all__ = ["GLOG_LINE", "GlogHeader", "GlogOptions", "glog_options", "looks_like_glog", "read_glog"]

HEADER_CREATED = re.compile(r"^Log file created at: (\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)")
HEADER_MACHINE = re.compile(r"^Running on machine: (.*)$")
HEADER_OTHER = re.compile(r"^(Running duration \(h:mm:ss\): |Log line format: )")
FILENAME_STAMP = re.compile(r"\.(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)\.\d+(?:\.(?:gz|zst|zstd))?$")


def looks_like_glog(lines: list[str]) -> bool:
    """Sniff: most non-header lines of a head sample are glog lines."""
    pattern = re.compile(GLOG_LINE)
    body = [ln for ln in lines if ln.strip("\x00 \t") and not _is_header(ln)]
    if not body:
        return any(HEADER_CREATED.match(ln) for ln in lines)
    hits = sum(1 for ln in body[:50] if pattern.match(ln))
    return hits >= max(1, len(body[:50]) // 2) and bool(pattern.match(body[0]))


def _is_header(line: str) -> bool:
    return bool(
        HEADER_CREATED.match(line) or HEADER_MACHINE.match(line) or HEADER_OTHER.match(line)
    )


@dataclass
class GlogHeader:
    """What a glog file's header says (its date and machine), for lines read after it."""

    date: dt.date | None = None
    host: str | None = None

    @classmethod
    def of_meta(cls, meta: dict[str, str | None] | None) -> GlogHeader:
        """From a read's ``meta["glog_header"]``."""
        meta = meta or {}
        date = meta.get("date")
        return cls(dt.date.fromisoformat(date) if date else None, meta.get("host"))


def read_glog(
    path: str,
    source: str | None = None,
    *,
    options: GlogOptions | None = None,
    progress: Progress | None = None,
    data: bytes | None = None,
    first_line: int = 1,
    header: GlogHeader | None = None,
) -> ReaderResult:
    """Read a glog status file into ``STATUS`` rows; every line is loaded or rejected.

    ``data``: lines of the file from memory (a followed file's new lines), numbered from
    ``first_line``; past the first line the header is not looked for and ``header`` (what
    ``meta["glog_header"]`` of the read of the file's start said) dates the lines."""
    source = source or path
    options = options or GlogOptions()
    result = ReaderResult(kind="status_log_glog")
    if data is None:
        buffer = bytearray()
        try:
            for chunk in iter_chunks(path):
                buffer += chunk.data
                report(progress, chunk.fraction * 0.5, f"{source}: reading")
        except StreamError as exc:
            result.notes.append(
                f"compressed data is truncated or corrupt: {exc}; the rest was loaded"
            )
        data = bytes(buffer)
    lines = split_lines(data, first_line)
    result.lines_read = lines.count
    texts = line_strings(lines)
    nul = np.asarray(pc.fill_null(pc.match_substring(texts, "\x00"), False), dtype=bool)
    empty = np.asarray(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0), dtype=bool)

    header_date, host, n_header = None, None, 0
    for i in range(min(lines.count, 6) if first_line == 1 else 0):
        text = texts[i].as_py()
        if (m := HEADER_CREATED.match(text)) is not None:
            header_date = safe_date(m.group(1), m.group(2), m.group(3))
        elif (m := HEADER_MACHINE.match(text)) is not None:
            host = m.group(1).strip() or None
        elif not HEADER_OTHER.match(text):
            break
        n_header = i + 1
    if header is not None and first_line > 1:
        header_date, host = header.date, header.host
    # JSON-friendly (the read cache keeps ``meta``): see ``GlogHeader.of_meta``.
    result.meta["glog_header"] = {
        "date": header_date.isoformat() if header_date else None,
        "host": host,
    }
    anchor = header_date or _name_stamp(path)
    if host:
        result.meta["host"] = host

    skip = nul | empty
    skip[:n_header] = True
    parsed = parse_glog_lines(texts, lines.line_numbers, None, skip=skip, join_continuations=False)
    report(progress, 0.8, f"{source}: parsing")
    for i in np.flatnonzero(nul).tolist():
        count = texts[i].as_py().count("\x00")
        result.bad.add(i + first_line, f"{count:,} NUL bytes (a crash left a zero-filled block)")
    for i in np.flatnonzero(parsed.invalid).tolist():
        result.bad.add(
            i + first_line, f"glog line with an impossible date or time: {texts[i].as_py()[:30]!r}"
        )
    result.lines_loaded = result.lines_read - len(result.bad)
    plain = int(parsed.plain.sum())
    if plain:
        result.notes.append(
            f"{plain:,} lines are not glog lines (another program's output, or the rest of a "
            "multi-line message): kept as messages of their own (format 'plain'), timed by the "
            "glog line before them"
        )
    blank = int((empty & ~nul).sum())
    if blank:
        result.notes.append(f"{blank:,} empty lines")

    dated = parsed.month > 0
    if not dated.any():
        years = np.zeros(parsed.count, dtype=np.int64)
    elif anchor is not None:
        years = place_years(anchor, parsed.month, parsed.day)
    elif options.year is not None:
        years = place_years(None, parsed.month, parsed.day, options.year)
        result.notes.append(f"glog lines carry no year: {options.year} as given")
    else:
        years, how = years_from_mtime(path, parsed.month, parsed.day)
        result.meta["year_assumed"] = True
        result.notes.append(how)
    local_us = civil_to_us(years, parsed.month, parsed.day, *parsed.clock)
    local = naive_timestamps(local_us, dated)
    formats = pa.array(np.where(parsed.plain, "plain", "glog"))
    result.status = parsed.table(source, formats, as_utc_placeholder(local), host, "local", local)
    report(progress, 1.0, f"{source}: done")
    return result


def _name_stamp(path: str) -> dt.date | None:
    if (m := FILENAME_STAMP.search(os.path.basename(path))) is not None:
        return safe_date(m.group(1), m.group(2), m.group(3))
    return None


def line_strings(lines: LineChunk) -> pa.Array:
    """Each line as an Arrow string over the buffer (invalid UTF-8 replaced, never rejected)."""
    if invalid_utf8_lines(lines):
        return pa.array(
            [lines.line_bytes(i).decode("utf-8", "replace") for i in range(lines.count)],
            pa.string(),
        )
    offsets = np.append(lines.starts, len(lines.data)).astype(np.int64)
    whole = pa.Array.from_buffers(
        pa.large_string(), lines.count, [None, pa.py_buffer(offsets), pa.py_buffer(lines.data)]
    )
    return pc.utf8_rtrim(whole, characters="\r\n").cast(pa.string())
