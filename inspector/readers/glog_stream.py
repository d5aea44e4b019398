"""Reading a glog status file part by part, with bounded memory (the parsing is ``glog``'s).

The file comes in chunks of whole lines (``source_file``), cut into parts of at most a million
lines. Each part is parsed on its own, except that the last record of a part — which may go on
with continuation lines in the next — is carried into the next part's parse. What stays in
memory is the records found, not the file.

Two rules keep hostile files bounded and nothing silently lost:

- a NUL run is not part of the line after it: a line's text after its last NUL byte is the
  line (a glog line written after a crash's zero-filled block still loads); a line of NUL bytes
  alone is rejected as such;
- one record takes at most ``CONTINUATION_CAP`` continuation lines; lines past that are
  rejected (a glog line followed by a gigabyte of empty lines is one record and one run of
  rejected empty lines, not a gigabyte-long message).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.progress import Progress, report
from inspector.readers.glog import (
    GLOG_LINE,
    HEADER_CREATED,
    HEADER_MACHINE,
    HEADER_OTHER,
    GlogOptions,
    ParsedGlog,
    _anchor_date,
    _date,
    _line_strings,
    _years_from_mtime,
    parse_glog_lines,
    place_years,
)
from inspector.readers.line_index import line_count, split_lines
from inspector.readers.line_parts import line_parts, only_newlines
from inspector.readers.result import EMPTY_LINE, BadLines, ReaderResult
from inspector.readers.source_file import LINE_CAP, Chunk, StreamError, iter_chunks
from inspector.timezones import civil_to_us, local_to_utc

CONTINUATION_CAP = 10_000  # continuation lines one glog record may take
HEADER_LINES = 6
PAST_CAP = f"a continuation line past the {CONTINUATION_CAP:,} one glog message may have"
NO_REASON, NUL_ONLY, EXCESS = 0, 1, 2


@dataclass
class _Lines:
    """Lines not yet settled: texts, line numbers, what to leave out of parsing and why."""

    texts: pa.Array = field(default_factory=lambda: pa.array([], pa.string()))
    numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    why: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    nuls: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    header: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def __len__(self) -> int:
        return len(self.numbers)

    def joined(self, other: _Lines) -> _Lines:
        return _Lines(
            pa.concat_arrays([self.texts, other.texts]),
            np.concatenate([self.numbers, other.numbers]),
            np.concatenate([self.why, other.why]),
            np.concatenate([self.nuls, other.nuls]),
            np.concatenate([self.header, other.header]),
        )

    def take(self, keep: np.ndarray) -> _Lines:
        return _Lines(
            self.texts.filter(pa.array(keep)),
            self.numbers[keep],
            self.why[keep],
            self.nuls[keep],
            self.header[keep],
        )


class GlogStream:
    """Feed chunks in file order; ``records()`` gives every record found, ``result`` the rest."""

    def __init__(self, result: ReaderResult) -> None:
        self.result = result
        self.next_line = 1
        self.header_date = None
        self.host: str | None = None
        self.pending = _Lines()  # the last record so far and its continuation lines
        self.parts: list[ParsedGlog] = []
        self.nul_prefixed = 0  # lines whose NUL run (and what preceded it) was left out

    # -- input ------------------------------------------------------------------------------------
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
        for k, (part, lines) in enumerate(parts := list(line_parts(chunk.data, count))):
            final = chunk.final and k == len(parts) - 1
            if only_newlines(part) and lines > CONTINUATION_CAP:
                self._feed_empty_lines(lines)
            else:
                self._feed_part(part, chunk.dropped_nuls if chunk.dropped else 0, final)
            self.next_line += lines

    def finish(self) -> None:
        """Settle what is still carried (the file's last record)."""
        if len(self.pending):
            self._parse(self.pending, final=True)
            self.pending = _Lines()

    # -- parts ------------------------------------------------------------------------------------
    def _feed_empty_lines(self, count: int) -> None:
        """A flood of empty lines, without a step per line: continuation lines of the open
        record up to its cap, the rest one run of rejected empty lines."""
        room = 0
        if len(self.pending):
            room = max(CONTINUATION_CAP - (len(self.pending) - 1), 0)
            room = min(room, count)
            numbers = np.arange(self.next_line, self.next_line + room, dtype=np.int64)
            empty = _Lines(
                pa.array([""] * room, pa.string()), numbers, np.zeros(room, np.int8),
                np.zeros(room, np.int64), np.zeros(room, bool),
            )  # fmt: skip
            self.pending = self.pending.joined(empty)
        self.result.bad.add_run(self.next_line + room, count - room, EMPTY_LINE)

    def _feed_part(self, data: memoryview | bytes, dropped_nuls: int, final: bool) -> None:
        lines = split_lines(data, self.next_line)
        texts = _line_strings(lines)
        nuls = np.asarray(pc.count_substring(texts, "\x00"), dtype=np.int64)
        if dropped_nuls:  # a long line whose leading NUL run was already left out
            nuls[0] += dropped_nuls
        with_nul = nuls > 0
        why = np.zeros(lines.count, dtype=np.int8)
        if with_nul.any():
            # The text after a line's last NUL byte is the line.
            texts = pc.replace_substring_regex(texts, r"^(?s:.*)\x00", "")
            rest = np.asarray(pc.utf8_length(pc.utf8_trim_whitespace(texts)), dtype=np.int64)
            only = with_nul & (rest == 0)
            why[only] = NUL_ONLY
            self.nul_prefixed += int(np.count_nonzero(with_nul & ~only))
        header = np.zeros(lines.count, dtype=bool)
        if lines.first_line == 1:
            header[: self._read_header(texts)] = True
        part = _Lines(texts, lines.line_numbers, why, nuls, header)
        self._parse(self.pending.joined(part), final)

    def _read_header(self, texts: pa.Array) -> int:
        """Header lines at the file's start (date, machine); how many there are."""
        n = 0
        for i in range(min(len(texts), HEADER_LINES)):
            text = texts[i].as_py() or ""
            if (m := HEADER_CREATED.match(text)) is not None:
                self.header_date = _date(m.group(1), m.group(2), m.group(3))
            elif (m := HEADER_MACHINE.match(text)) is not None:
                self.host = m.group(1).strip() or None
            elif not HEADER_OTHER.match(text):
                break
            n = i + 1
        return n

    def _parse(self, lines: _Lines, final: bool) -> None:
        n = len(lines)
        skip = (lines.why != NO_REASON) | lines.header
        shaped = np.asarray(
            pc.fill_null(pc.match_substring_regex(lines.texts, GLOG_LINE), False), dtype=bool
        )
        shaped &= ~skip
        # Continuation lines past the cap of their record are left out (and rejected).
        last_record = np.maximum.accumulate(np.where(shaped, np.arange(n), -1)) if n else shaped
        excess = (
            ~shaped & ~skip & (last_record >= 0) & (np.arange(n) - last_record > CONTINUATION_CAP)
        )
        lines.why[excess] = EXCESS
        skip |= excess
        parsed = parse_glog_lines(lines.texts, lines.numbers, None, skip=skip)
        settled = n
        if not final and parsed.count:
            settled = int(parsed.first[-1])  # the last record may go on in the next part
            parsed = _first_records(parsed, parsed.count - 1)
        self._report(lines, parsed, settled, excess)
        if parsed.count:
            self.parts.append(parsed)
        carried = np.zeros(n, dtype=bool)
        carried[settled:] = True
        self.pending = lines.take(carried & ~excess)  # reported lines are not carried again

    def _report(self, lines: _Lines, parsed: ParsedGlog, settled: int, excess: np.ndarray) -> None:
        """Reject the settled lines that are no part of a record (and the excess ones, now).
        Runs of empty lines (and of lines past the cap) are one entry each, found vectorised."""
        bad = self.result.bad
        texts = lines.texts
        n = len(lines)
        blank = np.asarray(pc.equal(pc.utf8_length(texts), 0), dtype=bool)
        in_part = np.arange(n) < settled
        orphan = np.zeros(n, dtype=bool)
        orphan[:settled] = parsed.orphan[:settled] & ~excess[:settled]
        invalid = np.zeros(n, dtype=bool)
        invalid[:settled] = parsed.invalid[:settled]
        nul_only = in_part & (lines.why == NUL_ONLY)
        # Codes: 1 empty line, 2 past the cap (both as runs), 3 one reason per line.
        code = np.zeros(n, dtype=np.int8)
        code[(orphan | excess) & blank] = 1
        code[excess & ~blank] = 2
        code[(orphan & ~blank) | invalid | nul_only] = 3
        _add_runs(bad, lines.numbers, code)
        for i in np.flatnonzero(code == 3).tolist():
            number = int(lines.numbers[i])
            if nul_only[i]:
                bad.add(number, _nul_reason(int(lines.nuls[i])))
            elif invalid[i]:
                text = texts[i].as_py()[:30]
                bad.add(number, f"glog line with an impossible date or time: {text!r}")
            else:
                bad.add(number, f"not a glog line: {texts[i].as_py()[:60]!r}")

    # -- output -----------------------------------------------------------------------------------
    def records(self) -> ParsedGlog:
        """Every record found, in file order, as one ``ParsedGlog``."""
        return _concat(self.parts)


def _add_runs(bad: BadLines, numbers: np.ndarray, code: np.ndarray) -> None:
    """Runs of consecutive lines with code 1 (empty) or 2 (past the cap) as run entries."""
    at = np.flatnonzero((code == 1) | (code == 2))
    if not len(at):
        return
    nums, codes = numbers[at], code[at]
    starts = np.flatnonzero(np.concatenate([[True], (np.diff(nums) != 1) | (np.diff(codes) != 0)]))
    lengths = np.diff(np.append(starts, len(at)))
    for first, length in zip(starts.tolist(), lengths.tolist(), strict=True):
        reason = EMPTY_LINE if codes[first] == 1 else PAST_CAP
        bad.add_run(int(nums[first]), length, reason)


def _nul_reason(count: int) -> str:
    return f"{count:,} NUL bytes (a crash left a zero-filled block)"


def _first_records(parsed: ParsedGlog, k: int) -> ParsedGlog:
    """``parsed`` with only its first ``k`` records (per-line flags unchanged)."""
    return ParsedGlog(
        first=parsed.first[:k], severity=parsed.severity[:k], month=parsed.month[:k],
        day=parsed.day[:k], clock=tuple(c[:k] for c in parsed.clock),  # type: ignore[arg-type]
        thread=parsed.thread[:k], file=parsed.file[:k], src_line=parsed.src_line[:k],
        message=parsed.message[:k], line=parsed.line[:k], item=parsed.item[:k],
        orphan=parsed.orphan, invalid=parsed.invalid,
    )  # fmt: skip


def _concat(parts: list[ParsedGlog]) -> ParsedGlog:
    def arrays(name: str) -> pa.Array:
        chunks = [getattr(p, name) for p in parts]
        return pa.concat_arrays(chunks) if chunks else pa.array([], pa.string())

    def numbers(get) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.concatenate([get(p) for p in parts]) if parts else np.zeros(0, np.int64)

    empty = np.zeros(0, bool)
    return ParsedGlog(
        first=numbers(lambda p: p.first), severity=arrays("severity"),
        month=numbers(lambda p: p.month), day=numbers(lambda p: p.day),
        clock=tuple(numbers(lambda p, i=i: p.clock[i]) for i in range(4)),  # type: ignore[arg-type]
        thread=arrays("thread") if parts else pa.array([], pa.int64()),
        file=arrays("file"),
        src_line=arrays("src_line") if parts else pa.array([], pa.int32()),
        message=arrays("message"), line=numbers(lambda p: p.line),
        item=arrays("item") if parts else pa.array([], pa.int32()),
        orphan=empty, invalid=empty,
    )  # fmt: skip


def read_glog(
    path: str,
    source: str | None = None,
    *,
    options: GlogOptions | None = None,
    progress: Progress | None = None,
) -> ReaderResult:
    """Read a glog status file into ``STATUS`` rows; every line is loaded or rejected."""
    source = source or path
    options = options or GlogOptions()
    result = ReaderResult(kind="status_log_glog")
    stream = GlogStream(result)
    try:
        for chunk in iter_chunks(path):
            stream.feed(chunk)
            report(progress, chunk.fraction * 0.8, f"{source}: line {stream.next_line - 1:,}")
    except StreamError as exc:
        result.notes.append(f"compressed data is truncated or corrupt: {exc}; the rest was loaded")
    stream.finish()
    result.lines_loaded = result.lines_read - len(result.bad)
    if stream.nul_prefixed:
        result.notes.append(
            f"{stream.nul_prefixed:,} lines began with a NUL run (a crash remnant) that was left "
            "out; the glog line after it was read"
        )
    parsed = stream.records()
    anchor, how = _anchor_date(path, stream.header_date, options)
    if stream.host:
        result.meta["host"] = stream.host
    if anchor is not None:
        years = place_years(anchor, parsed.month, parsed.day)
    elif options.year is not None:
        years = place_years(None, parsed.month, parsed.day, options.year)
        result.notes.append(f"glog lines carry no year: {options.year} as given")
    else:
        years, how = _years_from_mtime(path, parsed)
        result.meta["year_assumed"] = True
    if how:
        result.notes.append(how)
    local_us = civil_to_us(years, parsed.month, parsed.day, *parsed.clock)
    zone = options.zone
    result.notes.append(f"glog local times converted to UTC from time zone {zone}")
    result.status = parsed.table(source, "glog", local_to_utc(local_us, zone), stream.host)
    report(progress, 1.0, f"{source}: done")
    return result
