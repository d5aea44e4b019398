"""Reading a glog status file part by part, with bounded memory (the line parsing is
``glog_lines``'; the rules are ``glog``'s).

The file comes in chunks of whole lines (``files.source_file``), cut into parts of at most a
quarter of a million lines (``files.line_parts``); each part is parsed on its own. A plain line
(not a glog line) takes the time of the glog line before it, so the last glog line of a part is
parsed again, as context, in front of the next part. What stays in memory is the rows found, not
the file; a part of nothing but newlines is counted, not parsed.

A NUL run is not part of the line after it: a line's text after its last NUL byte is the line
(a glog line written after a crash's zero-filled block loads); a line of NUL bytes alone is
rejected as such.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.files.line_index import line_count, split_lines
from inspector.files.line_parts import line_parts, only_newlines
from inspector.files.source_file import LINE_CAP, Chunk, StreamError, iter_chunks
from inspector.progress import Progress, report
from inspector.readers.glog import (
    HEADER_CREATED,
    HEADER_MACHINE,
    HEADER_OTHER,
    GlogHeader,
    _name_stamp,
    line_strings,
)
from inspector.readers.glog_lines import (
    GlogOptions,
    ParsedGlog,
    as_utc_placeholder,
    naive_timestamps,
    parse_glog_lines,
)
from inspector.readers.local_dates import place_years, safe_date, years_from_mtime
from inspector.readers.result import ReaderResult
from inspector.timezones import civil_to_us, clock_rows, concat_clocks

HEADER_LINES = 6


@dataclass
class GlogStream:
    """Feed chunks in file order; ``records()`` gives every row found."""

    result: ReaderResult
    next_line: int = 1
    header_date: dt.date | None = None
    host: str | None = None
    parts: list[ParsedGlog] = field(default_factory=list)
    context: str | None = None  # the last glog line so far: it times the plain lines after it
    empty: int = 0  # empty lines (loaded, no row)
    nul_prefixed: int = 0  # lines whose NUL run (and what preceded it) was left out

    def feed(self, chunk: Chunk) -> None:
        if chunk.too_long:
            self.result.lines_read += 1
            nuls = f", {chunk.dropped_nuls:,} of them NUL" if chunk.dropped_nuls else ""
            self.result.bad.add(
                self.next_line,
                f"a line of {chunk.too_long:,} bytes{nuls}: longer than the "
                f"{LINE_CAP // 2**20} MB a line may have, rejected unread",
            )
            self.next_line += 1
            return
        count = line_count(chunk.data)
        self.result.lines_read += count
        for part, lines in line_parts(chunk.data, count):
            if only_newlines(part):
                self.empty += lines  # a flood of empty lines: counted, no step per line
            else:
                self._part(part, chunk.dropped_nuls if chunk.dropped else 0)
            self.next_line += lines

    def _part(self, data: memoryview | bytes, dropped_nuls: int) -> None:
        lines = split_lines(data, self.next_line)
        texts = line_strings(lines)
        nuls = np.asarray(pc.count_substring(texts, "\x00"), dtype=np.int64)
        if dropped_nuls:  # a long line whose leading NUL run was already left out
            nuls[0] += dropped_nuls
        with_nul = nuls > 0
        nul_only = np.zeros(lines.count, dtype=bool)
        if with_nul.any():
            texts = pc.replace_substring_regex(texts, r"^(?s:.*)\x00", "")  # after the last NUL
        blank = np.asarray(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0), bool)
        nul_only = with_nul & blank
        self.nul_prefixed += int(np.count_nonzero(with_nul & ~blank))
        self.empty += int(np.count_nonzero(blank & ~with_nul))
        skip = blank.copy()
        if lines.first_line == 1:
            skip[: self._header(texts)] = True
        numbers = lines.line_numbers
        context = self.context is not None
        if context:
            texts = pa.concat_arrays([pa.array([self.context], pa.string()), texts])
            numbers = np.concatenate([[0], numbers])
            skip = np.concatenate([[False], skip])
        parsed = parse_glog_lines(texts, numbers, None, skip=skip, join_continuations=False)
        glog_rows = np.flatnonzero(~parsed.plain)
        if len(glog_rows):
            self.context = texts[int(parsed.first[glog_rows[-1]])].as_py()
        start = int(context)
        bad = self.result.bad
        for i in np.flatnonzero(nul_only).tolist():
            bad.add(int(lines.line_numbers[i]), _nul_reason(int(nuls[i])))
        for i in np.flatnonzero(parsed.invalid[start:]).tolist():
            text = texts[i + start].as_py()[:30]
            bad.add(int(numbers[i + start]), f"glog line with an impossible date or time: {text!r}")
        if context:
            parsed = _without_first(parsed)
        if parsed.count:
            self.parts.append(parsed)

    def _header(self, texts: pa.Array) -> int:
        """Header lines at the file's start (date, machine); how many there are."""
        n = 0
        for i in range(min(len(texts), HEADER_LINES)):
            text = texts[i].as_py() or ""
            if (m := HEADER_CREATED.match(text)) is not None:
                self.header_date = safe_date(m.group(1), m.group(2), m.group(3))
            elif (m := HEADER_MACHINE.match(text)) is not None:
                self.host = m.group(1).strip() or None
            elif not HEADER_OTHER.match(text):
                break
            n = i + 1
        return n

    def records(self) -> ParsedGlog:
        """Every row found, in file order, as one ``ParsedGlog`` (per-line flags left empty)."""
        return _concat(self.parts)


def _nul_reason(count: int) -> str:
    return f"{count:,} NUL bytes (a crash left a zero-filled block)"


def _without_first(parsed: ParsedGlog) -> ParsedGlog:
    """``parsed`` without its first record (the context line)."""
    return ParsedGlog(
        first=parsed.first[1:], severity=parsed.severity[1:], month=parsed.month[1:],
        day=parsed.day[1:], clock=clock_rows(parsed.clock, slice(1, None)),
        thread=parsed.thread[1:], file=parsed.file[1:], src_line=parsed.src_line[1:],
        message=parsed.message[1:], line=parsed.line[1:], item=parsed.item[1:],
        plain=parsed.plain[1:], orphan=parsed.orphan, invalid=parsed.invalid,
    )  # fmt: skip


def _concat(parts: list[ParsedGlog]) -> ParsedGlog:
    if not parts:
        empty = parse_glog_lines(pa.array([], pa.string()), np.zeros(0, np.int64), None,
                                 join_continuations=False)  # fmt: skip
        return empty

    def arrays(name: str) -> pa.Array:
        return pa.concat_arrays([getattr(p, name) for p in parts])

    def numbers(name: str) -> np.ndarray:
        return np.concatenate([getattr(p, name) for p in parts])

    clock = concat_clocks([p.clock for p in parts])
    return ParsedGlog(
        first=numbers("first"), severity=arrays("severity"), month=numbers("month"),
        day=numbers("day"), clock=clock,
        thread=arrays("thread"), file=arrays("file"), src_line=arrays("src_line"),
        message=arrays("message"), line=numbers("line"), item=arrays("item"),
        plain=numbers("plain"), orphan=np.zeros(0, bool), invalid=np.zeros(0, bool),
    )  # fmt: skip


def _stream_notes(stream: GlogStream, parsed: ParsedGlog) -> list[str]:
    """What the reader says about lines that were not plain glog lines."""
    notes = []
    plain = int(parsed.plain.sum())
    if plain:
        notes.append(
            f"{plain:,} lines are not glog lines (another program's output, or the rest of a "
            "multi-line message): kept as messages of their own (format 'plain'), timed by the "
            "glog line before them"
        )
    if stream.empty:
        notes.append(f"{stream.empty:,} empty lines")
    if stream.nul_prefixed:
        notes.append(
            f"{stream.nul_prefixed:,} lines began with a NUL run (a crash remnant) that was left "
            "out; the line after it was read"
        )
    return notes


def _years(
    path: str,
    parsed: ParsedGlog,
    anchor: dt.date | None,
    options: GlogOptions,
    result: ReaderResult,
) -> np.ndarray:
    """The year of each glog line (glog writes none): from the file's header or name date
    (``anchor``), else the year given, else the file's modification time (noted as assumed)."""
    if not (parsed.month > 0).any():
        return np.zeros(parsed.count, dtype=np.int64)
    if anchor is not None:
        return place_years(anchor, parsed.month, parsed.day)
    if options.year is not None:
        result.notes.append(f"glog lines carry no year: {options.year} as given")
        return place_years(None, parsed.month, parsed.day, options.year)
    years, how = years_from_mtime(path, parsed.month, parsed.day)
    result.meta["year_assumed"] = True
    result.notes.append(how)
    return years


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
    """Read a glog status file into ``STATUS`` rows; every line is loaded or rejected (see
    ``glog.read_glog`` for ``data``, ``first_line`` and ``header``)."""
    source = source or path
    options = options or GlogOptions()
    result = ReaderResult(kind="status_log_glog")
    stream = GlogStream(result, next_line=first_line)
    try:
        chunks = [Chunk(data, True, 1.0)] if data is not None else iter_chunks(path)
        for chunk in chunks:
            stream.feed(chunk)
            report(progress, chunk.fraction * 0.8, f"{source}: line {stream.next_line - 1:,}")
    except StreamError as exc:
        result.notes.append(f"compressed data is truncated or corrupt: {exc}; the rest was loaded")
    result.lines_loaded = result.lines_read - len(result.bad)
    parsed = stream.records()
    if header is not None and first_line > 1:
        stream.header_date, stream.host = header.date, header.host
    # JSON-friendly (the read cache keeps ``meta``): see ``GlogHeader.of_meta``.
    result.meta["glog_header"] = {
        "date": stream.header_date.isoformat() if stream.header_date else None,
        "host": stream.host,
    }
    if stream.host:
        result.meta["host"] = stream.host
    result.notes += _stream_notes(stream, parsed)
    dated = parsed.month > 0
    years = _years(path, parsed, stream.header_date or _name_stamp(path), options, result)
    local_us = civil_to_us(years, parsed.month, parsed.day, *parsed.clock)
    local = naive_timestamps(local_us, dated)
    formats = pa.array(np.where(parsed.plain, "plain", "glog"))
    result.status = parsed.table(
        source, formats, as_utc_placeholder(local), stream.host, "local", local
    )
    report(progress, 1.0, f"{source}: done")
    return result
