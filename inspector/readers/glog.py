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

from inspector.files.line_index import LineChunk, invalid_utf8_lines
from inspector.progress import Progress
from inspector.readers.glog_lines import GLOG_LINE, GlogOptions, glog_options
from inspector.readers.local_dates import safe_date
from inspector.readers.result import ReaderResult

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
    ``meta["glog_header"]`` of the read of the file's start said) dates the lines. The file is
    read part by part with bounded memory: see ``glog_stream``."""
    from inspector.readers.glog_stream import read_glog as read_in_parts

    return read_in_parts(
        path, source, options=options, progress=progress, data=data, first_line=first_line,
        header=header,
    )  # fmt: skip


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
