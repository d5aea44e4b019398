"""Reader for osquery's glog status files (``osqueryd.INFO.<stamp>.<pid>``) and for glog lines
captured from osqueryd's stderr inside JSON (a launcher's ``msg``).

glog writes local wall-clock time without a year. The year comes from the file header
(``Log file created at: YYYY/MM/DD``), else the file name stamp (``YYYYMMDD-HHMMSS``), else a
parameter, else the file's modification time, and the reader says which. A Dec → Jan step rolls the
year over. Local time becomes UTC with the given time zone (default: this machine's).
Parsing is vectorised with pyarrow's regex kernels; continuation lines join their message.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.progress import Progress, report
from inspector.readers.line_index import LineChunk, invalid_utf8_lines, split_lines
from inspector.readers.result import ReaderResult
from inspector.readers.source_file import StreamError, iter_chunks
from inspector.schema import STATUS, TIMESTAMP
from inspector.timezones import civil_to_us, local_to_utc, machine_timezone

GLOG_LINE = (
    r"^(?P<sev>[IWEF])(?P<mo>\d\d)(?P<dd>\d\d) (?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d)\.(?P<us>\d{6})"
    r" +(?P<tid>\d+) (?P<file>[^:\]]+):(?P<sl>\d+)\] ?(?P<msg>.*)$"
)
HEADER_CREATED = re.compile(r"^Log file created at: (\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)")
HEADER_MACHINE = re.compile(r"^Running on machine: (.*)$")
HEADER_OTHER = re.compile(r"^(Running duration \(h:mm:ss\): |Log line format: )")
FILENAME_STAMP = re.compile(r"\.(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)\.\d+$")
SEVERITY = {"I": "INFO", "W": "WARNING", "E": "ERROR", "F": "FATAL"}


@dataclass
class GlogOptions:
    """How to place glog's year-less local times: a time zone and, optionally, a year."""

    tz: str | None = None  # IANA name; None = this machine's zone
    year: int | None = None  # overrides header/file name/mtime when given

    @property
    def zone(self) -> str:
        return self.tz or machine_timezone()


def looks_like_glog(lines: list[str]) -> bool:
    """Sniff: most non-header lines of a head sample are glog lines."""
    pattern = re.compile(GLOG_LINE)
    body = [ln for ln in lines if ln.strip() and not _is_header(ln)]
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
    nul = np.asarray(pc.match_substring(texts, "\x00"))

    header_year, host = None, None
    n_header = 0
    for i in range(min(lines.count, 6)):
        text = texts[i].as_py()
        if (m := HEADER_CREATED.match(text)) is not None:
            header_year = int(m.group(1))
        elif (m := HEADER_MACHINE.match(text)) is not None:
            host = m.group(1).strip() or None
        elif not HEADER_OTHER.match(text):
            break
        n_header = i + 1
    year, how = _base_year(path, header_year, options, texts, n_header)
    if how:
        result.notes.append(how)
        result.meta["year_assumed"] = options.year is None
    if host:
        result.meta["host"] = host

    is_header = np.zeros(lines.count, dtype=bool)
    is_header[:n_header] = True
    parsed = parse_glog_lines(texts, lines.line_numbers, None, skip=is_header | nul)
    for i in np.flatnonzero(nul).tolist():
        count = texts[i].as_py().count("\x00")
        result.bad.add(i + 1, f"{count:,} NUL bytes (a crash left a zero-filled block)")
    for i in np.flatnonzero(parsed.orphan).tolist():
        sample = texts[i].as_py()[:60]
        result.bad.add(
            i + 1, "empty line" if not sample.strip() else f"not a glog line: {sample!r}"
        )
    result.lines_loaded = result.lines_read - len(result.bad)

    years = _roll_years(np.full(parsed.count, year, dtype=np.int64), parsed.month)
    local_us = civil_to_us(years, parsed.month, parsed.day, *parsed.clock)
    zone = options.zone
    log_time = local_to_utc(local_us, zone)
    result.notes.append(f"glog local times converted to UTC from time zone {zone}")
    result.status = parsed.table(source, "glog", log_time, host)
    report(progress, 1.0, f"{source}: done")
    return result


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


def _base_year(
    path: str, header_year: int | None, options: GlogOptions, texts: pa.Array, first: int
):
    if options.year is not None:
        return options.year, f"year {options.year} given as a parameter"
    if header_year is not None:
        return header_year, None
    if (m := FILENAME_STAMP.search(os.path.basename(path))) is not None:
        return int(m.group(1)), None
    try:
        mtime = dt.datetime.fromtimestamp(os.path.getmtime(path))
    except OSError:
        mtime = dt.datetime.now()
    year = mtime.year
    first_line = next(
        (texts[i].as_py() for i in range(first, len(texts)) if texts[i].as_py()[:1] in "IWEF"), ""
    )
    m = re.match(r"^[IWEF](\d\d)(\d\d)", first_line)
    if m and (int(m.group(1)), int(m.group(2))) > (mtime.month, mtime.day):
        year -= 1
    return year, (
        f"glog lines carry no year and the file has no header or dated name: assumed {year} "
        "from the file's modification time"
    )


def _roll_years(years: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Add a year at every December → January step (glog files can span New Year)."""
    if len(months) < 2:
        return years
    step = (months[1:] <= 2) & (months[:-1] >= 11)
    return years + np.concatenate([[0], np.cumsum(step)])


@dataclass
class ParsedGlog:
    """Per-record fields of glog lines, and which input lines belonged to no record."""

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
    orphan: np.ndarray  # per input line: not part of any record (rejected by the caller)

    @property
    def count(self) -> int:
        return len(self.first)

    def table(self, source: str, fmt: str, log_time: pa.Array, host: str | None) -> pa.Table:
        n = self.count
        return pa.table(
            {
                "source": pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(n, np.int32)), pa.array([source])
                ),
                "line": pa.array(self.line, pa.int64()),
                "item": self.item,
                "format": pa.DictionaryArray.from_arrays(
                    pa.array(np.zeros(n, np.int32)), pa.array([fmt])
                ),
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
    is_record = np.asarray(pc.is_valid(fields)) & ~skip
    group = np.cumsum(is_record) - 1
    if breaks is not None:
        # A continuation belongs to the record only if no break lies between them.
        last_break = np.maximum.accumulate(np.where(breaks, np.arange(n), -1))
        first_of_group = np.full(max(int(group.max(initial=-1)) + 1, 0), -1)
        rec_idx = np.flatnonzero(is_record)
        first_of_group[group[rec_idx]] = rec_idx
        owner = np.where(group >= 0, first_of_group[np.maximum(group, 0)], -1)
        crosses = (owner >= 0) & (last_break > owner)
        group = np.where(crosses & ~is_record, -1, group)
    member = (group >= 0) & ~skip
    orphan = ~member & ~skip

    rec = np.flatnonzero(is_record)
    f = fields.filter(pa.array(is_record))
    values = pc.if_else(pa.array(is_record), pc.struct_field(fields, "msg"), texts)
    values = values.filter(pa.array(member))
    group_of_member = group[member]
    offsets = np.searchsorted(group_of_member, np.arange(len(rec) + 1)).astype(np.int32)
    joined = pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), "\n")
    message = pc.utf8_rtrim_whitespace(joined)

    def ints(name: str) -> np.ndarray:
        return np.asarray(pc.cast(pc.struct_field(f, name), pa.int64()))

    return ParsedGlog(
        first=rec,
        severity=_severity_names(pc.struct_field(f, "sev")),
        month=ints("mo"),
        day=ints("dd"),
        clock=(ints("hh"), ints("mi"), ints("ss"), ints("us")),
        thread=pc.cast(pc.struct_field(f, "tid"), pa.int64()),
        file=pc.struct_field(f, "file"),
        src_line=pc.cast(pc.struct_field(f, "sl"), pa.int32()),
        message=message,
        line=line_numbers[rec],
        item=pa.array(items[rec], pa.int32())
        if items is not None
        else pa.nulls(len(rec), pa.int32()),
        orphan=orphan,
    )


def _severity_names(letters: pa.Array) -> pa.Array:
    keys = pa.array(list(SEVERITY))
    names = pa.array(list(SEVERITY.values()))
    return pc.take(names, pc.index_in(letters, keys))


def parse_glog_in_json(
    wrapped: pa.Table, source: str, options: GlogOptions
) -> tuple[pa.Table, list[str]]:
    """Status rows from glog lines that a launcher wrapped in JSON (``msg``, with a UTC ``ts``).

    The record's UTC ``ts`` fixes both the year and the offset of glog's local time, rounded to
    a quarter hour; where ``ts`` is missing the year/time-zone options apply.
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

    ts_us = np.asarray(
        pc.fill_null(wrapped.column("ts_us").combine_chunks(), np.iinfo(np.int64).min)
    )
    rec_ts = ts_us[parent[parsed.first]]
    has_ts = rec_ts != np.iinfo(np.int64).min
    ts_dates = rec_ts.astype("datetime64[us]")
    ts_year = ts_dates.astype("datetime64[Y]").astype(np.int64) + 1970
    ts_month = ts_dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    fallback_year = options.year or dt.date.today().year
    years = np.where(has_ts, ts_year, fallback_year)
    years = (
        years
        - ((parsed.month == 12) & (ts_month == 1) & has_ts)
        + ((parsed.month == 1) & (ts_month == 12) & has_ts)
    )
    local_us = civil_to_us(years, parsed.month, parsed.day, *parsed.clock)
    quarter = 15 * 60 * 1_000_000
    offset = np.round((local_us - rec_ts) / quarter).astype(np.int64) * quarter
    utc_from_ts = local_us - offset
    notes = ["glog lines inside JSON: year and UTC offset taken from each record's own timestamp"]
    if not has_ts.all():
        fallback = np.asarray(local_to_utc(local_us, options.zone).cast(pa.int64()))
        utc_from_ts = np.where(has_ts, utc_from_ts, fallback)
        notes.append(f"some wrapped glog lines had no timestamp: time zone {options.zone} assumed")
    log_time = pa.array(utc_from_ts, pa.int64()).cast(TIMESTAMP)
    table = parsed.table(source, "glog_in_json", log_time, None)
    return table, notes
