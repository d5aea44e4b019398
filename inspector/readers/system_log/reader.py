"""Reader for osquery status lines that arrive through the system log.

On systemd hosts the only status log is often journald (``journalctl`` output, ``systemctl
status`` excerpts) or ``/var/log/messages``/``/var/log/syslog``. Those files mix osquery's lines
with every other program's; osquery's are loaded as status rows (``chunk``), the rest counted.

Times: a glog line inside keeps its own time (the system log may have received it later, or be
kept in another zone; when the two clocks disagree the note says by how much). Where the system
log's timestamp carries a UTC offset (ISO timestamps, ``short-full`` with a known zone), it
places each line on UTC (clock "utc") and is evidence of the agent's zone for its other files;
otherwise the rows keep the wall clock (clock "local") for the loading pipeline to place. Year:
ISO forms say it; classic lines get it from a ``since``/``Logs begin at`` line, ``--year``, or the
file's modification time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.files.line_index import split_lines
from inspector.files.source_file import Chunk, StreamError, iter_chunks
from inspector.progress import Progress, report
from inspector.readers.glog import line_strings
from inspector.readers.glog_lines import (
    GlogOptions,
    ParsedGlog,
    as_utc_placeholder,
    naive_timestamps,
)
from inspector.readers.local_dates import place_years, safe_date, years_from_mtime
from inspector.readers.result import ReaderResult
from inspector.readers.system_log.chunk import (
    OSQUERY_PROGRAMS,
    SINCE,
    ChunkRows,
    OsqueryLines,
    join_chunks,
    read_chunk,
)
from inspector.readers.system_log.ellipsis import ELLIPSIS, classify_shortened
from inspector.readers.system_log.prefix import ZONE_ABBREVIATIONS, parse_prefixes
from inspector.schema import TIMESTAMP
from inspector.timezones import civil_to_us

MINUTE_US = 60 * 1_000_000
QUARTER_HOUR_US = 15 * MINUTE_US
ECHO_SECONDS = 5  # a plain line repeating a glog line this close is the same event
CHUNK_BYTES = 8 * 1024 * 1024
# How a system log's first line begins: a month, an ISO date, a weekday (short-full), or the
# decorations of journalctl and systemctl status.
LOOKS_DATED = re.compile(
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) |\d{4}-\d\d-\d\d[T ]"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-|● |-- |\S+\.service - "
)


def sniff_system_log(lines: list[str]) -> float:
    """Most lines carry a system-log prefix and osquery is among the programs (or a
    ``systemctl status`` of osqueryd): 0.85; a system log without osquery in its head: 0.4."""
    body = [ln for ln in lines if ln.strip("\x00 \t")]
    if not body or not LOOKS_DATED.match(body[0].lstrip("\x00")):
        return 0.0  # cheap: most files (JSON lines, glog) fail here without any Arrow work
    texts = pa.array(body[:200], pa.string())
    prefixes = parse_prefixes(texts)
    decorated = sum(1 for ln in body[:200] if ln.startswith(("●", "-- ")) or ":" in ln[:16])
    share = prefixes.found.sum() / max(len(body[:200]), 1)
    programs = set(pc.utf8_lower(prefixes.program).drop_null().to_pylist())
    systemctl = any(ln.startswith("●") and "osquery" in ln for ln in body[:5])
    if (share >= 0.5 or (systemctl and prefixes.found.any())) and programs & set(OSQUERY_PROGRAMS):
        return 0.85
    if share >= 0.8 and decorated:
        return 0.4
    return 0.0


def read_system_log(
    path: str,
    source: str | None = None,
    *,
    options: GlogOptions | None = None,
    progress: Progress | None = None,
    data: bytes | None = None,
    first_line: int = 1,
) -> ReaderResult:
    """Read the osquery status lines of a system log; count every other line.

    ``data``: lines of the file from memory (a followed file's new lines), numbered from
    ``first_line``."""
    source = source or path
    options = options or GlogOptions()
    result = ReaderResult(kind="status_log_syslog")
    chunks: list[ChunkRows] = []
    numbered_from = first_line
    try:
        for chunk in (
            [Chunk(data, True, 1.0)] if data is not None else iter_chunks(path, CHUNK_BYTES)
        ):
            lines = split_lines(chunk.data, first_line)
            chunks.append(read_chunk(line_strings(lines), lines.line_numbers))
            first_line += lines.count
            report(progress, chunk.fraction * 0.8, f"{source}: reading")
    except StreamError as exc:
        result.notes.append(f"compressed data is truncated or corrupt: {exc}; the rest was loaded")
    result.lines_read = first_line - numbered_from
    for c in chunks:
        for line, reason in c.rejected:
            result.bad.add(line, reason)
    result.lines_loaded = result.lines_read - len(result.bad)
    other = sum(c.other for c in chunks)
    result.meta["lines_other"] = other
    rows = join_chunks(chunks)
    since = [s for c in chunks for s in c.since]
    if other:
        result.notes.append(
            f"{other:,} lines are other programs' (kernel, systemd …) or the log's own decorations: "
            "counted, not loaded"
        )
    if not rows.count:
        result.notes.append("no osquery lines in this system log")
        return result
    _place(rows, path, source, since, options, result)
    report(progress, 1.0, f"{source}: done")
    return result


def _place(
    rows: OsqueryLines,
    path: str,
    source: str,
    since: list[str],
    options: GlogOptions,
    result: ReaderResult,
) -> None:
    """Years, times and the status table of the osquery lines."""
    years = _years(rows, path, since, options, result)
    syslog_us = civil_to_us(years, rows.month, rows.day, *rows.clock)
    offset = rows.offset_minutes
    is_glog = rows.form == "syslog_glog"
    glog_years = (
        years
        - ((rows.glog_month == 12) & (rows.month == 1))
        + ((rows.glog_month == 1) & (rows.month == 12))
    )
    glog_us = civil_to_us(
        glog_years, np.where(is_glog, rows.glog_month, 1), np.where(is_glog, rows.glog_day, 1),
        *rows.glog_clock,
    )  # fmt: skip
    local_us = np.where(is_glog, glog_us, syslog_us)
    knows_utc = ~np.isnan(offset)
    syslog_utc = syslog_us - np.nan_to_num(offset).astype(np.int64) * MINUTE_US
    # A glog line's UTC: its own clock, moved by the offset the system log's UTC time implies.
    glog_offset = np.round((glog_us - syslog_utc) / QUARTER_HOUR_US).astype(np.int64)
    utc_us = np.where(is_glog, glog_us - glog_offset * QUARTER_HOUR_US, syslog_utc)
    clock = np.where(knows_utc, "utc", "local")
    log_us = np.where(knows_utc, utc_us, local_us)
    _clock_notes(rows, is_glog, knows_utc, glog_us, syslog_us, syslog_utc, result)
    _zone_evidence(rows, is_glog, knows_utc, glog_offset, _since_anchor(since)[1], result)
    if len(syslog_us) > 1 and np.mean(np.diff(syslog_us) < 0) > 0.5:
        result.notes.append("the lines are newest first (journalctl -r)")

    form = _mark_echoes(rows, log_us, result)
    blank = int(pc.sum(pc.is_null(rows.host).cast(pa.int64())).as_py() or 0)
    if blank:
        result.notes.append(f"{blank:,} lines have a blank host name: they are the run's host's")
    parsed = _as_parsed(rows, form)
    local = naive_timestamps(local_us)
    log_time = pa.array(log_us, pa.int64()).cast(TIMESTAMP)
    log_time = pc.if_else(pa.array(knows_utc), log_time, as_utc_placeholder(local))
    table = parsed.table(source, pa.array(form), log_time, rows.host, pa.array(clock), local)
    result.status = _pre_classify_shortened(table, result)


def _mark_echoes(rows: OsqueryLines, log_us: np.ndarray, result: ReaderResult) -> np.ndarray:
    """Each line's format, with plain repeats of a glog line marked ``syslog_echo``."""
    form = rows.form.copy()
    echo = _echoes(rows, form, log_us)
    form[echo] = "syslog_echo"
    if echo.any():
        result.notes.append(
            f"{int(echo.sum()):,} plain lines repeat a glog line beside them (osquery writes some "
            "events to syslog and stderr both): kept as format 'syslog_echo', counted once as markers"
        )
    return form


def _as_parsed(rows: OsqueryLines, form: np.ndarray) -> ParsedGlog:
    """The osquery lines in the shape the status table is built from (one record per line)."""
    return ParsedGlog(
        first=np.arange(rows.count),
        severity=rows.severity,
        month=rows.month,
        day=rows.day,
        clock=rows.clock,
        thread=rows.thread,
        file=rows.file,
        src_line=rows.src_line,
        message=rows.message,
        line=rows.line,
        item=pa.nulls(rows.count, pa.int32()),
        plain=form != "syslog_glog",
        orphan=np.zeros(0, bool),
        invalid=np.zeros(0, bool),
    )


def _years(
    rows: OsqueryLines, path: str, since: list[str], options: GlogOptions, result: ReaderResult
) -> np.ndarray:
    """Each line's year: its own (ISO forms), else placed from a since line, --year or the
    file's modification time (then ``year_assumed``)."""
    anchor, _ = _since_anchor(since)
    years = rows.year.copy()
    undated = years == 0
    if undated.any():
        months, days = rows.month[undated], rows.day[undated]
        if anchor is not None:
            years[undated] = place_years(anchor, months, days)
        elif options.year is not None:
            years[undated] = place_years(None, months, days, options.year)
            result.notes.append(f"system-log lines carry no year: {options.year} as given")
        else:
            years[undated], how = years_from_mtime(path, months, days)
            result.meta["year_assumed"] = True
            result.notes.append(how)
    return years


def _since_anchor(since: list[str]) -> tuple[dt.date | None, float]:
    """The first dated ``since``/``Logs begin at`` line: its date, and its zone's offset."""
    for text in since:
        m = re.search(SINCE, text)
        if m is None:
            continue
        date = safe_date(m.group("year"), m.group("month"), m.group("day"))
        if date is not None:
            zone = m.group("zone")
            return date, float(ZONE_ABBREVIATIONS.get(zone, np.nan)) if zone else np.nan
    return None, np.nan


def _clock_notes(
    rows: OsqueryLines,
    is_glog: np.ndarray,
    knows_utc: np.ndarray,
    glog_us: np.ndarray,
    syslog_us: np.ndarray,
    syslog_utc: np.ndarray,
    result: ReaderResult,
) -> None:
    both_local = is_glog & ~knows_utc
    if both_local.any():
        gap = np.abs(glog_us[both_local] - syslog_us[both_local]) / 1e6
        if np.median(gap) > 2:
            result.notes.append(
                f"the system log's timestamps and the glog times inside differ (median "
                f"{_duration(float(np.median(gap)))}, at most {_duration(float(gap.max()))}): the glog "
                "times are used"
            )
    if (is_glog & knows_utc).any():
        result.notes.append(
            "glog lines placed on UTC with the offset the system log's own UTC timestamps imply"
        )


def _zone_evidence(
    rows: OsqueryLines,
    is_glog: np.ndarray,
    knows_utc: np.ndarray,
    glog_offset: np.ndarray,
    since_offset: float,
    result: ReaderResult,
) -> None:
    """Offsets of the agent's zone this file shows, for the pipeline to use on other files."""
    evidence = []
    hosts = rows.host.to_pylist()
    votes: Counter[tuple[str | None, int]] = Counter()
    for i in np.flatnonzero(is_glog & knows_utc).tolist():
        votes[(hosts[i], int(glog_offset[i]) * 15)] += 1
    for (host, minutes), count in votes.items():
        evidence.append(
            {"host": host, "offset_minutes": minutes, "votes": count,
             "how": "system-log UTC timestamps against the glog times inside"}
        )  # fmt: skip
    if not np.isnan(since_offset):
        named = sorted({h for h in hosts if h})
        evidence.append(
            {"host": named[0] if len(named) == 1 else None, "offset_minutes": int(since_offset),
             "votes": 1, "how": "the zone systemctl printed on its 'since' line"}
        )  # fmt: skip
    if evidence:
        result.meta["zone_evidence"] = evidence


def _echoes(rows: OsqueryLines, form: np.ndarray, log_us: np.ndarray) -> np.ndarray:
    """Plain lines that repeat the message of a glog or logger line of the same host nearby."""
    echo = np.zeros(rows.count, dtype=bool)
    plain = np.flatnonzero(form == "syslog_plain")
    said = np.flatnonzero(form != "syslog_plain")
    if not len(plain) or not len(said):
        return echo
    messages = rows.message.to_pylist()
    hosts = rows.host.to_pylist()
    seen: dict[tuple[str | None, str], list[int]] = {}
    for i in said.tolist():
        seen.setdefault((hosts[i], messages[i]), []).append(int(log_us[i]))
    for i in plain.tolist():
        times = seen.get((hosts[i], messages[i]))
        if times and min(abs(t - int(log_us[i])) for t in times) <= ECHO_SECONDS * 1_000_000:
            echo[i] = True
    return echo


def _pre_classify_shortened(table: pa.Table, result: ReaderResult) -> pa.Table:
    """Markers of messages ``systemctl status`` shortened, from what they most likely said."""
    messages = table.column("message").combine_chunks()
    shortened = np.asarray(
        pc.fill_null(pc.match_substring_regex(messages, ELLIPSIS.pattern), False)
    )
    if not shortened.any():
        return table
    idx = np.flatnonzero(shortened)
    markers, subjects = classify_shortened(messages.take(pa.array(idx)).to_pylist())
    n = table.num_rows
    marker: list[str | None] = [None] * n
    subject: list[str | None] = [None] * n
    for k, i in enumerate(idx.tolist()):
        marker[i], subject[i] = markers[k], subjects[k]
    result.notes.append(
        f"{len(idx):,} messages were shortened by systemctl (their middle elided): kept as written, "
        f"{sum(1 for m in markers if m):,} classified from what they most likely said"
    )
    table = table.set_column(
        table.schema.get_field_index("marker"),
        "marker",
        pc.dictionary_encode(pa.array(marker, pa.string())).cast(table.schema.field("marker").type),
    )
    return table.set_column(
        table.schema.get_field_index("subject"), "subject", pa.array(subject, pa.string())
    )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
