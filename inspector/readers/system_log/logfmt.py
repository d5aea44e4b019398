"""Reader for the Kolide launcher's logfmt text logs, which carry osqueryd's stderr glog lines:
``time=2022-09-02T18:23:07.6Z level=WARN msg="W0902 11:23:07.599372 14656 init.cpp:760] …"
component=osquery``. Older launchers write ``ts=`` instead of ``time=``.

Each record's UTC ``time`` places its glog line on UTC and tells the year (as for the launcher's
JSON logs); the launcher's own lines are counted as other lines, not loaded.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.duck import arrow_query
from inspector.files.line_index import LineChunk, split_lines
from inspector.files.source_file import Chunk, StreamError, iter_chunks
from inspector.progress import Progress, report
from inspector.readers.glog import line_strings
from inspector.readers.glog_lines import GLOG_LINE, GlogOptions
from inspector.readers.json_lines.glog_in_json import parse_glog_in_json
from inspector.readers.result import ReaderResult
from inspector.schema import STATUS

_VALUE = r'(?:"(?:[^"\\]|\\.)*"|\S*)'
LOGFMT_LINE = rf"^\s*(?:[A-Za-z_][\w.-]*={_VALUE}\s*)+$"
TIME = rf"(?:^|\s)(?:time|ts)=(?P<v>{_VALUE})"
MESSAGE = rf"(?:^|\s)msg=(?P<v>{_VALUE})"
CHUNK_BYTES = 8 * 1024 * 1024


def sniff_logfmt(lines: list[str]) -> float:
    """Most lines are logfmt with a time and a msg, and some msg holds a glog line."""
    body = [ln for ln in lines if ln.strip()][:200]
    if not body or not re.match(r"\s*[A-Za-z_][\w.-]*=", body[0]):
        return 0.0  # cheap: a logfmt line starts with key=

    texts = pa.array(body, pa.string())
    shaped = pc.and_(
        pc.match_substring_regex(texts, LOGFMT_LINE), pc.match_substring_regex(texts, MESSAGE)
    )
    share = pc.sum(pc.cast(shaped, pa.int64())).as_py() / len(body)
    if share < 0.5:
        return 0.0
    messages = _values(texts, MESSAGE)
    glog = pc.any(pc.match_substring_regex(messages, GLOG_LINE)).as_py()
    osquery = any("component=osquery" in ln for ln in body)
    return 0.85 if glog or osquery else 0.0


def _values(texts: pa.Array, pattern: str) -> pa.Array:
    """The value of a logfmt key in each line, unquoted and unescaped (null where absent)."""
    raw = pc.struct_field(pc.extract_regex(texts, pattern), "v")
    quoted = pc.fill_null(pc.starts_with(raw, '"'), False)
    inner = pc.utf8_slice_codeunits(raw, 1, -1)
    # \\ first into a placeholder, so that \\n stays a backslash and an n.
    text = pc.replace_substring(inner, "\\\\", "\x01")
    for escaped, plain in (('\\"', '"'), ("\\n", "\n"), ("\\t", "\t"), ("\\r", "\r")):
        text = pc.replace_substring(text, escaped, plain)
    text = pc.replace_substring(text, "\x01", "\\")
    return pc.if_else(quoted, text, raw)


def _glog_in_chunk(lines: LineChunk, result: ReaderResult) -> tuple[pa.Table | None, int]:
    """The osquery glog lines of a chunk as ``(line, item, msg, ts)`` (None: none), and how many
    lines are the launcher's own; lines that are not logfmt are rejected into ``result``."""
    texts = line_strings(lines)
    numbers = lines.line_numbers
    shaped = np.asarray(pc.fill_null(pc.match_substring_regex(texts, LOGFMT_LINE), False))
    blank = np.asarray(pc.equal(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0))
    messages = _values(texts, MESSAGE)
    first = pc.fill_null(pc.list_element(pc.split_pattern(messages, "\n"), 0), "")
    glog = np.asarray(pc.fill_null(pc.match_substring_regex(
        pc.utf8_rtrim(first, characters="\r"), GLOG_LINE), False)) & shaped  # fmt: skip
    own = int((shaped & ~glog).sum() + (blank & ~shaped).sum())
    for i in np.flatnonzero(~shaped & ~blank).tolist():
        result.bad.add(int(numbers[i]), "not a logfmt line (key=value pairs)")
    if not glog.any():
        return None, own
    keep = pa.array(glog)
    found = pa.table(
        {
            "line": pa.array(numbers[glog]),
            "item": pa.nulls(int(glog.sum()), pa.int32()),
            "msg": messages.filter(keep),
            "ts": _values(texts, TIME).filter(keep),
        }
    )
    return found, own


def read_logfmt(
    path: str,
    source: str | None = None,
    *,
    options: GlogOptions | None = None,
    progress: Progress | None = None,
    data: bytes | None = None,
    first_line: int = 1,
) -> ReaderResult:
    """Read the osquery glog lines a launcher logged in logfmt; count its own lines.

    ``data``: lines of the file from memory (a followed file's new lines), numbered from
    ``first_line``."""
    source = source or path
    options = options or GlogOptions()
    result = ReaderResult(kind="status_log_logfmt")
    wrapped: list[pa.Table] = []
    other = 0
    numbered_from = first_line
    try:
        for chunk in (
            [Chunk(data, True, 1.0)] if data is not None else iter_chunks(path, CHUNK_BYTES)
        ):
            lines = split_lines(chunk.data, first_line)
            first_line += lines.count
            found, own = _glog_in_chunk(lines, result)
            other += own
            if found is not None:
                wrapped.append(found)
            report(progress, chunk.fraction * 0.8, f"{source}: reading")
    except StreamError as exc:
        result.notes.append(f"compressed data is truncated or corrupt: {exc}; the rest was loaded")
    result.lines_read = first_line - numbered_from
    result.lines_loaded = result.lines_read - len(result.bad)
    result.meta["lines_other"] = other
    if other:
        result.notes.append(f"{other:,} lines are the launcher's own (not osquery's): counted")
    if wrapped:
        table = pa.concat_tables(wrapped)
        timed = arrow_query(
            "SELECT line, item, msg, epoch_us(TRY_CAST(ts AS TIMESTAMPTZ)) AS ts_us FROM t", t=table
        )
        status, notes, _ = parse_glog_in_json(timed, source, options)
        fmt = status.schema.get_field_index("format")
        status = status.set_column(
            fmt, "format", pc.dictionary_encode(pa.array(["logfmt_glog"] * status.num_rows))
        )
        result.status = status.cast(STATUS)
        result.notes.extend(n.replace("inside JSON", "in logfmt") for n in notes)
    report(progress, 1.0, f"{source}: done")
    return result
