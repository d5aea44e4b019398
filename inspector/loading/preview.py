"""A first look at a big run while it loads: the rate lanes from the log envelopes alone.

A full load parses every line completely (2–3 s per GB here). What the timeline's rate lanes need
— host, query, action and times — DuckDB's own reader pulls out of the files in a fraction of
that, skipping everything else. The preview is a ``Workspace`` of such envelope-only records of
event-format lines, mapped to subscribers and publishers like a full load (configs and status logs
are small and read in full), so the window can draw the lanes at once; the full load then
replaces it. Batch and snapshot lines, databases and line accounting come with the full load.
"""

from __future__ import annotations

import os

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.duck import new_database
from inspector.loading.cached_read import is_cached
from inspector.loading.inputs import InputFile, collect_inputs
from inspector.loading.pipeline import assemble, read_input
from inspector.loading.read_cache import ReadCache
from inspector.model import LoadOptions, SourceReport, Workspace
from inspector.progress import Progress, report
from inspector.readers.json_lines.parse_sql import SECONDS_TO_US, time_us
from inspector.readers.registry import choose_reader
from inspector.readers.result import ReaderResult, SkipFile
from inspector.readers.sniff import Head
from inspector.schema import LOADED_RECORDS, RECORDS

PREVIEW_MIN_BYTES = 64 * 1024 * 1024  # below this a full load is quick enough on its own

KEYS_SAMPLE_ROWS = 20_000  # rows whose columns are read, for the queries' column names
_READ = """read_ndjson(?, format = 'newline_delimited', ignore_errors = true, compression = ?,
    maximum_object_size = 67108864, columns = {columns})"""
_ENVELOPE_COLUMNS = """{name: 'VARCHAR', hostIdentifier: 'VARCHAR', hostname: 'VARCHAR',
    unixTime: 'VARCHAR', calendarTime: 'VARCHAR', action: 'VARCHAR',
    columns: 'STRUCT("time" VARCHAR)'}"""
_ENVELOPE_SQL = f"""
SELECT coalesce(hostIdentifier, hostname) AS host, name AS query,
       CASE WHEN action = 'snapshot' THEN 'snapshot' ELSE action END AS action,
       {time_us("unixTime", "calendarTime")} AS log_us,
       {SECONDS_TO_US.format(x="columns.time")} AS event_us
FROM {_READ.format(columns=_ENVELOPE_COLUMNS)}
WHERE name IS NOT NULL AND columns IS NOT NULL
"""
# The same rows' columns, for the first few thousand only: a query's column names can tell its
# subscriber (and its rows the platform) when neither a config nor its name does.
_COLUMNS_SQL = f"""
SELECT columns FROM {_READ.format(columns="{name: 'VARCHAR', columns: 'JSON'}")}
WHERE name IS NOT NULL AND columns IS NOT NULL LIMIT {KEYS_SAMPLE_ROWS}
"""


def preview(
    paths: list[str],
    options: LoadOptions | None = None,
    cache: ReadCache | None = None,
    progress: Progress | None = None,
    min_bytes: int | None = None,
) -> Workspace | None:
    """The envelope-only preview of ``paths``; None when the full load will be quick anyway
    (less than ``min_bytes`` — default ``PREVIEW_MIN_BYTES`` — of logs to parse, counting only
    files not in the read cache)."""
    options = options or LoadOptions()
    min_bytes = PREVIEW_MIN_BYTES if min_bytes is None else min_bytes
    files, _ = collect_inputs(paths)
    # Logs to parse are some of these files: too few bytes in all of them, and no file needs a
    # look inside (sniffing a folder's files took 80 ms of a 50 MB folder's open).
    if _bytes_on_disk(files) < min_bytes:
        return None
    logs: list[tuple[InputFile, str | None]] = []
    others: list[tuple[InputFile, str | None]] = []
    for f in files:
        if f.duplicate_of is not None or os.path.isdir(f.path):
            continue  # databases come with the full load
        try:
            head = Head.of(f.path)
            reader = choose_reader(head)
        except (OSError, SkipFile):
            continue
        (logs if reader.name == "json_lines" else others).append((f, head.compression))
    fresh = sum(
        os.path.getsize(f.path)
        for f, _ in logs
        if cache is None or not is_cached(cache, f.path, f.path, options)
    )
    if not fresh or fresh < min_bytes:
        return None
    sources: list[SourceReport] = []
    results: list[tuple[SourceReport, ReaderResult]] = []
    for f, _ in others:  # configs and status logs: small, read in full
        source, result = read_input(f, options, None, cache)
        sources.append(source)
        if result is not None:
            results.append((source, result))
    con = new_database()
    try:
        total = sum(os.path.getsize(f.path) for f, _ in logs) or 1
        done = 0
        for f, compression in logs:
            report(progress, done / total * 0.9, f"preview: {f.path}")
            source = SourceReport(f.path, "results_log", "loaded", size=os.path.getsize(f.path))
            records = _envelopes(con, f.path, compression)
            if records is not None:
                sources.append(source)
                results.append((source, ReaderResult(kind="results_log", records=records)))
            done += source.size
    finally:
        con.close()
    if not any(r.records is not None for _, r in results):
        return None  # no event-format lines (batch or snapshot logs): nothing to show early
    report(progress, 0.95, "preview: mapping queries to subscribers")
    return assemble(sources, results, options)


def _bytes_on_disk(files: list[InputFile]) -> int:
    total = 0
    for f in files:
        if f.duplicate_of is None:
            try:
                total += os.path.getsize(f.path) if not os.path.isdir(f.path) else 0
            except OSError:
                continue
    return total


def _envelopes(
    con: duckdb.DuckDBPyConnection, path: str, compression: str | None
) -> pa.Table | None:
    """Envelope-only ``LOADED_RECORDS`` of the event-format lines of one log (None if it has
    none, or DuckDB cannot read it at all: the full load will say why)."""
    params = [path, compression or "uncompressed"]  # "none" is 2.0+ only
    try:
        part = con.sql(_ENVELOPE_SQL, params=params).to_arrow_table()
        sample = con.sql(_COLUMNS_SQL, params=params).to_arrow_table().column("columns")
    except duckdb.Error:
        return None
    n = part.num_rows
    if not n:
        return None

    def dictionary(name: str) -> pa.Array:
        return pc.dictionary_encode(part.column(name).combine_chunks().cast(pa.string()))

    def nulls(name: str) -> pa.Array:
        return pa.nulls(n, LOADED_RECORDS.field(name).type)

    columns = {
        "source": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array([path])
        ),
        "line": pa.array(np.zeros(n, dtype=np.int64)),  # unknown in a preview
        **{name: nulls(name) for name in ("item", "part", "key")},
        "format": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array(["event"])
        ),
        "host": dictionary("host"),
        "query": dictionary("query"),
        **{name: nulls(name) for name in ("subscriber", "publisher")},
        "action": dictionary("action"),
        "log_time": part.column("log_us").cast(RECORDS.field("log_time").type),
        "event_time": part.column("event_us").cast(RECORDS.field("event_time").type),
        **{name: nulls(name) for name in ("counter", "epoch", "numerics", "eid", "decorations")},
        "columns": pa.concat_arrays(
            [sample.combine_chunks().cast(pa.string()), _empty_objects(n - len(sample))]
        ),
        "content": nulls("content"),
    }
    return pa.table(columns).cast(LOADED_RECORDS)


def _empty_objects(n: int) -> pa.Array:
    """``"{}"`` for each of ``n`` rows (no columns in a preview), built without a Python loop."""
    offsets = pa.py_buffer(np.arange(0, 2 * n + 1, 2, dtype=np.int32))
    return pa.Array.from_buffers(pa.string(), n, [None, offsets, pa.py_buffer(b"{}" * n)])
