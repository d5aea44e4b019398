"""glog's line format, parsed vectorised: ``<S><MM><DD> hh:mm:ss.uuuuuu <tid> <file>:<line>] <msg>``.

Shared by every reader that meets glog lines: osquery's own status files, the system log
(journald, syslog), a launcher's JSON or logfmt logs. glog writes the agent's local wall-clock
time without a year: the parse keeps month, day and clock; the caller places them on a calendar
(``local_dates``) and the loading pipeline on UTC (the agent's zone).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.model.options import LoadOptions
from inspector.schema import STATUS, TIMESTAMP

GLOG_LINE = (
    r"^(?P<sev>[IWEF])(?P<mo>\d\d)(?P<dd>\d\d) (?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d)\.(?P<us>\d{6})"
    r" +(?P<tid>\d+) (?P<file>[^:\]]+):(?P<sl>\d+)\] ?(?P<msg>.*)$"
)
SEVERITY = {"I": "INFO", "W": "WARNING", "E": "ERROR", "F": "FATAL"}
DAYS_IN_MONTH = np.array([0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


@dataclass(frozen=True)
class GlogOptions:
    """What a reader needs to place glog's year-less dates: the year, when a file does not say.

    The time zone is not a reader's business: rows keep the wall clock as written (``clock``
    "local") and the loading pipeline places them in the agent's zone."""

    year: int | None = None


def glog_options(options: LoadOptions) -> GlogOptions:
    """The glog readers' view of a run's load options."""
    return GlogOptions(year=options.year)


@dataclass
class ParsedGlog:
    """Per-record fields of glog lines, and what became of each input line.

    A record is a glog line (with its continuation lines when they are joined) or, where
    continuations are not joined, a plain line of its own (``plain``; its time is that of the
    glog line before it)."""

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
    plain: np.ndarray  # per record: a line that is not a glog line
    orphan: np.ndarray  # per input line: part of no record (rejected by the caller)
    invalid: np.ndarray  # per input line: shaped like glog, but its date or time is impossible

    @property
    def count(self) -> int:
        return len(self.first)

    def table(
        self,
        source: str,
        formats: pa.Array | str,
        log_time: pa.Array,
        host: str | pa.Array | None,
        clock: str | pa.Array = "local",
        local_time: pa.Array | None = None,
    ) -> pa.Table:
        """``STATUS`` rows; ``formats``, ``host`` and ``clock``: one value for all, or per record."""
        n = self.count
        zeros = pa.array(np.zeros(n, np.int32))

        def per_row(value: str | pa.Array | None) -> pa.Array:
            if isinstance(value, pa.Array | pa.ChunkedArray):
                return pc.dictionary_encode(value)
            return pc.dictionary_encode(pa.array([value] * n, pa.string()))

        return pa.table(
            {
                "source": pa.DictionaryArray.from_arrays(zeros, pa.array([source])),
                "line": pa.array(self.line, pa.int64()),
                "item": self.item,
                "format": per_row(formats),
                "host": per_row(host),
                "severity": pc.dictionary_encode(self.severity),
                "log_time": log_time,
                "clock": per_row(clock),
                "local_time": local_time
                if local_time is not None
                else pa.nulls(n, pa.timestamp("us")),
                "thread": self.thread,
                "file": self.file,
                "src_line": self.src_line,
                "message": self.message,
                "marker": pa.nulls(n, STATUS.field("marker").type),
                "subject": pa.nulls(n, pa.string()),
                "version": pa.nulls(n, pa.string()),
            }
        ).cast(STATUS)


def bounded_int(text: pa.Array, digits: int, typ: pa.DataType) -> pa.Array:
    """Digits → integer, NULL when longer than ``digits`` (an overflow is damage, not a value)."""
    fits = pc.less_equal(pc.utf8_length(text), digits)
    return pc.cast(pc.if_else(fits, text, pa.scalar(None, pa.string())), typ)


def glog_fields(texts: pa.Array) -> tuple[pa.StructArray, np.ndarray, np.ndarray]:
    """The regex fields of each line, and per line: glog-shaped, and shaped but impossible."""
    fields = pc.extract_regex(texts, GLOG_LINE)
    shaped = np.asarray(pc.is_valid(fields), dtype=bool)
    invalid = shaped & ~_valid_clock(fields)
    return fields, shaped, invalid


def parse_glog_lines(
    texts: pa.Array,
    line_numbers: np.ndarray,
    items: np.ndarray | None,
    *,
    skip: np.ndarray | None = None,
    breaks: np.ndarray | None = None,
    join_continuations: bool = True,
) -> ParsedGlog:
    """Parse glog lines.

    With ``join_continuations`` an unprefixed line continues the previous record's message
    (glog lines captured inside one JSON record); without, it is a record of its own, marked
    ``plain`` and timed by the glog line before it (a glog file interleaved with another
    program's output: never glued to an osquery message). ``skip`` marks lines to leave out
    (headers, NUL garbage, empty lines); ``breaks`` marks lines a continuation may not reach
    across (e.g. the start of another JSON record).
    """
    n = len(texts)
    skip = np.zeros(n, dtype=bool) if skip is None else skip
    fields, shaped, invalid = glog_fields(texts)
    shaped &= ~skip
    invalid &= ~skip
    is_glog = shaped & ~invalid
    skip = skip | invalid
    # Without joining, every line left is a record: glog lines and plain lines alike.
    is_record = is_glog if join_continuations else ~skip
    group = np.cumsum(is_record) - 1
    if join_continuations and breaks is not None:
        group = unbroken_groups(group, is_record, breaks)
    member = (group >= 0) & ~skip
    orphan = ~member & ~skip

    rec = np.flatnonzero(is_record)
    glog_of_rec = is_glog[rec]
    f = fields.filter(pa.array(is_record))
    messages = pc.if_else(pa.array(is_glog), pc.struct_field(fields, "msg"), texts)
    joined = _joined_messages(messages, group, member, len(rec))

    def ints(name: str) -> np.ndarray:
        raw = np.asarray(pc.fill_null(pc.cast(pc.struct_field(f, name), pa.int64()), -1))
        return _carry_forward(raw, glog_of_rec)

    return ParsedGlog(
        first=rec,
        severity=_severity_names(pc.struct_field(f, "sev")),
        month=ints("mo"),
        day=ints("dd"),
        clock=(ints("hh"), ints("mi"), ints("ss"), ints("us")),
        thread=bounded_int(pc.struct_field(f, "tid"), 18, pa.int64()),
        file=pc.struct_field(f, "file"),
        src_line=bounded_int(pc.struct_field(f, "sl"), 9, pa.int32()),
        message=pc.utf8_rtrim_whitespace(joined),
        line=line_numbers[rec],
        item=pa.array(items[rec], pa.int32())
        if items is not None
        else pa.nulls(len(rec), pa.int32()),
        plain=~glog_of_rec,
        orphan=orphan,
        invalid=invalid,
    )


def unbroken_groups(group: np.ndarray, is_record: np.ndarray, breaks: np.ndarray) -> np.ndarray:
    """``group`` (each line's record, -1 for none) with -1 for the continuation lines that a
    break (e.g. the start of another JSON record) separates from their record's first line."""
    n = len(group)
    last_break = np.maximum.accumulate(np.where(breaks, np.arange(n), -1))
    rec_idx = np.flatnonzero(is_record)
    first_of_group = np.full(len(rec_idx), -1)
    first_of_group[group[rec_idx]] = rec_idx
    owner = np.full(n, -1)
    grouped = group >= 0
    owner[grouped] = first_of_group[group[grouped]]
    crosses = (owner >= 0) & (last_break > owner)
    unbroken: np.ndarray = np.where(crosses & ~is_record, -1, group)
    return unbroken


def _joined_messages(
    messages: pa.Array, group: np.ndarray, member: np.ndarray, records: int
) -> pa.Array:
    """Per record, the ``messages`` of its ``member`` lines (in order) joined by newlines."""
    values = messages.filter(pa.array(member))
    offsets = np.searchsorted(group[member], np.arange(records + 1)).astype(np.int32)
    return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), values), "\n")


def _carry_forward(values: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Values of unknown rows taken from the known row before them (from the first known row
    for those before any); -1 everywhere when no row is known."""
    if known.all() or not len(values):
        return values
    if not known.any():
        return np.full(len(values), -1, dtype=np.int64)
    idx = np.where(known, np.arange(len(values)), -1)
    np.maximum.accumulate(idx, out=idx)
    idx[idx < 0] = int(np.flatnonzero(known)[0])
    return values[idx]


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


def naive_timestamps(local_us: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """Wall-clock microseconds as naive timestamps (null where not ``valid``)."""
    mask = None if valid is None or valid.all() else ~valid
    return pa.array(local_us, pa.int64(), mask=mask).cast(pa.timestamp("us"))


def as_utc_placeholder(local: pa.Array) -> pa.Array:
    """A wall-clock time written into ``log_time`` as if it were UTC, until the loading
    pipeline places it in the agent's zone."""
    return local.cast(pa.int64()).cast(TIMESTAMP)
