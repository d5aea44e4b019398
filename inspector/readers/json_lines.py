"""Reader for osquery's JSON-lines outputs: results and snapshot logs (event, batch and snapshot
formats, every legacy shape), JSON status records of the buffered loggers, Kinesis/Firehose
records (``log_type``), TLS envelopes, and osqueryd stderr wrapped in JSON by a launcher.

The file is read in chunks of whole lines; each chunk is split with numpy and parsed by DuckDB
straight from the byte buffer, so no Python object is built per line. Only rejected lines are
looked at one by one, to say why.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.progress import Progress, report
from inspector.readers import json_sql
from inspector.readers.glog import GlogOptions, parse_glog_in_json
from inspector.readers.line_index import (
    LineChunk,
    count_bytes_in_ranges,
    fill_ranges,
    first_byte_at_or_after,
    invalid_utf8_lines,
    split_lines,
)
from inspector.readers.result import BadLines, ReaderResult
from inspector.readers.source_file import DEFAULT_CHUNK_BYTES, Chunk, StreamError, iter_chunks
from inspector.schema import RECORDS, STATUS, TIMESTAMP

MAX_REASON_SAMPLE = 60
BATCH_ROWS = 16_384


@dataclass
class _Collected:
    records: list[pa.Table] = field(default_factory=list)
    status: list[pa.Table] = field(default_factory=list)
    shapes: dict[str, int] = field(default_factory=dict)
    prefixed: int = 0
    nul_prefixed: int = 0
    dropped_rows: int = 0


def connect() -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB connection for one load (connections are not shared)."""
    con = duckdb.connect(":memory:")
    con.execute("SET preserve_insertion_order = true")
    return con


def read_json_lines(
    path: str,
    source: str | None = None,
    *,
    glog: GlogOptions | None = None,
    progress: Progress | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    data: bytes | None = None,
) -> ReaderResult:
    """Read one JSON-lines file into records and status rows, accounting for every line.

    ``data`` reads from memory instead of ``path`` (used for documents re-serialised to a line).
    """
    source = source or path
    glog = glog or GlogOptions()
    result = ReaderResult(kind="json_lines")
    got = _Collected()
    con = connect()
    next_line = 1
    try:
        chunks = [Chunk(data, True, 1.0)] if data is not None else iter_chunks(path, chunk_bytes)
        for chunk in chunks:
            lines = split_lines(chunk.data, next_line)
            next_line += lines.count
            result.lines_read += lines.count
            _parse_chunk(con, lines, source, chunk.final, glog, result, got)
            report(progress, chunk.fraction, f"{source}: line {next_line - 1:,}")
    except StreamError as exc:
        result.notes.append(
            f"compressed data is truncated or corrupt after line {next_line - 1}: {exc}; "
            "everything before it was loaded"
        )
    finally:
        con.close()
    _finish(result, got, source)
    return result


def _parse_chunk(
    con: duckdb.DuckDBPyConnection,
    lines: LineChunk,
    source: str,
    final: bool,
    glog: GlogOptions,
    result: ReaderResult,
    got: _Collected,
) -> None:
    if not lines.count:
        return
    table, pre_bad = _line_table(lines, got)
    flat = _parse_texts(con, table)
    loaded = _build_rows(con, flat, source, glog, got, result)
    bad_idx = _bad_lines(flat, lines, loaded, pre_bad, final, result.bad)
    result.lines_loaded += lines.count - bad_idx


def _line_table(lines: LineChunk, got: _Collected) -> tuple[pa.Table, dict[int, str]]:
    """The chunk as an Arrow table (line, item, text, ok) sharing the chunk's buffer."""
    arr = np.frombuffer(lines.data, dtype=np.uint8)
    starts, ends = lines.starts, lines.ends
    # Nearly every line starts with "{": only the others need a search for their first brace.
    brace = np.where(
        (ends > starts) & (arr[np.minimum(starts, len(arr) - 1)] == ord("{")), starts, -1
    )
    others = np.flatnonzero(brace < 0)
    if len(others):
        brace[others] = first_byte_at_or_after(arr, ord("{"), starts[others], ends[others])
    has_brace = brace >= 0
    prefix_end = np.where(has_brace, brace, starts)
    prefixed = prefix_end > starts
    pre_bad: dict[int, str] = {}
    for i, offset in invalid_utf8_lines(lines).items():
        pre_bad[i] = f"invalid UTF-8 at byte {offset + 1} of the line"
    data = lines.data
    if prefixed.any() or pre_bad:
        data = bytearray(lines.data)
        nuls = count_bytes_in_ranges(arr, 0, starts, prefix_end)
        got.nul_prefixed += int(np.count_nonzero(prefixed & (nuls > 0)))
        got.prefixed += int(np.count_nonzero(prefixed & (nuls == 0)))
        # Blank out prefixes (syslog header, NUL run) so the JSON starts the text; JSON allows
        # leading whitespace, and the offsets stay contiguous over the shared buffer.
        fill_ranges(data, starts[prefixed], prefix_end[prefixed])
        if pre_bad:
            idx = np.fromiter(pre_bad.keys(), dtype=np.int64)
            fill_ranges(data, starts[idx], ends[idx])
    ok = has_brace.copy()
    if pre_bad:
        ok[np.fromiter(pre_bad.keys(), dtype=np.int64)] = False
    offsets = np.append(starts, len(data)).astype(np.int64)
    text = pa.Array.from_buffers(
        pa.large_string(), lines.count, [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    table = pa.table(
        {
            "line": pa.array(lines.line_numbers),
            "item": pa.nulls(lines.count, pa.int32()),
            "text": text,
            "ok": pa.array(ok),
        }
    )
    # Several record batches let DuckDB parse them on all cores (slices share the buffer).
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS)), pre_bad


def _parse_texts(con: duckdb.DuckDBPyConnection, lines_tbl: pa.Table) -> pa.Table:
    """Parse once and flatten (see ``json_sql.PARSE``)."""
    con.register("lines_tbl", lines_tbl)
    try:
        return con.sql(json_sql.PARSE).to_arrow_table()
    finally:
        con.unregister("lines_tbl")


def _build_rows(
    con: duckdb.DuckDBPyConnection,
    flat: pa.Table,
    source: str,
    glog: GlogOptions,
    got: _Collected,
    result: ReaderResult,
) -> np.ndarray:
    """Build records and status rows; return a per-row bool: did the line load?"""
    shape = flat.column("shape")
    counts = pc.value_counts(shape.combine_chunks()).to_pylist()
    present = {c["values"]: c["counts"] for c in counts if c["values"] is not None}
    for name, n in present.items():
        got.shapes[name] = got.shapes.get(name, 0) + n
    # A line loaded when it parsed (shape not null) into something osquery writes.
    loaded = np.asarray(pc.fill_null(pc.not_equal(shape, "unknown"), False).combine_chunks())
    con.register("flat", flat)
    try:
        parts = []
        if "event" in present or "snapshot_row" in present:
            parts.append(con.sql(json_sql.EVENTS).to_arrow_table())
        if "batch" in present:
            parts.append(con.sql(json_sql.BATCH).to_arrow_table())
        if "snapshot" in present:
            parts.append(con.sql(json_sql.SNAPSHOT).to_arrow_table())
        if "batch" in present or "snapshot" in present:
            got.dropped_rows += con.sql(json_sql.NON_OBJECT_ROWS).fetchall()[0][0]
        built = [_records_from(part, source) for part in parts if part.num_rows]
        if len(built) > 1:
            # Keep file order when one chunk mixes event, batch and snapshot lines.
            merged = pa.concat_tables(built).unify_dictionaries()
            built = [merged.sort_by([("line", "ascending"), ("item", "ascending")])]
        got.records.extend(built)
        if "status" in present or "status_short" in present:
            got.status.append(_status_from(con.sql(json_sql.STATUS).to_arrow_table(), source))
        if "glog_in_json" in present:
            wrapped = con.sql(json_sql.GLOG_IN_JSON).to_arrow_table()
            status, notes = parse_glog_in_json(wrapped, source, glog)
            got.status.append(status)
            for note in notes:
                if note not in result.notes:
                    result.notes.append(note)
        if "envelope" in present:
            items = con.sql(json_sql.ENVELOPE_ITEMS).to_arrow_table()
            _parse_envelope_items(con, items, source, glog, got, result)
    finally:
        con.unregister("flat")
    return loaded


def _parse_envelope_items(
    con: duckdb.DuckDBPyConnection,
    items: pa.Table,
    source: str,
    glog: GlogOptions,
    got: _Collected,
    result: ReaderResult,
) -> None:
    """TLS envelopes carry result or status records in ``data``: parse them like lines."""
    if not items.num_rows:
        return
    table = pa.table(
        {
            "line": items.column("line"),
            "item": items.column("item"),
            "text": items.column("text").cast(pa.large_string()),
            "ok": pa.array(np.ones(items.num_rows, dtype=bool)),
        }
    )
    flat = _parse_texts(con, table)
    shape = flat.column("shape")
    nested = pc.sum(pc.cast(pc.equal(shape, "envelope"), pa.int64())).as_py() or 0
    unknown = pc.sum(pc.cast(pc.equal(shape, "unknown"), pa.int64())).as_py() or 0
    if nested:
        result.notes.append(f"{nested} envelope items were envelopes themselves and were skipped")
        flat = flat.filter(pc.not_equal(shape, "envelope"))
    if unknown:
        result.notes.append(f"{unknown} envelope items were not osquery records and were skipped")
    inner = _Collected()
    _build_rows(con, flat, source, glog, inner, result)
    got.records.extend(inner.records)
    got.status.extend(inner.status)
    got.dropped_rows += inner.dropped_rows
    for name, n in inner.shapes.items():
        key = f"envelope:{name}"
        got.shapes[key] = got.shapes.get(key, 0) + n


def _us_to_timestamp(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.cast(values, pa.int64()).cast(TIMESTAMP)


def _dict(values) -> pa.Array:
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.dictionary_encode(arr.cast(pa.string()))


def _records_from(part: pa.Table, source: str) -> pa.Table:
    """Canonical ``RECORDS`` rows from the output of EVENTS/BATCH/SNAPSHOT."""
    n = part.num_rows
    te = part.column("te").combine_chunks()
    time_text = pc.list_element(te, 0)
    eid = pc.list_element(te, 1)
    seconds = _to_seconds(time_text)
    plausible = pc.and_(pc.greater_equal(seconds, 1e8), pc.less(seconds, 1e10))
    event_us = pc.if_else(plausible, pc.cast(pc.multiply(seconds, 1e6), pa.int64()), None)
    item = part.column("item").combine_chunks()
    sub = part.column("sub").combine_chunks()
    columns = {
        "source": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array([source])
        ),
        "line": part.column("line"),
        "item": pc.coalesce(sub, item),
        "key": pa.nulls(n, pa.string()),
        "format": _dict(part.column("format")),
        "host": _dict(part.column("host")),
        "query": _dict(part.column("query")),
        "subscriber": pa.nulls(n, RECORDS.field("subscriber").type),
        "publisher": pa.nulls(n, RECORDS.field("publisher").type),
        "action": _dict(part.column("action")),
        "log_time": _us_to_timestamp(part.column("log_us")),
        "event_time": _us_to_timestamp(event_us),
        "counter": part.column("counter"),
        "epoch": part.column("epoch"),
        "numerics": part.column("numerics"),
        "eid": eid.cast(pa.string()),
        "decorations": part.column("decorations").cast(pa.string()),
        "columns": part.column("row").cast(pa.string()),
    }
    return pa.table(columns).cast(RECORDS)


def _to_seconds(text: pa.Array) -> pa.Array:
    """String seconds → float64, NULL where it is not a number."""
    cleaned = pc.if_else(pc.match_substring_regex(text, r"^\s*-?\d+(\.\d+)?\s*$"), text, None)
    return pc.cast(pc.utf8_trim_whitespace(cleaned), pa.float64())


def _status_from(part: pa.Table, source: str) -> pa.Table:
    """Canonical ``STATUS`` rows from the output of json_sql.STATUS (markers added later)."""
    n = part.num_rows
    columns = {
        "source": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array([source])
        ),
        "line": part.column("line"),
        "item": part.column("item"),
        "format": _dict(part.column("format")),
        "host": _dict(part.column("host")),
        "severity": _dict(part.column("severity")),
        "log_time": _us_to_timestamp(part.column("log_us")),
        "thread": pa.nulls(n, pa.int64()),
        "file": part.column("file").cast(pa.string()),
        "src_line": part.column("src_line"),
        "message": pc.fill_null(part.column("message").cast(pa.string()), ""),
        "marker": pa.nulls(n, STATUS.field("marker").type),
        "subject": pa.nulls(n, pa.string()),
        "version": part.column("version").cast(pa.string()),
    }
    return pa.table(columns).cast(STATUS)


def _bad_lines(
    flat: pa.Table,
    lines: LineChunk,
    loaded: np.ndarray,
    pre_bad: dict[int, str],
    final: bool,
    bad: BadLines,
) -> int:
    """Record a reason for every line that did not load; return how many."""
    rejected = np.flatnonzero(~loaded)
    if not len(rejected):
        return 0
    shape = flat.column("shape").to_numpy(zero_copy_only=False)
    for i in rejected.tolist():
        bad.add(lines.first_line + i, _reason(lines, i, shape[i], pre_bad, final))
    return len(rejected)


def _reason(
    lines: LineChunk, i: int, shape: str | None, pre_bad: dict[int, str], final: bool
) -> str:
    """A short, specific reason why line ``i`` of the chunk was rejected."""
    if i in pre_bad:
        return pre_bad[i]
    raw = lines.line_bytes(i)
    size = len(raw)
    if not raw.strip(b" \t\r\x00"):
        if raw.count(0):
            return f"{raw.count(0):,} NUL bytes (a crash left a zero-filled block)"
        return "empty line"
    nuls = raw.count(0)
    last = final and i == lines.count - 1
    if shape == "unknown":
        return _unknown_reason(raw)
    if b"{" not in raw:
        sample = raw[:MAX_REASON_SAMPLE].decode("utf-8", "replace")
        return f"not a JSON record: {sample!r}" + (f" ({size:,} bytes)" if size > 60 else "")
    if nuls:
        return f"record broken by {nuls:,} NUL bytes (a crash left a zero-filled block)"
    try:
        json.loads(raw[raw.index(b"{") :])
        detail = "rejected by the JSON parser"
    except json.JSONDecodeError as exc:
        if last and lines.unterminated_last and exc.msg.startswith(("Expecting", "Unterminated")):
            return f"truncated record at end of file (no newline; a torn write), {size:,} bytes"
        detail = f"{exc.msg} at column {exc.colno}"
    except (UnicodeDecodeError, RecursionError) as exc:
        detail = type(exc).__name__
    return f"malformed JSON: {detail}" + (f" ({size:,}-byte line)" if size > 100_000 else "")


def _unknown_reason(raw: bytes) -> str:
    try:
        obj = json.loads(raw[raw.index(b"{") :])
    except (ValueError, RecursionError):
        obj = None
    if isinstance(obj, dict) and isinstance(obj.get("msg"), str):
        sample = obj["msg"].split("\n", 1)[0][:50]
        return f"launcher log line whose msg holds no osquery status line: {sample!r}"
    keys = ", ".join(list(obj)[:8]) if isinstance(obj, dict) else "?"
    return f"JSON object but not an osquery result or status record (keys: {keys})"


def _finish(result: ReaderResult, got: _Collected, source: str) -> None:
    result.records = pa.concat_tables(got.records) if got.records else None
    result.status = pa.concat_tables(got.status) if got.status else None
    result.meta["shapes"] = dict(got.shapes)
    result.kind = _kind(got.shapes, source)
    if got.prefixed:
        result.notes.append(
            f"{got.prefixed:,} lines carried a prefix (syslog?) before the JSON; stripped"
        )
    if got.nul_prefixed:
        result.notes.append(
            f"{got.nul_prefixed:,} lines began with NUL bytes (crash remnant) before a valid record; "
            "the record was kept"
        )
    if got.dropped_rows:
        result.notes.append(
            f"{got.dropped_rows:,} rows inside diffResults/snapshot arrays were not objects; skipped"
        )


def _kind(shapes: dict[str, int], source: str) -> str:
    """Name the source's kind from the shapes found in it."""
    plain = {k.split(":", 1)[-1] for k in shapes if k not in ("unknown",)}
    if any(k.startswith("envelope") for k in shapes):
        return "tls_log"
    results = plain & {"event", "batch"}
    snaps = plain & {"snapshot", "snapshot_row"}
    status = plain & {"status", "status_short", "glog_in_json"}
    if (results or snaps) and status:
        return "mixed_log"
    if results:
        return "results_log"
    if snaps:
        return "snapshot_log"
    if status:
        return "status_log_json"
    return "json_lines"
