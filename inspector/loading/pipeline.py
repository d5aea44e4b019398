"""Loading a run: every input read, then joined into a ``Workspace`` (``inspector.model``).

``load`` reads every input with the reader its content calls for, then joins what the files say
about each other: status-log markers, the config's queries, each host's platform, and each
query's subscriber and publisher.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import os
import time

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from inspector.arrow_columns import value_mask
from inspector.catalog.markers import classify
from inspector.content_hash import with_content
from inspector.loading import subscriber_mapping
from inspector.loading.all_inputs import read_all
from inspector.loading.cached_read import read_through_cache
from inspector.loading.config_queries import config_queries
from inspector.loading.gc_pause import collector_paused
from inspector.loading.host_knowledge import HostKnowledge
from inspector.loading.host_platforms import infer_platforms
from inspector.loading.inputs import InputFile, InputProblem, collect_inputs
from inspector.loading.read_cache import ReadCache
from inspector.loading.status_clock import place_status_times
from inspector.loading.status_hosts import with_status_hosts
from inspector.loading.subscriptions import subscriptions_table
from inspector.model import LoadOptions, SourceReport, Workspace
from inspector.model.runs import RUN_SOURCES, hosts_in_several_runs, run_names, with_run_column
from inspector.progress import Cancelled, Progress, report
from inspector.readers.database_error import DatabaseError
from inspector.readers.glog import glog_options
from inspector.readers.json_lines.reader import connect, read_json_lines
from inspector.readers.registry import choose_reader
from inspector.readers.result import ReaderResult, SkipFile
from inspector.readers.rocksdb_db import read_rocksdb
from inspector.readers.sniff import Head
from inspector.schema import (
    BAD_LINES,
    EMPTY_RUNS,
    HOSTS,
    LOADED_RECORDS,
    STATUS,
    SUBSCRIPTIONS,
)


def load(
    paths: list[str],
    options: LoadOptions | None = None,
    progress: Progress | None = None,
    cache: ReadCache | None = None,
    one_run: bool = False,
    known: HostKnowledge | None = None,
) -> Workspace:
    """Load every input under ``paths``; a bad file is reported and the rest still loads.

    With a ``cache``, files unchanged since they were last read come back from it, grown logs
    are read from where they ended, and fresh reads are stored in it. With ``one_run``, the
    inputs are one run whatever folders they are in (a log pipeline's objects, filed by hour).
    ``known`` is what other reads found out about the hosts (``HostKnowledge``)."""
    with collector_paused():
        ws = _load(paths, options or LoadOptions(), progress, cache, one_run, known)
    if cache is not None:
        cache.written.clear()  # stored by this load (or its preview): "from the cache" next time
    return ws


def _load(
    paths: list[str],
    options: LoadOptions,
    progress: Progress | None,
    cache: ReadCache | None,
    one_run: bool = False,
    known: HostKnowledge | None = None,
) -> Workspace:
    files, problems = collect_inputs(paths)
    sources = [SourceReport(p.path, "error", "error", reason=p.reason) for p in problems]
    results: list[tuple[SourceReport, ReaderResult]] = []
    sizes = {f.path: _size(f.path) for f in files if f.duplicate_of is None}
    held = cache.holding() if cache is not None else contextlib.nullcontext()
    with held:
        read = read_all(
            files, sizes, options, progress, lambda f, part: read_input(f, options, part, cache)
        )
    for source, result in read:
        sources.append(source)
        if result is not None:
            results.append((source, result))
    report(progress, 0.92, "linking queries, hosts and markers")
    runs = None if one_run else runs_of_inputs(paths, files, problems)
    ws = assemble(sources, results, options, progress, runs, known)
    report(progress, 1.0, "loaded")
    return ws


def runs_of_inputs(
    paths: list[str], files: list[InputFile], problems: list[InputProblem]
) -> pa.Table:
    """``RUN_SOURCES``: the run of every input file and problem. A folder given is a run; files
    given on their own are the run of the folder they are in (a results log and the status
    log beside it, given as two paths, are one run)."""

    @functools.cache  # one stat per root given, not one per file (folders of 100,000 files)
    def run_root(given: str) -> str:
        return given if os.path.isdir(given) else os.path.dirname(os.path.abspath(given))

    roots = list(dict.fromkeys(run_root(p) for p in paths))
    name_of = dict(zip(roots, run_names(roots), strict=True))
    found = [(f.path, f.root) for f in files] + [(p.path, p.root) for p in problems]
    # In the order the roots were given (the files themselves are in reading order).
    rank = {root: k for k, root in enumerate(roots)}
    rows = sorted(
        ((path, run_root(given or path)) for path, given in found),
        key=lambda r: rank.get(r[1], 0),
    )
    return pa.table(
        {
            "source": [path for path, _ in rows],
            "run": [name_of.get(root, root) for _, root in rows],
            "root": [root for _, root in rows],
        },
        schema=RUN_SOURCES,
    )


def _size(path: str) -> int:
    try:
        if os.path.isdir(path):
            return sum(
                e.stat().st_size for e in os.scandir(path) if e.is_file(follow_symlinks=False)
            )
        return os.path.getsize(path)
    except OSError:
        return 0


def read_input(
    f: InputFile, options: LoadOptions, progress: Progress | None, cache: ReadCache | None = None
) -> tuple[SourceReport, ReaderResult | None]:
    """Read one input (a file or a database folder); a failure becomes the report's reason."""
    source = SourceReport(f.path, "unknown", "loaded", size=_size(f.path))
    if f.duplicate_of is not None:
        source.kind, source.status = "duplicate", "duplicate"
        how = "symbolic link" if os.path.islink(f.path) else "given twice"
        source.reason = f"same file as {f.duplicate_of} ({how}); loaded once"
        return source, None
    started = time.perf_counter()
    try:
        if os.path.isdir(f.path):
            result = read_rocksdb(f.path, f.path, progress)
        elif cache is None:
            result, _, source.compression = _read_file(f.path, options, progress)
        else:
            result, source.compression, how = read_through_cache(
                cache, f.path, f.path, options,
                lambda end: _read_file(f.path, options, progress, end), progress,
            )  # fmt: skip
            source.cached = how if how != "read" else None
    except DatabaseError as exc:
        source.kind, source.status, source.reason = "error", "error", str(exc)
        return source, None
    except SkipFile as exc:
        source.kind, source.status, source.reason = "skipped", "skipped", str(exc)
        return source, None
    except PermissionError as exc:
        source.kind, source.status = "error", "error"
        source.reason = f"permission denied: {exc.filename or f.path}"
        return source, None
    except Cancelled:
        raise
    except OSError as exc:
        source.kind, source.status = "error", "error"
        source.reason = f"cannot read {exc.filename or f.path}: {exc.strerror or exc}"
        return source, None
    except Exception as exc:  # one broken file must not stop the others
        logging.getLogger(__name__).exception("reading %s failed", f.path)
        source.kind, source.status = "error", "error"
        source.reason = (
            f"could not be read ({type(exc).__name__}: {exc}); please report this file "
            "(the traceback is in the log file)"
        )
        return source, None
    source.seconds = time.perf_counter() - started
    source.kind = result.kind
    source.lines_read = result.lines_read
    source.lines_loaded = result.lines_loaded
    source.lines_rejected = len(result.bad)
    source.rows = result.rows
    source.notes = list(result.notes)
    source.year_assumed = bool(result.meta.get("year_assumed"))
    source.lines_other = int(result.meta.get("lines_other", 0))
    source.zone_evidence = list(result.meta.get("zone_evidence", []))
    if result.meta.get("damage"):  # loaded, but not all of it: say so where problems are listed
        source.reason = "; ".join(result.meta["damage"])
    return source, result


def _read_file(
    path: str, options: LoadOptions, progress: Progress | None, end: int | None = None
) -> tuple[ReaderResult, str, str | None]:
    """Read one file with the reader its content calls for: (result, reader, compression).
    ``end``: read a plain JSON-lines log only up to that byte (its size when the read began)."""
    head = Head.of(path)
    reader = choose_reader(head)
    if end is not None and reader.name == "json_lines" and head.compression is None:
        result = read_json_lines(path, path, glog=glog_options(options), progress=progress, end=end)
    else:
        result = reader.read(path, path, options, progress)
    if result.records is not None:
        result.records = with_content(result.records)
    return result, reader.name, head.compression


def _concat(tables: list[pa.Table], schema: pa.Schema) -> pa.Table:
    tables = [t for t in tables if t is not None and t.num_rows]
    if not tables:
        return schema.empty_table()
    return pa.concat_tables([t.cast(schema) for t in tables]).unify_dictionaries()


def assemble(
    sources: list[SourceReport],
    results: list[tuple[SourceReport, ReaderResult]],
    options: LoadOptions,
    progress: Progress | None = None,
    runs: pa.Table | None = None,
    known: HostKnowledge | None = None,
) -> Workspace:
    """Join what the inputs say about each other: markers, queries, platforms, subscribers;
    with ``runs`` (``RUN_SOURCES``), the run of every row of a host found in several runs;
    with ``known``, other reads' platforms and publishers where these inputs say nothing."""
    records = _concat(
        [with_content(r.records) for _, r in results if r.records is not None], LOADED_RECORDS
    )
    status = classify_status(_concat(with_status_hosts(results), STATUS))
    status, clocks = place_status_times(status, records, sources, options)
    queries = config_queries(results)
    bad = _concat([r.bad.table(s.path) for s, r in results if r.bad.entries], BAD_LINES)

    con = connect()
    try:
        linked = _link(con, records, status, queries, sources, progress, known)
    finally:
        con.close()
    runs = runs if runs is not None else RUN_SOURCES.empty_table()
    several = hosts_in_several_runs(runs, linked.records)
    return Workspace(
        sources=sources,
        records=with_run_column(linked.records, runs, several),
        status=with_run_column(linked.status, runs, several),
        queries=queries,
        hosts=linked.hosts if linked.hosts.num_rows else HOSTS.empty_table(),
        mapping=linked.mapping,
        subscriptions=(
            with_run_column(linked.subscriptions, runs, several)
            if linked.subscriptions.num_rows
            else SUBSCRIPTIONS.empty_table()
        ),
        bad_lines=bad,
        options=options,
        status_clocks=clocks,
        empty_runs=_concat([r.empty_runs for _, r in results], EMPTY_RUNS),
        runs=runs,
    )


@dataclasses.dataclass
class _Linked:
    """Records and status lines linked to hosts, subscribers and publishers."""

    records: pa.Table
    status: pa.Table
    hosts: pa.Table
    mapping: pa.Table
    subscriptions: pa.Table


def _link(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    status: pa.Table,
    queries: pa.Table,
    sources: list[SourceReport],
    progress: Progress | None,
    known: HostKnowledge | None = None,
) -> _Linked:
    """Each host's platform, each query's subscriber and publisher, the hosts of lines that
    name none, and the subscriptions the ``osquery_events`` rows show."""
    config_tables = dict(
        zip(queries.column("query").to_pylist(), queries.column("tables").to_pylist(), strict=True)
    )
    report(progress, 0.94, "mapping queries to subscribers")
    keys = subscriber_mapping.query_keys(con, records)
    names = sorted(keys)
    query_subscriber = {
        q: subscriber_mapping.subscriber_of(q, config_tables.get(q), keys.get(q, set()))
        for q in names
    }
    events_queries = [
        q
        for q in names
        if subscriber_mapping.is_osquery_events(q, config_tables.get(q), keys.get(q, set()))
    ]
    hosts = infer_platforms(con, records, status, queries, config_tables)
    if known is not None:
        hosts = with_known_platforms(hosts, known)
    report(progress, 0.97, "mapping publishers")
    host_names = hosts.column("host").to_pylist()
    single = host_names[0] if len(host_names) == 1 else None
    platform = dict(zip(host_names, hosts.column("platform").to_pylist(), strict=True))
    publishers = subscriber_mapping.publishers_by_host(status, single)
    if known is not None:
        for host in host_names:
            if host in known.publishers:
                publishers[host] = publishers.get(host, set()) | known.publishers[host]
    mapping = subscriber_mapping.build_mapping(
        subscriber_mapping.host_query_pairs(con, records), query_subscriber, platform, publishers
    )
    if single is not None:
        # A blank host name (journald) or a file that names none: the run's only host's.
        filled = pc.fill_null(status.column("host").cast(pa.string()), single)
        index = status.schema.get_field_index("host")
        status = status.set_column(index, "host", pc.dictionary_encode(filled))
    records = subscriber_mapping.apply_mapping(records, mapping)
    records = _hostless_rows(records, single, sources)
    subscriptions = subscriptions_table(con, records, events_queries)
    return _Linked(records, status, hosts, mapping, subscriptions)


# How a host's evidence begins when its platform came from another read (``HostKnowledge``).
FOUND_ELSEWHERE = "found by another read of this host"


def with_known_platforms(hosts: pa.Table, known: HostKnowledge) -> pa.Table:
    """``hosts`` (``HOSTS``) with the platform other reads found for a host these inputs leave
    unknown, said as such in its evidence."""
    if not hosts.num_rows:
        return hosts
    rows = hosts.to_pylist()  # one row per host: a few thousand at most
    for row in rows:
        if row["platform"] is None and row["host"] in known.platforms:
            row["platform"] = known.platforms[row["host"]]
            found = f"{FOUND_ELSEWHERE} ({row['platform']})"
            row["evidence"] = f"{found}; {row['evidence']}" if row["evidence"] else found
    return pa.Table.from_pylist(rows, schema=hosts.schema)


def with_status_zone(ws: Workspace, tz: str | None) -> Workspace:
    """``ws`` with its wall-clock status lines placed again: in zone ``tz``, or (None) as the
    run's evidence says. Records and everything read stay; the analysis is the caller's."""
    options = LoadOptions(tz=tz, year=ws.options.year)
    status, clocks = place_status_times(ws.status, ws.records, ws.sources, options)
    return dataclasses.replace(ws, status=status, status_clocks=clocks, options=options)


def classify_status(status: pa.Table) -> pa.Table:
    """Marker class and subject of every status row a reader did not classify itself; a
    system log's echo of a glog line gets none (it is the same event)."""
    if not status.num_rows:
        return status
    marker, subject = classify(status.column("message"))
    echo = pc.fill_null(
        pc.equal(pc.cast(status.column("format"), pa.string()), "syslog_echo"), False
    )
    known = pc.is_valid(status.column("marker"))
    keep = pc.or_(known, echo)
    marker = pc.if_else(keep, status.column("marker").cast(pa.string()), marker.cast(pa.string()))
    subject = pc.if_else(keep, status.column("subject"), subject)
    field_type = status.schema.field("marker").type
    status = status.set_column(
        status.schema.get_field_index("marker"),
        "marker",
        pc.dictionary_encode(marker).cast(field_type),
    )
    return status.set_column(status.schema.get_field_index("subject"), "subject", subject)


def _hostless_rows(records: pa.Table, single: str | None, sources: list[SourceReport]) -> pa.Table:
    """Database rows carry no host name. A database beside logs that name one host (the agent's
    folder) is that host's; otherwise, when the run has exactly one host, they are its rows."""
    if not records.num_rows or records.column("host").null_count == 0:
        return records
    pairs = records.select(["source", "host"]).group_by(["source", "host"]).aggregate([])
    hosts_of: dict[str, set[str]] = {}
    for source, host in zip(
        pairs.column("source").to_pylist(), pairs.column("host").to_pylist(), strict=True
    ):
        if host is not None:
            hosts_of.setdefault(os.path.dirname(source), set()).add(host)
    owner: dict[str, str] = {}
    for s in sources:
        if s.kind not in ("osquery_db", "database_dump") or s.status != "loaded":
            continue
        beside = hosts_of.get(os.path.dirname(os.path.normpath(s.path)), set())
        if len(beside) == 1:
            owner[s.path] = next(iter(beside))
            s.notes.append(
                f"the database names no host; its rows are attributed to {owner[s.path]}, "
                "the host the logs beside it name"
            )
        elif single is not None:
            owner[s.path] = single
            s.notes.append(
                f"the database names no host; its rows are attributed to the run's only host, {single}"
            )
    if not owner:
        return records
    filled = records.column("host").cast(pa.string())
    for path, host in owner.items():
        # Compared once per distinct path (the dictionary), not once per row.
        of_path = value_mask(records.column("source"), functools.partial(pc.equal, path))
        hit = pc.and_(pa.array(of_path), pc.is_null(filled))
        filled = pc.if_else(hit, pa.scalar(host), filled)
    return records.set_column(
        records.schema.get_field_index("host"), "host", pc.dictionary_encode(filled)
    )
