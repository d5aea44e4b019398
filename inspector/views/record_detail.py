"""One record in full: its fields, where it came from, the raw lines around it, its copies.

Everything here looks at one row (or a few hundred for a copy to the clipboard); the only
whole-table work is a vectorised comparison of content hashes in ``duplicate_siblings``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import zlib
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import zstandard

from inspector.arrow_columns import take_rows
from inspector.content_hash import content_hashes
from inspector.files.line_index import split_lines
from inspector.files.source_file import StreamError, iter_chunks

ENVELOPE = ("source", "line", "item", "part", "key", "format", "host", "query", "subscriber",
            "publisher", "action", "log_time", "event_time", "counter", "epoch", "numerics",
            "eid")  # fmt: skip
JSON_TEXT = ("decorations", "columns")  # JSON object text kept exactly as logged
CONTEXT_CHUNK_BYTES = 1 << 20  # small chunks: a line near the start costs a megabyte, not 32
MAX_LINE_CHARS = 20_000  # a 10 MB line is shown cut, not pasted into a text box whole


def _text(value: object, zone: dt.tzinfo = dt.UTC) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(zone).isoformat().replace("+00:00", "Z")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _row(records: pa.Table, row: int) -> dict[str, Any]:
    values: dict[str, Any] = records.slice(int(row), 1).to_pylist()[0]
    return values


def is_database_row(record: dict[str, Any]) -> bool:
    """True for records read from osquery.db (they have a key instead of a line of a file)."""
    return str(record.get("format") or "").startswith("database") or bool(record.get("key"))


def record_fields(records: pa.Table, row: int, zone: dt.tzinfo = dt.UTC) -> list[tuple[str, str]]:
    """Every field of table row ``row`` as (name, text): the record's own columns first (the
    columns JSON, one ``columns.<key>`` entry per key in logged order), then the envelope; times
    in ISO form in ``zone`` (UTC: ``Z``)."""
    record = _row(records, row)
    envelope = [(name, _text(value, zone)) for name, value in record.items() if name != "columns"]
    try:
        columns = json.loads(record["columns"] or "{}")
    except ValueError:
        columns = None
    if not isinstance(columns, dict):
        return [("columns", record["columns"] or ""), *envelope]
    own = []
    for key, value in columns.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        own.append((f"columns.{key}", shown))
    return [*own, *envelope]


def provenance(records: pa.Table, row: int) -> str:
    """Where the record was read: ``file:line`` (with the row inside a batch or envelope), or
    ``osquery.db key …`` with the database folder for rows read from the database."""
    record = _row(records, row)
    if is_database_row(record):
        return f"osquery.db key {record['key']} ({record['source']})"
    text = f"{record['source']}:{record['line']}"
    inside = [f"{name} {record[name]}" for name in ("item", "part") if record[name] is not None]
    return f"{text} ({', '.join(inside)})" if inside else text


def raw_context(
    records: pa.Table, row: int, before: int = 3, after: int = 3
) -> list[tuple[int, str, bool]]:
    """The lines around the record in its source file as (line number, text, is the record),
    decompressing ``.zst``/``.gz`` on the fly and reading only up to the last line wanted.

    Database rows have no lines: an empty list. A file that cannot be read, or no longer holds
    the line, gives one explanatory entry (numbered like the record, not marked as it)."""
    record = _row(records, row)
    if is_database_row(record):
        return []
    return lines_around(str(record["source"]), int(record["line"]), before, after)


def lines_around(
    path: str, line: int, before: int = 3, after: int = 3
) -> list[tuple[int, str, bool]]:
    """Lines ``line - before`` … ``line + after`` of ``path`` as (number, text, is ``line``)
    (decompressed on the fly, read only up to the last line wanted); a file that cannot be read,
    or no longer holds the line, gives one explanatory entry."""
    first, last = max(1, line - before), line + after
    out: list[tuple[int, str, bool]] = []
    try:
        with contextlib.closing(iter_chunks(path, CONTEXT_CHUNK_BYTES)) as chunks:
            number = 1
            for chunk in chunks:
                lines = split_lines(chunk.data, number)
                number += lines.count
                if number <= first:
                    continue  # the wanted lines are further on: skip without decoding
                for i in range(max(first - lines.first_line, 0), lines.count):
                    n = lines.first_line + i
                    if n > last:
                        break
                    out.append((n, _decoded(lines.line_bytes(i)), n == line))
                if number > last:
                    break
    except (OSError, StreamError, EOFError, zstandard.ZstdError, zlib.error) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        out.append((line, f"(could not read {path}: {reason})", False))
        return out
    if not any(is_record for _, _, is_record in out):
        out.append(
            (line, f"({path} has no line {line} any more: changed since it was read?)", False)
        )
    return out


def _decoded(data: bytes) -> str:
    text = data[: MAX_LINE_CHARS * 4].decode("utf-8", errors="replace")
    return text if len(text) <= MAX_LINE_CHARS else text[:MAX_LINE_CHARS] + " …"


def stream_of(format_value: str | None) -> str:
    """``osquery_db`` for database formats, ``results_log`` for every logged format."""
    return "osquery_db" if str(format_value or "").startswith("database") else "results_log"


def duplicate_siblings(records: pa.Table, row: int, limit: int = 50) -> np.ndarray:
    """Up to ``limit`` other rows (ascending) holding the same content as ``row`` for the same
    host and subscriber in the same source stream (results log or osquery.db): its copies."""
    content = records.column("content") if "content" in records.column_names else None
    if content is None:  # a table without the load-time hash: hash it once here
        content = content_hashes(records)
    value = content[int(row)]
    equal = pc.fill_null(pc.equal(content, value), False).to_numpy()
    candidates: np.ndarray = np.flatnonzero(equal)
    candidates = candidates[candidates != row]
    if not len(candidates):
        return candidates.astype(np.int64)
    record = _row(records, row)
    subset = take_rows(records.select(["host", "subscriber", "format"]), candidates)
    same = np.ones(len(candidates), dtype=bool)
    for name in ("host", "subscriber"):
        values = subset.column(name).cast(pa.string())
        if record[name] is None:
            same &= pc.is_null(values).to_numpy(zero_copy_only=False)
        else:
            same &= pc.fill_null(pc.equal(values, record[name]), False).to_numpy()
    database = pc.starts_with(subset.column("format").cast(pa.string()), "database")
    database = pc.fill_null(database, False).to_numpy(zero_copy_only=False)
    same &= database == (stream_of(record["format"]) == "osquery_db")
    siblings: np.ndarray = candidates[same][:limit].astype(np.int64)
    return siblings


def record_json(records: pa.Table, row: int) -> str:
    """The record as one line of JSON: envelope fields (times ISO UTC) plus ``decorations`` and
    ``columns`` as objects spliced in exactly as logged (values keep their logged form)."""
    return records_json_lines(records, np.array([row]))[0]


def records_json_lines(records: pa.Table, rows: np.ndarray) -> list[str]:
    """``record_json`` of each of ``rows`` (a selection to copy: hundreds, not millions)."""
    subset = take_rows(records, np.asarray(rows, dtype=np.int64))
    out = []
    for record in subset.to_pylist():
        envelope = {name: record.get(name) for name in ENVELOPE if name in record}
        for name in ("log_time", "event_time"):
            if envelope.get(name) is not None:
                envelope[name] = _text(envelope[name])
        spliced = [n for n in JSON_TEXT if record.get(n) is not None and _is_object(record[n])]
        envelope.update({n: record.get(n) for n in JSON_TEXT if n not in spliced})
        text = json.dumps(envelope, ensure_ascii=False)
        for name in spliced:  # the logged text itself: no re-encoding of its numbers or escapes
            text = text[:-1] + f', "{name}": {record[name]}}}'
        out.append(text)
    return out


def _is_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False
