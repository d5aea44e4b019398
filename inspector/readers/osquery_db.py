"""osquery's database content — from a RocksDB ``osquery.db`` or a ``--database_dump`` — as tables.

Input is the logical domains (``configurations``, ``queries``, ``events``, ``logs``, …), each a list
of (key, value) pairs. Events become records keyed ``data.<publisher>.<subscriber>.<eid10>``;
stored query results become records of their query; the buffered logs of the TLS/AWS loggers are
parsed like their log-file twins; the stored config names the scheduled queries.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.gil_friendly import joined, lengths
from inspector.readers.config import (
    config_kind,
    parse_json_document,
    queries_from_config,
    queries_table,
    query_row,
)
from inspector.readers.json_lines.parse_sql import SECONDS_TO_US
from inspector.readers.json_lines.reader import connect, read_json_lines
from inspector.readers.result import ReaderResult
from inspector.schema import RECORDS

KNOWN_EVENT_PREFIXES = ("data.", "eid.", "indexes.", "records.", "optimize.", "optimize_eid.")

DOMAINS = (
    "configurations", "queries", "events", "logs", "carves", "distributed", "distributed_running",
    "query_performance",
)  # fmt: skip
Pairs = list[tuple[bytes, bytes]]


@dataclass
class Domain:
    """One domain's keys and values as Arrow string arrays (position = key order)."""

    keys: pa.Array
    values: pa.Array
    lines: np.ndarray | None = None  # where each key is in its file (a dump), else its position

    @classmethod
    def of(cls, keys: list[bytes], values: list[bytes], lines: list[int] | None = None) -> Domain:
        return cls(
            _strings(keys), _strings(values), np.asarray(lines, dtype=np.int64) if lines else None
        )

    def line(self, i: int | np.ndarray) -> int | np.ndarray:
        """1-based locator of key ``i``: its text line in a dump, its position in a database."""
        return self.lines[i] if self.lines is not None else np.asarray(i) + 1

    def __len__(self) -> int:
        return len(self.keys)

    def pairs(self, mask: pa.Array | None = None) -> list[tuple[str, str]]:
        """(key, value) as Python strings — for the small domains and filtered subsets only."""
        keys, values = (
            (self.keys, self.values)
            if mask is None
            else (self.keys.filter(mask), self.values.filter(mask))
        )
        return list(zip(keys.to_pylist(), values.to_pylist(), strict=True))

    def starts(self, prefix: str) -> pa.Array:
        return pc.starts_with(self.keys, prefix)


def _strings(raw: list[bytes]) -> pa.Array:
    """Bytes → Arrow strings; invalid UTF-8 (never written by osquery) is replaced, not fatal.

    The array is assembled from one joined buffer and its offsets: far faster than letting
    pyarrow convert a million ``bytes`` objects one by one.
    """
    sizes = lengths(raw)  # in slices, as the join: a window's GUI thread waits for the GIL
    offsets = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    data = joined(raw, int(offsets[-1]))
    # 32-bit offsets when they fit: the records' string columns are, and casting copies the text
    small = offsets[-1] < 2**31
    binary = pa.Array.from_buffers(
        pa.binary() if small else pa.large_binary(),
        len(raw),
        [None, pa.py_buffer(offsets.astype(np.int32) if small else offsets), pa.py_buffer(data)],
    )
    try:
        return binary.cast(pa.string() if small else pa.large_string())
    except pa.ArrowInvalid:
        return pa.array([b.decode("utf-8", "replace") for b in raw], pa.string())


def empty_domain() -> Domain:
    return Domain(pa.array([], pa.string()), pa.array([], pa.string()))


_EVENTS_SQL = """
SELECT k AS key, idx,
    split_part(k, '.', 2) AS publisher, split_part(k, '.', 3) AS subscriber,
    split_part(k, '.', 4) AS eid,
    json_valid(v) AND regexp_full_match(k, 'data\\.[^.]+\\.[^.]+\\.[0-9]+') AS ok,
    CASE WHEN json_valid(v) THEN {seconds} END AS event_us
FROM ev
"""  # the values themselves are not passed through (a copy of every row's text): see below
_EVENTS_SQL = _EVENTS_SQL.replace(
    "{seconds}", SECONDS_TO_US.format(x="json_extract_string(v, '$.time')")
)
_STORED_SQL = """
SELECT name, idx, CAST(i - 1 AS INTEGER) AS item, row
FROM (SELECT name, idx, generate_subscripts(rows, 1) AS i, unnest(rows) AS row
      FROM (SELECT name, idx, CASE WHEN json_valid(v) AND left(trim(v), 1) = '['
                                   THEN json_transform(v, '["JSON"]') END AS rows FROM stored))
WHERE left(row, 1) = '{'
"""


def database_tables(domains: dict[str, Domain], source: str, result: ReaderResult) -> None:
    """Fill ``result`` (records, status, queries, notes, accounting) from the domains."""
    total = sum(len(p) for p in domains.values())
    result.lines_read = total
    con = connect()
    try:
        parts: list[pa.Table] = []
        events = domains.get("events", empty_domain())
        parts.append(_event_records(con, events, source, result))
        _legacy_index_check(events, result)
        parts.append(_stored_results(con, domains.get("queries", empty_domain()), source, result))
        statuses = _logs(domains.get("logs", empty_domain()), source, result, parts)
        _configurations(domains.get("configurations", empty_domain()).pairs(), source, result)
    finally:
        con.close()
    parts = [p for p in parts if p is not None and p.num_rows]
    result.records = pa.concat_tables(parts).unify_dictionaries() if parts else None
    result.status = statuses
    result.lines_loaded = total - len(result.bad)


def _event_records(
    con: duckdb.DuckDBPyConnection, events: Domain, source: str, result: ReaderResult
) -> pa.Table | None:
    is_data = events.starts("data.")
    known = is_data
    for prefix in KNOWN_EVENT_PREFIXES[1:]:
        known = pc.or_(known, events.starts(prefix))
    for i in np.flatnonzero(~np.asarray(known, dtype=bool)).tolist():
        result.bad.add(
            int(events.line(i)),
            f"events domain key osquery does not write: {events.keys[i].as_py()[:60]!r}",
        )
    optimize = dict(events.pairs(events.starts("optimize.")))
    optimize_eid = dict(events.pairs(events.starts("optimize_eid.")))
    state = {
        k.removeprefix("optimize."): {
            "time": v,
            "eid": optimize_eid.get("optimize_eid." + k.removeprefix("optimize.")),
        }
        for k, v in optimize.items()
    }
    result.meta["optimize"] = state
    for q, info in sorted(state.items()):
        result.notes.append(
            f"optimize state of {q}: last event time {info['time']}, last eid {info['eid']}"
        )
    if not pc.any(is_data).as_py():
        return None
    every = pc.all(is_data).as_py()  # the usual case: no copy of the keys and values
    table = pa.table(
        {
            "idx": pa.array(
                events.line(np.flatnonzero(np.asarray(is_data, dtype=bool))), pa.int64()
            ),
            "k": events.keys if every else events.keys.filter(is_data),
            "v": events.values if every else events.values.filter(is_data),
        }
    )
    con.register("ev", table)
    try:
        rows = con.sql(_EVENTS_SQL).to_arrow_table()  # in input order (insertion order kept)
    finally:
        con.unregister("ev")
    rows = rows.append_column("columns", table.column("v"))
    bad = pc.invert(pc.fill_null(rows.column("ok"), False))
    for idx, key in zip(
        rows.column("idx").filter(bad).to_pylist(),
        rows.column("key").filter(bad).to_pylist(),
        strict=True,
    ):
        result.bad.add(
            idx,
            f"event row {key} is not valid JSON (or its key is not data.<publisher>.<table>.<eid>)",
        )
    if pc.any(bad).as_py():
        rows = rows.filter(pc.invert(bad))
    con.register("good", rows.select(["publisher", "subscriber"]))
    try:
        per = con.sql(
            "SELECT publisher, subscriber, count(*) FROM good GROUP BY 1, 2 ORDER BY 1, 2"
        ).fetchall()
    finally:
        con.unregister("good")
    result.meta["events_per_subscriber"] = {f"{p}.{s}": n for p, s, n in per}
    for pub, sub, n in per:
        result.notes.append(f"events buffered: {pub} → {sub}: {n:,}")
    return _records(rows, source, fmt="database_event")


def _records(rows: pa.Table, source: str, fmt: str, query: pa.Array | None = None) -> pa.Table:
    """Canonical ``RECORDS`` rows; ``rows`` has idx, key, columns and any of t (event time),
    item, publisher, subscriber, eid, counter, epoch."""
    n = rows.num_rows

    def given(name: str, typ: pa.DataType) -> pa.Array | pa.ChunkedArray:
        if name not in rows.column_names:
            return pa.nulls(n, typ)
        values = rows.column(name)
        return (
            pc.dictionary_encode(values.cast(pa.string()))
            if pa.types.is_dictionary(typ)
            else values.cast(typ)
        )

    def constant(value: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int32)), pa.array([value]))

    event_time = pa.nulls(n, RECORDS.field("event_time").type)
    if "event_us" in rows.column_names:
        event_time = pc.cast(rows.column("event_us"), pa.int64()).cast(
            RECORDS.field("event_time").type
        )
    table = pa.table(
        {
            "source": constant(source),
            "line": rows.column("idx"),
            "item": given("item", pa.int32()),
            "part": pa.nulls(n, pa.int32()),
            "key": rows.column("key").cast(pa.string()),
            "format": constant(fmt),
            "host": pa.nulls(n, RECORDS.field("host").type),
            "query": pc.dictionary_encode(query.cast(pa.string()))
            if query is not None
            else given("query", RECORDS.field("query").type),
            "subscriber": given("subscriber", RECORDS.field("subscriber").type),
            "publisher": given("publisher", RECORDS.field("publisher").type),
            "action": constant("buffered" if fmt == "database_event" else "stored"),
            "log_time": pa.nulls(n, RECORDS.field("log_time").type),
            "event_time": event_time,
            "counter": given("counter", pa.int64()),
            "epoch": given("epoch", pa.int64()),
            "numerics": pa.nulls(n, pa.bool_()),
            "eid": given("eid", pa.string()),
            "decorations": pa.nulls(n, RECORDS.field("decorations").type),
            "columns": rows.column("columns").cast(pa.string()),
        }
    )
    return table.cast(RECORDS)


def _legacy_index_check(events: Domain, result: ReaderResult) -> None:
    """≤ 4.6 layout: ``records.<ns>.60.<bin>`` lists ``eid:time``; compare with the data rows."""
    records = events.pairs(events.starts("records."))
    if not records:
        return
    indexed: set[tuple[str, str]] = set()
    for k, v in records:
        ns = k[len("records.") :].rsplit(".", 2)[0]
        indexed.update((ns, entry.split(":", 1)[0]) for entry in v.split(",") if ":" in entry)
    data_keys = events.keys.filter(events.starts("data.")).to_pylist()
    stored = {(".".join(p[1:3]), p[3]) for p in (k.split(".") for k in data_keys) if len(p) >= 4}
    namespaces = {ns for ns, _ in indexed}
    dangling = indexed - stored
    missing = {(ns, eid) for ns, eid in stored if ns in namespaces} - indexed
    result.notes.append(
        f"≤ 4.6 layout: the records. index lists {len(indexed):,} events; {len(dangling):,} without a data "
        f"row (dangling), {len(missing):,} data rows not indexed (missing)"
    )
    result.meta["index_check"] = {
        "indexed": len(indexed),
        "dangling": len(dangling),
        "missing": len(missing),
    }


def _stored_results(
    con: duckdb.DuckDBPyConnection, domain: Domain, source: str, result: ReaderResult
) -> pa.Table | None:
    keys = {k: (int(domain.line(i)), v) for i, (k, v) in enumerate(domain.pairs())}
    sqls = {k[len("query.") :]: v for k, (_, v) in keys.items() if k.startswith("query.")}
    # "epoch"/"counter" suffixes and these prefixes are reserved by osquery (kReservedDbPrefixes).
    names = [k for k in keys if not k.startswith(("query.", "cache.", "config_views.", "distributed."))
             and not k.endswith(("epoch", "counter"))]  # fmt: skip
    if sqls:
        result.queries = queries_table(
            [query_row(q, None, {"query": s}, None, source) for q, s in sorted(sqls.items())]
        )
    if not names:
        return None
    stored = pa.table(
        {
            "name": pa.array(names, pa.string()),
            "idx": pa.array([keys[n][0] for n in names], pa.int64()),
            "v": pa.array([keys[n][1] for n in names], pa.string()),
        }
    )
    con.register("stored", stored)
    try:
        rows = con.sql(_STORED_SQL).to_arrow_table()
    finally:
        con.unregister("stored")
    counter = [int(keys[q + "counter"][1]) if (q + "counter") in keys and keys[q + "counter"][1].isdigit() else None
               for q in rows.column("name").to_pylist()]  # fmt: skip
    epoch = [int(keys[q + "epoch"][1]) if (q + "epoch") in keys and keys[q + "epoch"][1].isdigit() else None
             for q in rows.column("name").to_pylist()]  # fmt: skip
    table = pa.table(
        {
            "idx": rows.column("idx"),
            "item": rows.column("item"),
            "key": rows.column("name"),
            "columns": rows.column("row"),
            "counter": pa.array(counter, pa.int64()),
            "epoch": pa.array(epoch, pa.int64()),
        }
    )
    result.notes.append(
        f"stored results of {len(names):,} scheduled queries ({table.num_rows:,} rows)"
    )
    for name in sorted(names):
        stored_counter = keys.get(name + "counter", (0, "—"))[1]
        stored_epoch = keys.get(name + "epoch", (0, "—"))[1]
        result.notes.append(f"query {name}: counter {stored_counter}, epoch {stored_epoch}")
    return _records(table, source, fmt="database_stored", query=rows.column("name"))


def _logs(
    domain: Domain, source: str, result: ReaderResult, parts: list[pa.Table]
) -> pa.Table | None:
    """Buffered result/status lines of the TLS/AWS loggers: parsed like a log file."""
    pairs = domain.pairs()
    if not pairs:
        return None
    data = ("\n".join(v.replace("\n", " ") for _, v in pairs) + "\n").encode()
    sub = read_json_lines(source, source, data=data)
    keys = pa.array([k for k, _ in pairs], pa.string())
    for first, reason, count in zip(sub.bad.lines, sub.bad.reasons, sub.bad.counts, strict=True):
        for line in range(first, first + count):  # a run (of empty values) key by key
            result.bad.add(
                int(domain.line(line - 1)), f"buffered log {keys[line - 1].as_py()}: {reason}"
            )
    if sub.records is not None:
        recs = sub.records.set_column(
            sub.records.schema.get_field_index("key"),
            "key",
            keys.take(pc.subtract(sub.records.column("line"), 1)),
        )
        parts.append(recs)
    result.notes.append(f"{len(pairs):,} buffered logger lines")
    return sub.status


def _configurations(pairs: list[tuple[str, str]], source: str, result: ReaderResult) -> None:
    values = dict(pairs)
    for key in ("results_version", "executing_query", "failed_queries"):
        if key in values:
            result.meta[key] = values[key]
            result.notes.append(f"{key}: {values[key]!r}")
    for key, text in values.items():
        if key.startswith("config_persistence."):
            try:
                doc = parse_json_document(text)
            except (ValueError, RecursionError):
                continue
            if config_kind(doc) == "config":
                rows, _, _ = queries_from_config(doc, f"{source} [{key}]")
                stored = queries_table(rows)
                result.queries = (
                    stored if result.queries is None else pa.concat_tables([result.queries, stored])
                )
                result.notes.append(f"stored config {key}: {len(rows)} scheduled queries")
