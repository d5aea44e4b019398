"""Reader for osquery's glog status files (``osqueryd.INFO.<stamp>.<pid>``) and for glog lines
captured from osqueryd's stderr inside JSON (a launcher's ``msg``).

glog writes local wall-clock time without a year. The year comes from the file header
(``Log file created at: YYYY/MM/DD``), else the file name stamp (``YYYYMMDD-HHMMSS``), else a
parameter, else the file's modification time, and the reader says which. Lines are placed on the
calendar relative to their neighbours, so a file crossing New Year — or a late line from a
thread still in the old year — gets the right year. Local time becomes UTC with the given time
zone (default: this machine's). Parsing is vectorised with pyarrow's regex kernels; continuation
lines join their message.
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
from inspector.model.options import LoadOptions
from inspector.progress import Progress, report
from inspector.readers.result import ReaderResult
from inspector.schema import STATUS, TIMESTAMP
from inspector.timezones import civil_to_us, local_to_utc, machine_timezone

GLOG_LINE = (
    r"^(?P<sev>[IWEF])(?P<mo>\d\d)(?P<dd>\d\d) (?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d)\.(?P<us>\d{6})"
    r" +(?P<tid>\d+) (?P<file>[^:\]]+):(?P<sl>\d+)\] ?(?P<msg>.*)$"
)
HEADER_CREATED = re.compile(r"^Log file created at: (\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)")
HEADER_MACHINE = re.compile(r"^Running on machine: (.*)$")
HEADER_OTHER = re.compile(r"^(Running duration \(h:mm:ss\): |Log line format: )")
FILENAME_STAMP = re.compile(r"\.(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)\.\d+(?:\.(?:gz|zst|zstd))?$")
SEVERITY = {"I": "INFO", "W": "WARNING", "E": "ERROR", "F": "FATAL"}
DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
HALF_YEAR_DAYS = 183


@dataclass
class GlogOptions:
    """How to place glog's year-less local times: a time zone and, optionally, a year."""

    tz: str | None = None  # IANA name; None = this machine's zone
    year: int | None = None  # used when the file does not say (no header, no dated name)

    @property
    def zone(self) -> str:
        return self.tz or machine_timezone()


def glog_options(options: LoadOptions) -> GlogOptions:
    """The glog reader's view of a run's load options."""
    return GlogOptions(tz=options.tz, year=options.year)


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
    data = bytearray()
    try:
        for chunk in iter_chunks(path):
            data += chunk.data
            report(progress, chunk.fraction * 0.5, f"{source}: reading")
    except StreamError as exc:
        result.notes.append(f"compressed data is truncated or corrupt: {exc}; the rest was loaded")
    lines = split_lines(bytes(data), 1)
    result.lines_read = lines.count
    texts = _line_strings(lines)
    nul = np.asarray(pc.fill_null(pc.match_substring(texts, "\x00"), False), dtype=bool)

    header_date, host, n_header = None, None, 0
    for i in range(min(lines.count, 6)):
        text = texts[i].as_py()
        if (m := HEADER_CREATED.match(text)) is not None:
            header_date = _date(m.group(1), m.group(2), m.group(3))
        elif (m := HEADER_MACHINE.match(text)) is not None:
            host = m.group(1).strip() or None
        elif not HEADER_OTHER.match(text):
            break
        n_header = i + 1
    anchor, how = _anchor_date(path, header_date, options)
    if host:
        result.meta["host"] = host

    skip = nul.copy()
    skip[:n_header] = True
    parsed = parse_glog_lines(texts, lines.line_numbers, None, skip=skip)
    report(progress, 0.8, f"{source}: parsing")
    for i in np.flatnonzero(nul).tolist():
        count = texts[i].as_py().count("\x00")
        result.bad.add(i + 1, f"{count:,} NUL bytes (a crash left a zero-filled block)")
    for i in np.flatnonzero(parsed.invalid).tolist():
        result.bad.add(
            i + 1, f"glog line with an impossible date or time: {texts[i].as_py()[:30]!r}"
        )
    for i in np.flatnonzero(parsed.orphan).tolist():
        sample = texts[i].as_py()[:60]
        result.bad.add(
            i + 1, "empty line" if not sample.strip() else f"not a glog line: {sample!r}"
        )
    result.lines_loaded = result.lines_read - len(result.bad)

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
    result.status = parsed.table(source, "glog", local_to_utc(local_us, zone), host)
    report(progress, 1.0, f"{source}: done")
    return result


def _date(year: str | int, month: str | int, day: str | int) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _line_strings(lines: LineChunk) -> pa.Array:
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


def _anchor_date(
    path: str, header: dt.date | None, options: GlogOptions
) -> tuple[dt.date | None, str | None]:
    """A date the file's first lines are near: its header, else its file name's stamp."""
    if header is not None:
        return header, None
    if (m := FILENAME_STAMP.search(os.path.basename(path))) is not None:
        stamp = _date(m.group(1), m.group(2), m.group(3))
        if stamp is not None:
            return stamp, None
    return None, None


def _years_from_mtime(path: str, parsed: ParsedGlog) -> tuple[np.ndarray, str]:
    """No header or dated name: the last line was written before the file's modification time."""
    try:
        mtime = dt.date.fromtimestamp(os.path.getmtime(path))
    except OSError:
        mtime = dt.date.today()
    relative = place_years(None, parsed.month, parsed.day, 0)
    if len(relative):
        last = (int(parsed.month[-1]), int(parsed.day[-1]))
        last_year = mtime.year if last <= (mtime.month, mtime.day) else mtime.year - 1
        relative = relative - relative[-1] + last_year
    return relative, (
        "glog lines carry no year and the file has no header or dated name: years were taken from "
        f"the file's modification time ({mtime.isoformat()}); pass --year to set them"
    )


def place_years(
    anchor: dt.date | None, months: np.ndarray, days: np.ndarray, year: int | None = None
) -> np.ndarray:
    """Give each (month, day) a year: the first line is within half a year of ``anchor``
    (or in ``year``), and each next line within half a year of the line before it."""
    n = len(months)
    if not n:
        return np.zeros(0, dtype=np.int64)
    ordinal = (months - 1) * 31 + (days - 1)  # monotone within a year, enough to compare
    if anchor is not None:
        start = anchor.year
        delta = ordinal[0] - ((anchor.month - 1) * 31 + (anchor.day - 1))
        if delta < -HALF_YEAR_DAYS:
            start += 1  # header written on Dec 31, first line on Jan 1
        elif delta > HALF_YEAR_DAYS:
            start -= 1  # an excerpt from before the date we know
    else:
        start = year if year is not None else dt.date.today().year
    step = np.diff(ordinal)
    change = np.where(step < -HALF_YEAR_DAYS, 1, np.where(step > HALF_YEAR_DAYS, -1, 0))
    return start + np.concatenate([[0], np.cumsum(change)])


@dataclass
class ParsedGlog:
    """Per-record fields of glog lines, and what became of each input line."""

    first: np.ndarray  # index of each record's first line
    severity: pa.Array
    month: np.ndarray
    day: np.ndarray
    clock: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    thread: pa.Array
    file: pa.Array
    src_line: pa.Array
    message: pa.Array
    line: np.ndarray
    item: pa.Array
    orphan: np.ndarray  # per input line: part of no record (rejected by the caller)
    invalid: np.ndarray  # per input line: shaped like glog, but its date or time is impossible

    @property
    def count(self) -> int:
        return len(self.first)

    def table(self, source: str, fmt: str, log_time: pa.Array, host: str | None) -> pa.Table:
        n = self.count
        zeros = pa.array(np.zeros(n, np.int32))
        return pa.table(
            {
                "source": pa.DictionaryArray.from_arrays(zeros, pa.array([source])),
                "line": pa.array(self.line, pa.int64()),
                "item": self.item,
                "format": pa.DictionaryArray.from_arrays(zeros, pa.array([fmt])),
                "host": pc.dictionary_encode(pa.array([host] * n, pa.string())),
                "severity": pc.dictionary_encode(self.severity),
                "log_time": log_time,
                "thread": self.thread,
                "file": self.file,
                "src_line": self.src_line,
                "message": self.message,
                "marker": pa.nulls(n, STATUS.field("marker").type),
                "subject": pa.nulls(n, pa.string()),
                "version": pa.nulls(n, pa.string()),
            }
        ).cast(STATUS)


def _bounded_int(text: pa.Array, digits: int, typ: pa.DataType) -> pa.Array:
    """Digits → integer, NULL when longer than ``digits`` (an overflow is damage, not a value)."""
    fits = pc.less_equal(pc.utf8_length(text), digits)
    return pc.cast(pc.if_else(fits, text, pa.scalar(None, pa.string())), typ)


def parse_glog_lines(
    texts: pa.Array,
    line_numbers: np.ndarray,
    items: np.ndarray | None,
    *,
    skip: np.ndarray | None = None,
    breaks: np.ndarray | None = None,
) -> ParsedGlog:
    """Parse glog lines; unprefixed lines continue the previous record's message.

    ``skip`` marks lines to leave out (headers, NUL garbage); ``breaks`` marks lines where a
    continuation may not reach across (e.g. the start of another JSON record).
    """
    n = len(texts)
    skip = np.zeros(n, dtype=bool) if skip is None else skip
    fields = pc.extract_regex(texts, GLOG_LINE)
    shaped = np.asarray(pc.is_valid(fields), dtype=bool) & ~skip
    invalid = shaped & ~_valid_clock(fields)
    is_record = shaped & ~invalid
    skip = skip | invalid
    group = np.cumsum(is_record) - 1
    if breaks is not None:
        # A continuation belongs to the record only if no break lies between them.
        last_break = np.maximum.accumulate(np.where(breaks, np.arange(n), -1))
        rec_idx = np.flatnonzero(is_record)
        first_of_group = np.full(len(rec_idx), -1)
        first_of_group[group[rec_idx]] = rec_idx
        owner = np.full(n, -1)
        grouped = group >= 0
        owner[grouped] = first_of_group[group[grouped]]
        crosses = (owner >= 0) & (last_break > owner)
        group = np.where(crosses & ~is_record, -1, group)
    member = (group >= 0) & ~skip
    orphan = ~member & ~skip

    rec = np.flatnonzero(is_record)
    mask = pa.array(is_record)
    f = fields.filter(mask)
    values = pc.if_else(mask, pc.struct_field(fields, "msg"), texts).filter(pa.array(member))
    offsets = np.searchsorted(group[member], np.arange(len(rec) + 1)).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), "\n")

    def ints(name: str) -> np.ndarray:
        return np.asarray(pc.cast(pc.struct_field(f, name), pa.int64()))

    return ParsedGlog(
        first=rec,
        severity=_severity_names(pc.struct_field(f, "sev")),
        month=ints("mo"),
        day=ints("dd"),
        clock=(ints("hh"), ints("mi"), ints("ss"), ints("us")),
        thread=_bounded_int(pc.struct_field(f, "tid"), 18, pa.int64()),
        file=pc.struct_field(f, "file"),
        src_line=_bounded_int(pc.struct_field(f, "sl"), 9, pa.int32()),
        message=pc.utf8_rtrim_whitespace(joined),
        line=line_numbers[rec],
        item=pa.array(items[rec], pa.int32())
        if items is not None
        else pa.nulls(len(rec), pa.int32()),
        orphan=orphan,
        invalid=invalid,
    )


def _valid_clock(fields: pa.StructArray) -> np.ndarray:
    """Per line: month, day and time of day are possible (Feb 29 allowed: the year is unknown)."""

    def ints(name: str) -> np.ndarray:
        return np.asarray(pc.fill_null(pc.cast(pc.struct_field(fields, name), pa.int64()), -1))

    month, day = ints("mo"), ints("dd")
    ok = (month >= 1) & (month <= 12) & (day >= 1)
    ok &= day <= DAYS_IN_MONTH[np.clip(month, 0, 12)]
    ok &= (ints("hh") < 24) & (ints("mi") < 60) & (ints("ss") < 61)
    return ok


def _severity_names(letters: pa.Array) -> pa.Array:
    keys = pa.array(list(SEVERITY))
    names = pa.array(list(SEVERITY.values()))
    return pc.take(names, pc.index_in(letters, keys))


def parse_glog_in_json(
    wrapped: pa.Table, source: str, options: GlogOptions
) -> tuple[pa.Table, list[str], set[tuple[int, int | None]]]:
    """Status rows from glog lines that a launcher wrapped in JSON (``msg``, with a UTC ``ts``).

    The record's UTC ``ts`` fixes both the year and the offset of glog's local time, rounded to
    a quarter hour; where ``ts`` is missing the year/time-zone options apply. Also returns the
    (line, item) of JSON records whose ``msg`` held something that is not a glog line.
    """
    msgs = wrapped.column("msg").combine_chunks().cast(pa.string())
    parts = pc.split_pattern_regex(msgs, r"\r?\n")
    parent = np.asarray(pc.list_parent_indices(parts))
    sub = pc.list_flatten(parts)
    firsts = np.ones(len(parent), dtype=bool)
    firsts[1:] = parent[1:] != parent[:-1]
    item_within = np.arange(len(parent)) - np.flatnonzero(firsts)[np.cumsum(firsts) - 1]
    base_item = np.asarray(pc.fill_null(wrapped.column("item").combine_chunks(), 0), dtype=np.int64)
    lines = np.asarray(wrapped.column("line").combine_chunks(), dtype=np.int64)[parent]
    items = base_item[parent] + item_within
    parsed = parse_glog_lines(sub, lines, items, breaks=firsts)
    bad = np.flatnonzero((parsed.orphan | parsed.invalid) & firsts)
    item_col = wrapped.column("item").combine_chunks().to_numpy(zero_copy_only=False)
    orphans = {(int(lines[i]), item_col[parent[i]]) for i in bad}

    ts_us = np.asarray(
        pc.fill_null(wrapped.column("ts_us").combine_chunks(), np.iinfo(np.int64).min)
    )
    rec_ts = ts_us[parent[parsed.first]]
    has_ts = rec_ts != np.iinfo(np.int64).min
    ts_dates = rec_ts.astype("datetime64[us]")
    ts_year = ts_dates.astype("datetime64[Y]").astype(np.int64) + 1970
    ts_month = ts_dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    fallback = place_years(None, parsed.month, parsed.day, options.year)
    years = np.where(has_ts, ts_year, fallback)
    years = (
        years
        - ((parsed.month == 12) & (ts_month == 1) & has_ts)
        + ((parsed.month == 1) & (ts_month == 12) & has_ts)
    )
    local_us = civil_to_us(years, parsed.month, parsed.day, *parsed.clock)
    quarter = 15 * 60 * 1_000_000
    utc_us = local_us - np.round((local_us - rec_ts) / quarter).astype(np.int64) * quarter
    notes = ["glog lines inside JSON: year and UTC offset taken from each record's own timestamp"]
    if not has_ts.all():
        zone_us = np.asarray(local_to_utc(local_us, options.zone).cast(pa.int64()))
        utc_us = np.where(has_ts, utc_us, zone_us)
        notes.append(f"some wrapped glog lines had no timestamp: time zone {options.zone} assumed")
    table = parsed.table(source, "glog_in_json", pa.array(utc_us, pa.int64()).cast(TIMESTAMP), None)
    return table, notes, orphans
