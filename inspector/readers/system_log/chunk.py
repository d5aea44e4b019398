"""One chunk of a system log: which lines are osquery's, and the fields of those lines.

osqueryd's lines come in three shapes behind the system log's prefix: a glog line (its stderr,
captured by journald), osquery's own syslog logger (``severity=0 location=init.cpp:190
message=…``) and a plain message (what the watcher sends to syslog directly, or a line of a
multi-line message). Other programs' lines (kernel, systemd …) and the decorations of
``journalctl``/``systemctl status`` are counted as other lines; anything else is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.readers.glog_lines import bounded_int, glog_fields
from inspector.readers.system_log.prefix import Prefixes, parse_prefixes
from inspector.timezones import clock_rows, concat_clocks

OSQUERY_PROGRAMS = ("osqueryd", "osqueryi", "osquery", "osqueryd.exe", "osqueryctl")
LOGGER_FORM = r"^severity=(?P<sev>\d) location=(?P<file>[^:\s]+):(?P<sl>\d+) message=(?P<msg>.*)$"
# Lines journalctl and systemctl status print around the entries.
DECORATION = (
    r"^(?:-- .* --|● .*|\S+\.service - .*|\s*(?:Loaded|Active|Docs|Main PID|Tasks|Memory|CPU|"
    r"CGroup|Process|Status|Drop-In|TriggeredBy|IP|Invocation|Mem peak|Trigger):.*|"
    r"\s*[│├└─|`]+.*|\s*/\S+\.conf)$"
)
SINCE = (
    r"(?:since|Logs begin at) (?:[A-Z][a-z]{2} )?(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d) "
    r"\d\d:\d\d:\d\d(?: (?P<zone>[A-Za-z][A-Za-z0-9+-]{1,5}))?"
)
LOGGER_SEVERITY = pa.array(["INFO", "WARNING", "ERROR", "FATAL"])


@dataclass
class ChunkRows:
    """The osquery lines of one chunk (arrays aligned), and the counts of the rest."""

    line: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    form: list[pa.Array] = field(default_factory=list)  # syslog_glog | syslog_logger | syslog_plain
    prefix: list[Prefixes] = field(default_factory=list)
    glog: list[pa.StructArray] = field(default_factory=list)  # regex fields of glog messages
    logger: list[pa.StructArray] = field(default_factory=list)  # fields of the logger form
    other: int = 0  # other programs' lines and decorations
    since: list[str] = field(default_factory=list)  # the text of since / "Logs begin" lines
    rejected: list[tuple[int, str]] = field(default_factory=list)


def read_chunk(texts: pa.Array, line_numbers: np.ndarray) -> ChunkRows:
    """Sort the chunk's lines into osquery rows, other lines and rejected lines."""
    out = ChunkRows()
    n = len(texts)
    if not n:
        return out
    nul = np.asarray(pc.fill_null(pc.match_substring(texts, "\x00"), False), dtype=bool)
    blank = np.asarray(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0), dtype=bool)
    prefixes = parse_prefixes(texts)
    found = prefixes.found & ~nul
    program = pc.fill_null(pc.utf8_lower(prefixes.program), "")
    ours = found & np.asarray(pc.is_in(program, pa.array(OSQUERY_PROGRAMS)), dtype=bool)
    decoration = np.asarray(pc.fill_null(pc.match_substring_regex(texts, DECORATION), False))
    decoration &= ~found & ~nul
    other = (found & ~ours) | decoration | (blank & ~nul)
    out.other = int(other.sum())
    rest = ~(ours | other)
    for i in np.flatnonzero(rest).tolist():
        if nul[i]:
            count = texts[i].as_py().count("\x00")
            out.rejected.append(
                (int(line_numbers[i]), f"{count:,} NUL bytes (a crash left a zero-filled block)")
            )
        else:
            out.rejected.append(
                (
                    int(line_numbers[i]),
                    "not a system-log line (no date, host and program before the message)",
                )
            )
    since = pc.match_substring_regex(texts, SINCE).fill_null(False)
    if pc.any(since).as_py():
        out.since = texts.filter(since).to_pylist()
    if not ours.any():
        return out
    keep = pa.array(ours)
    messages = prefixes.message.filter(keep)
    glog, shaped, invalid = glog_fields(messages)
    logger = pc.extract_regex(messages, LOGGER_FORM)
    is_glog = shaped & ~invalid
    is_logger = np.asarray(pc.is_valid(logger), dtype=bool) & ~is_glog
    form = np.where(is_glog, "syslog_glog", np.where(is_logger, "syslog_logger", "syslog_plain"))
    out.line = line_numbers[ours]
    out.form = [pa.array(form)]
    out.prefix = [_subset(prefixes, ours)]
    out.glog = [glog]
    out.logger = [logger]
    return out


def _subset(p: Prefixes, mask: np.ndarray) -> Prefixes:
    keep = pa.array(mask)
    return Prefixes(
        found=p.found[mask],
        month=p.month[mask],
        day=p.day[mask],
        year=p.year[mask],
        clock=clock_rows(p.clock, mask),
        offset_minutes=p.offset_minutes[mask],
        host=p.host.filter(keep),
        program=p.program.filter(keep),
        pid=p.pid.filter(keep),
        message=p.message.filter(keep),
    )


@dataclass
class OsqueryLines:
    """Every osquery line of a file, fields joined over its chunks."""

    line: np.ndarray
    form: np.ndarray  # str
    month: np.ndarray
    day: np.ndarray
    year: np.ndarray
    clock: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    offset_minutes: np.ndarray
    host: pa.Array
    pid: pa.Array
    message: pa.Array  # the osquery message (glog / logger prefix removed)
    severity: pa.Array
    thread: pa.Array
    file: pa.Array
    src_line: pa.Array
    glog_month: np.ndarray  # the glog line's own date and clock (0 where not a glog line)
    glog_day: np.ndarray
    glog_clock: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

    @property
    def count(self) -> int:
        return len(self.line)


def join_chunks(chunks: list[ChunkRows]) -> OsqueryLines:
    """The osquery lines of all chunks as one set of arrays."""
    parts = [c for c in chunks if len(c.line)]
    if not parts:
        empty = np.zeros(0, np.int64)
        nothing = pa.array([], pa.string())
        return OsqueryLines(
            empty, np.zeros(0, str), empty, empty, empty, (empty,) * 4, np.zeros(0),
            nothing, pa.array([], pa.int64()), nothing, nothing, pa.array([], pa.int64()),
            nothing, pa.array([], pa.int32()), empty, empty, (empty,) * 4,
        )  # fmt: skip
    form = np.concatenate([p.form[0].to_numpy(zero_copy_only=False) for p in parts])
    pre = [p.prefix[0] for p in parts]
    glog = pa.concat_arrays([p.glog[0] for p in parts])
    logger = pa.concat_arrays([p.logger[0] for p in parts])
    is_glog = form == "syslog_glog"
    is_logger = form == "syslog_logger"
    mask_glog, mask_logger = pa.array(is_glog), pa.array(is_logger)
    message = pa.concat_arrays([p.message for p in pre])
    message = pc.if_else(mask_glog, pc.struct_field(glog, "msg"), message)
    message = pc.if_else(mask_logger, pc.struct_field(logger, "msg"), message)
    glog_sev = pc.take(
        pa.array(["INFO", "WARNING", "ERROR", "FATAL"]),
        pc.index_in(pc.struct_field(glog, "sev"), pa.array(["I", "W", "E", "F"])),
    )
    logger_sev = pc.take(LOGGER_SEVERITY, pc.cast(pc.struct_field(logger, "sev"), pa.int64()))
    severity = pc.if_else(mask_glog, glog_sev, pc.if_else(mask_logger, logger_sev, None))
    file = pc.if_else(
        mask_glog,
        pc.struct_field(glog, "file"),
        pc.if_else(mask_logger, pc.struct_field(logger, "file"), None),
    )
    src_line = pc.if_else(
        mask_glog,
        bounded_int(pc.struct_field(glog, "sl"), 9, pa.int32()),
        pc.if_else(mask_logger, bounded_int(pc.struct_field(logger, "sl"), 9, pa.int32()), None),
    )

    def glog_int(name: str) -> np.ndarray:
        values = pc.fill_null(pc.cast(pc.struct_field(glog, name), pa.int64()), 0)
        return np.where(is_glog, np.asarray(values), 0)

    return OsqueryLines(
        line=np.concatenate([p.line for p in parts]),
        form=form,
        month=np.concatenate([p.month for p in pre]),
        day=np.concatenate([p.day for p in pre]),
        year=np.concatenate([p.year for p in pre]),
        clock=concat_clocks([p.clock for p in pre]),
        offset_minutes=np.concatenate([p.offset_minutes for p in pre]),
        host=pa.concat_arrays([p.host for p in pre]),
        pid=pa.concat_arrays([p.pid for p in pre]),
        message=pc.fill_null(message, ""),
        severity=severity,
        thread=pc.if_else(
            mask_glog, bounded_int(pc.struct_field(glog, "tid"), 18, pa.int64()), None
        ),
        file=file,
        src_line=src_line,
        glog_month=glog_int("mo"),
        glog_day=glog_int("dd"),
        glog_clock=(glog_int("hh"), glog_int("mi"), glog_int("ss"), glog_int("us")),
    )
