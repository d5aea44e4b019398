"""One JSON-lines chunk after another, parsed on two threads and handed back in file order.

Each worker thread has its own DuckDB connection; a chunk is split into lines, blanked where it
must be (``parser_input``), parsed and built (``canonical_rows``), its records hashed and copied
out of DuckDB's memory. Only rejected lines are looked at one by one, to say why; should DuckDB
refuse a chunk, it is halved until the offending lines are isolated.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.content_hash import with_content
from inspector.duck import connection
from inspector.files.line_index import LineChunk, split_lines
from inspector.files.source_file import BufferPool
from inspector.readers.glog_lines import GlogOptions
from inspector.readers.json_lines.canonical_rows import Built, build, parse
from inspector.readers.json_lines.parser_input import line_table
from inspector.readers.json_lines.rejection_reasons import reason_for
from inspector.readers.result import EMPTY_LINE, BadLines, ReaderResult

NOT_PARSED, UNKNOWN, LOADED = 0, 1, 2  # what became of each line


WORKERS = 2  # chunks parsed at once: while one waits on Python, the other keeps a core busy


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A private in-memory DuckDB connection for one load (connections are not shared)."""
    con = connection(threads)
    con.execute("SET preserve_insertion_order = true")
    return con


@dataclass
class ChunkOut:
    """What one chunk gave: rows, rejected lines (in order), and what was noticed."""

    built: Built
    bad: BadLines
    loaded: int
    prefixed: int
    nul_trimmed: int
    fraction: float
    last_line: int
    torn_before_nuls: int = 0
    line_shapes: list[pa.Table] = field(default_factory=list)  # (line, shape) of parsed lines


def settled(first_line: int, bad: BadLines, fraction: float, lines: int) -> ChunkOut:
    """The result of ``lines`` lines from ``first_line`` that were all rejected unparsed."""
    return ChunkOut(Built(), bad, 0, 0, 0, fraction, first_line + lines - 1)


@dataclass
class Totals:
    built: Built = field(default_factory=Built)
    keep_line_shapes: bool = False  # keep every parsed line's shape (a batch of files needs them)
    line_shapes: list[pa.Table] = field(default_factory=list)
    prefixed: int = 0
    nul_trimmed: int = 0
    torn_before_nuls: int = 0
    nul_run_lines: int = 0  # long lines whose leading NUL run (and what preceded it) was left out
    nul_run_bytes: int = 0

    def merge(self, out: ChunkOut, result: ReaderResult) -> None:
        self.built.merge(out.built)
        self.prefixed += out.prefixed
        self.nul_trimmed += out.nul_trimmed
        self.torn_before_nuls += out.torn_before_nuls
        result.bad.merge(out.bad)
        result.lines_loaded += out.loaded
        if self.keep_line_shapes:
            self.line_shapes.extend(out.line_shapes)


class ChunkParsers:
    """Chunks parsed on ``WORKERS`` threads, each with its own DuckDB connection, handed back in
    file order. DuckDB, numpy and Arrow release the GIL, so two chunks use both cores where one
    query alone leaves gaps (its Python steps, its single-threaded Arrow conversion)."""

    def __init__(self, source: str, glog: GlogOptions) -> None:
        self._source, self._glog = source, glog
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="json-lines")
        self._local = threading.local()
        self._connections: list[duckdb.DuckDBPyConnection] = []
        self._pending: deque[tuple[Future[ChunkOut], bytearray | None]] = deque()
        self.buffers = BufferPool()

    def submit(
        self,
        data: bytes | bytearray | memoryview,
        first_line: int,
        final: bool,
        fraction: float,
        buffer: bytearray | None,
    ) -> None:
        """Parse ``data`` (whole lines from ``first_line`` on) on a worker; ``buffer`` goes back
        to the pool once this result has been taken."""
        future = self._pool.submit(self._work, data, first_line, final, fraction)
        self._pending.append((future, buffer))

    def submit_done(self, out: ChunkOut, buffer: bytearray | None = None) -> None:
        """A result known without parsing (a run of empty lines, a line too long), handed back
        in its place among the parsed ones."""
        future: Future[ChunkOut] = Future()
        future.set_result(out)
        self._pending.append((future, buffer))

    def ready(self) -> Iterator[ChunkOut]:
        """Finished chunks in order, keeping at most ``WORKERS`` in flight (bounded memory)."""
        while len(self._pending) > WORKERS:
            yield self._next()

    def rest(self) -> Iterator[ChunkOut]:
        while self._pending:
            yield self._next()

    def _next(self) -> ChunkOut:
        future, buffer = self._pending.popleft()
        try:
            return future.result()
        finally:
            self.buffers.give(buffer)  # nothing refers to the chunk's bytes once it is parsed

    def close(self) -> None:
        for future, _ in self._pending:
            future.cancel()
        self._pool.shutdown(wait=True)
        for con in self._connections:
            con.close()

    def _work(
        self, data: bytes | bytearray | memoryview, first_line: int, final: bool, fraction: float
    ) -> ChunkOut:
        con = getattr(self._local, "con", None)
        if con is None:
            con = self._local.con = connect(threads=1)
            self._connections.append(con)
        lines = split_lines(data, first_line)
        return read_chunk(con, lines, self._source, final, self._glog, fraction)


def read_chunk(
    con: duckdb.DuckDBPyConnection,
    lines: LineChunk,
    source: str,
    final: bool,
    glog: GlogOptions,
    fraction: float,
) -> ChunkOut:
    prepared = line_table(lines)
    built = Built()
    shapes = np.zeros(lines.count, dtype=np.int8)  # see _process: 0 not parsed, 1 unknown, 2 loaded
    failures: dict[int, str] = {}
    line_shapes: list[pa.Table] = []
    _process(con, prepared.table, 0, source, glog, shapes, failures, built, line_shapes)
    # Hashed here, on the worker, rather than once over the whole file afterwards.
    built.records = [_owned(with_content(t, con)) for t in built.records]
    loaded = shapes == LOADED
    for i, reason in prepared.pre_bad.items():
        loaded[i] = False
        failures.setdefault(i, reason)
    for line, _item in built.glog_orphans:
        i = line - lines.first_line
        if 0 <= i < lines.count and loaded[i]:
            loaded[i] = False
            failures[i] = "launcher log line whose msg is not a complete glog line"
    built.glog_orphans.clear()
    bad = rejected_lines(lines, np.flatnonzero(~loaded), shapes, failures, final)
    return ChunkOut(
        built,
        bad,
        int(np.count_nonzero(loaded)),
        prepared.prefixed,
        prepared.nul_trimmed,
        fraction,
        lines.first_line + lines.count - 1,
        prepared.torn_before_nuls,
        line_shapes,
    )


def rejected_lines(
    lines: LineChunk,
    rejected: np.ndarray,
    shapes: np.ndarray,
    failures: dict[int, str],
    final: bool,
) -> BadLines:
    """The reasons for the rejected lines (chunk indices, ascending), in line order. Runs of
    empty lines become one entry each, found without a Python step per line: a file of a
    million blank lines costs a few array operations, not a million reasons."""
    bad = BadLines()
    empty = (lines.ends[rejected] == lines.starts[rejected]) & ~np.isin(
        rejected, np.fromiter(failures, dtype=np.int64, count=len(failures))
    )
    blank = rejected[empty]
    # Runs of consecutive empty lines: where the index does not follow on from the one before.
    first = np.flatnonzero(np.diff(blank, prepend=-2) != 1)  # positions in ``blank``
    lengths = np.diff(np.append(first, len(blank)))
    runs = dict(zip(blank[first].tolist(), lengths.tolist(), strict=True))
    others = rejected[~empty].tolist()
    for i in sorted([*runs, *others]):
        if i in runs:
            bad.add_run(lines.first_line + i, runs[i], EMPTY_LINE)
            continue
        shape = "unknown" if shapes[i] == UNKNOWN else None
        bad.add(lines.first_line + i, failures.get(i) or reason_for(lines, i, shape, final))
    return bad


def _owned(table: pa.Table) -> pa.Table:
    """``table`` copied into Arrow's own memory pool.

    DuckDB's result buffers live among the transient memory of the next queries; kept until the
    end of the load they pin it (fragmentation: ~14 MB more resident memory per chunk). A compact
    copy lets DuckDB reuse its memory for every chunk."""
    if not table.num_rows:
        return table
    arrays = [pa.concat_arrays(column.chunks) for column in table.columns]
    return pa.Table.from_arrays(arrays, schema=table.schema)


def _process(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    offset: int,
    source: str,
    glog: GlogOptions,
    shapes: np.ndarray,
    failures: dict[int, str],
    into: Built,
    line_shapes: list[pa.Table],
) -> None:
    """Parse and build ``table`` (rows ``offset…`` of the chunk); halve it if DuckDB refuses it.
    Each parsed line's shape goes to ``line_shapes`` as ``(line, shape)``."""
    try:
        flat = parse(con, table)
        built = build(con, flat, source, glog)
    except (duckdb.Error, pa.ArrowException) as exc:
        if table.num_rows == 1:
            shapes[offset] = NOT_PARSED
            failures[offset] = f"the parser refused the record: {str(exc).splitlines()[0][:160]}"
            return
        half = table.num_rows // 2
        for part, at in ((table.slice(0, half), offset), (table.slice(half), offset + half)):
            _process(con, part, at, source, glog, shapes, failures, into, line_shapes)
        return
    shape = flat.column("shape")
    unknown = np.asarray(pc.fill_null(pc.equal(shape, "unknown"), False), dtype=bool)
    parsed = np.asarray(pc.is_valid(shape), dtype=bool)
    shapes[offset : offset + table.num_rows] = np.where(
        unknown, UNKNOWN, np.where(parsed, LOADED, NOT_PARSED)
    )
    line_shapes.append(
        pa.table({"line": flat.column("line"), "shape": shape.cast(pa.string())}).filter(
            pa.array(parsed)
        )
    )
    into.merge(built)
