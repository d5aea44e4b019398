"""Reader for osquery's JSON-lines outputs: results and snapshot logs (event, batch and snapshot
formats, every legacy shape), JSON status records of the buffered loggers, Kinesis/Firehose
records (``log_type``), TLS envelopes, and osqueryd stderr wrapped in JSON by a launcher.

The file is read in chunks of whole lines, counted here and parsed on two worker threads
(``chunk_parsing``: split with numpy, parsed by DuckDB straight from the byte buffer, so no Python
object is built per line); their rows and rejected lines are merged back in file order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa

from inspector.files.line_index import line_count
from inspector.files.line_parts import is_blank, line_parts, only_newlines
from inspector.files.source_file import (
    DEFAULT_CHUNK_BYTES,
    LINE_CAP,
    Chunk,
    StreamError,
    iter_chunks,
)
from inspector.progress import Progress, report
from inspector.readers.glog_lines import GlogOptions
from inspector.readers.json_lines.chunk_parsing import (
    ChunkOut,
    ChunkParsers,
    Totals,
    connect,
    settled,
)
from inspector.readers.result import EMPTY_LINE, BadLines, ReaderResult, concat_unified

__all__ = ["connect", "kind_of_shapes", "read_json_lines"]  # connect: one place for all readers


def read_json_lines(
    path: str,
    source: str | None = None,
    *,
    glog: GlogOptions | None = None,
    progress: Progress | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    data: bytes | None = None,
    start: int = 0,
    first_line: int = 1,
    end: int | None = None,
    line_shapes: bool = False,
) -> ReaderResult:
    """Read one JSON-lines file into records and status rows, accounting for every line.

    ``data`` reads from memory instead of ``path`` (used for documents re-serialised to a line).
    ``start`` and ``first_line`` read only what follows byte ``start`` of a plain file, numbering
    its lines from ``first_line`` (the new tail of a cached log); ``end`` stops at that byte
    (what a log held when its read began, whatever is appended meanwhile). ``line_shapes``
    keeps every parsed line's shape in ``meta["line_shapes"]`` (a ``(line, shape)`` table): a
    batch of files joined into one buffer tells its files' kinds apart with it.
    """
    source = source or path
    glog = glog or GlogOptions()
    result = ReaderResult(kind="json_lines")
    totals = Totals(keep_line_shapes=line_shapes)
    parsers = ChunkParsers(source, glog)
    next_line = first_line

    def take(outs: Iterator[ChunkOut]) -> None:
        for out in outs:
            totals.merge(out, result)
            report(progress, out.fraction, f"{source}: line {out.last_line:,}")

    try:
        chunks = (
            memory_chunks(data, chunk_bytes)
            if data is not None
            else iter_chunks(path, chunk_bytes, start, parsers.buffers, end)
        )
        try:
            for chunk in chunks:
                next_line = _submit(chunk, next_line, parsers, result, totals)
                take(parsers.ready())
        except StreamError as exc:
            result.notes.append(
                f"compressed data is truncated or corrupt after line {next_line - 1}: {exc}; "
                "everything before it was loaded"
            )
        take(parsers.rest())
    finally:
        parsers.close()
    _finish(result, totals)
    if line_shapes:
        result.meta["line_shapes"] = (
            pa.concat_tables(totals.line_shapes)
            if totals.line_shapes
            else pa.table({"line": pa.array([], pa.int64()), "shape": pa.array([], pa.string())})
        )
    return result


def memory_chunks(data: bytes, chunk_bytes: int) -> Iterator[Chunk]:
    """``data`` in chunks of whole lines of about ``chunk_bytes`` (both parser threads get work
    when a joined batch of files is larger than one chunk)."""
    view = memoryview(data)
    size = len(data)
    at = 0
    while True:
        cut = data.find(b"\n", at + chunk_bytes - 1) if size - at > chunk_bytes else -1
        if cut < 0:
            yield Chunk(view[at:], True, 1.0)
            return
        yield Chunk(view[at : cut + 1], False, (cut + 1) / size)
        at = cut + 1


def _submit(
    chunk: Chunk, first_line: int, parsers: ChunkParsers, result: ReaderResult, totals: Totals
) -> int:
    """Hand ``chunk``'s lines to the parsers (or settle them at once); return the next line."""
    if chunk.too_long or chunk.dropped:
        # One long line: past the line cap (rejected unread), or only NULs, or the text after
        # a NUL run (the run left out) — see source_file.Chunk.
        result.lines_read += 1
        reason = long_line_reason(chunk)
        if reason is not None:
            bad = BadLines()
            bad.add(first_line, reason)
            parsers.submit_done(settled(first_line, bad, chunk.fraction, 1))
            return first_line + 1
        totals.nul_run_bytes += chunk.dropped
        totals.nul_run_lines += 1
        parsers.submit(chunk.data, first_line, chunk.final, chunk.fraction, None)
        return first_line + 1
    count = line_count(chunk.data)  # only counted here (memchr speed); the workers split
    result.lines_read += count
    if not count:
        parsers.buffers.give(chunk.buffer)
        return first_line
    parts = list(line_parts(chunk.data, count))
    for k, (part, lines) in enumerate(parts):
        buffer = chunk.buffer if k == len(parts) - 1 else None  # given back after the last
        if only_newlines(part):
            bad = BadLines()
            bad.add_run(first_line, lines, EMPTY_LINE)
            parsers.submit_done(settled(first_line, bad, chunk.fraction, lines), buffer)
        else:
            final = chunk.final and k == len(parts) - 1
            parsers.submit(part, first_line, final, chunk.fraction, buffer)
        first_line += lines
    return first_line


def long_line_reason(chunk: Chunk) -> str | None:
    """Why a line that came on its own is rejected unparsed (None: parse what was kept)."""
    if chunk.too_long:
        nuls = f", {chunk.dropped_nuls:,} of them NUL" if chunk.dropped_nuls else ""
        return (
            f"a line of {chunk.too_long:,} bytes{nuls}: longer than the "
            f"{LINE_CAP // 2**20} MB a line may have, rejected unread"
        )
    if is_blank(chunk.data):
        torn = chunk.dropped - chunk.dropped_nuls
        after = f" after {torn:,} bytes of a torn line" if torn else ""
        return f"{chunk.dropped_nuls:,} NUL bytes{after} (a crash left a zero-filled block)"
    return None


def _finish(result: ReaderResult, totals: Totals) -> None:
    got = totals.built
    result.records = concat_unified(got.records)
    result.status = concat_unified(got.status)
    result.empty_runs = concat_unified(got.empty_runs)
    empty = sum(t.num_rows for t in got.empty_runs)
    if empty:
        result.notes.append(empty_runs_note(empty))
    if got.legacy_empty_lists:
        result.notes.append(
            f'{got.legacy_empty_lists:,} lines write an empty list as "" (osquery ≤ 2.x): read as '
            "empty lists"
        )
    result.meta["shapes"] = dict(got.shapes)
    result.kind = kind_of_shapes(got.shapes)
    result.notes.extend(got.notes)
    if totals.prefixed:
        result.notes.append(
            f"{totals.prefixed:,} lines carried a prefix (syslog?) before the JSON; stripped"
        )
    if totals.nul_run_lines:
        result.notes.append(
            f"{totals.nul_run_lines:,} long lines began with a NUL run (a crash remnant, "
            f"{totals.nul_run_bytes:,} bytes with what preceded it) that was left out; "
            "what followed it was read"
        )
    if totals.nul_trimmed:
        result.notes.append(
            f"{totals.nul_trimmed:,} lines had NUL bytes (crash remnant) around a complete record; "
            "the record was kept"
        )
    if totals.torn_before_nuls:
        result.notes.append(
            f"{totals.torn_before_nuls:,} of them began with a torn record cut off by the NUL run; "
            "only the record after the run was read"
        )
    if got.dropped_rows:
        result.notes.append(
            f"{got.dropped_rows:,} rows inside diffResults/snapshot arrays were not objects; skipped"
        )


def empty_runs_note(runs: int) -> str:
    """The note for ``runs`` query runs that logged no row."""
    return f"{runs:,} query runs logged no row (an empty snapshot or batch): kept as runs"


def kind_of_shapes(shapes: dict[str, int]) -> str:
    """Name the source's kind from the shapes found in it."""
    plain = {k.split(":", 1)[-1] for k in shapes if k != "unknown"}
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
