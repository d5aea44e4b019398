"""osquery's database content — from a RocksDB ``osquery.db`` or a ``--database_dump`` — as tables.

Input is the logical domains (``configurations``, ``queries``, ``events``, ``logs``, …), each a list
of (key, value) pairs. Events become records keyed ``data.<publisher>.<subscriber>.<eid10>``;
stored query results become records of their query; the buffered logs of the TLS/AWS loggers are
parsed like their log-file twins; the stored config names the scheduled queries.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.readers.config import (
    config_kind,
    parse_json_document,
    queries_from_config,
    queries_table,
    query_row,
)
from inspector.readers.json_lines import connect, read_json_lines
from inspector.readers.result import ReaderResult
from inspector.schema import RECORDS

DOMAINS = (
    "configurations", "queries", "events", "logs", "carves", "distributed", "distributed_running",
    "query_performance",
)  # fmt: skip
Pairs = list[tuple[bytes, bytes]]

_EVENTS_SQL = """
SELECT k AS key, idx,
    split_part(k, '.', 2) AS publisher, split_part(k, '.', 3) AS subscriber,
    split_part(k, '.', 4) AS eid, json_valid(v) AS ok,
    CASE WHEN json_valid(v) THEN json_extract_string(v, '$.time') END AS t, v AS columns
FROM ev
"""
_STORED_SQL = """
SELECT name, idx, CAST(i - 1 AS INTEGER) AS item, row
FROM (SELECT name, idx, generate_subscripts(rows, 1) AS i, unnest(rows) AS row
      FROM (SELECT name, idx, CASE WHEN json_valid(v) AND left(trim(v), 1) = '['
                                   THEN json_transform(v, '["JSON"]') END AS rows FROM stored))
WHERE left(row, 1) = '{'
"""


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def database_tables(domains: dict[str, Pairs], source: str, result: ReaderResult) -> None:
    """Fill ``result`` (records, status, queries, notes, accounting) from the domains."""
    total = sum(len(p) for p in domains.values())
    result.lines_read = total
    con = connect()
    try:
        parts: list[pa.Table] = []
        events = domains.get("events", [])
        parts.append(_event_records(con, events, source, result))
        _legacy_index_check(events, result)
        queries = domains.get("queries", [])
        parts.append(_stored_results(con, queries, source, result))
        logs = domains.get("logs", [])
        statuses = _logs(logs, source, result, parts)
        _configurations(domains.get("configurations", []), source, result)
    finally:
        con.close()
    parts = [p for p in parts if p is not None and p.num_rows]
    result.records = pa.concat_tables(parts).unify_dictionaries() if parts else None
    result.status = statuses
    result.lines_loaded = total - len(result.bad)


def _event_records(
    con: duckdb.DuckDBPyConnection, pairs: Pairs, source: str, result: ReaderResult
) -> pa.Table | None:
    data = [(i, k, v) for i, (k, v) in enumerate(pairs) if k.startswith(b"data.")]
    optimize = {
        _text(k[len(b"optimize.") :]): _text(v) for k, v in pairs if k.startswith(b"optimize.")
    }
    optimize_eid = {
        _text(k[len(b"optimize_eid.") :]): _text(v)
        for k, v in pairs
        if k.startswith(b"optimize_eid.")
    }
    result.meta["optimize"] = {
        q: {"time": t, "eid": optimize_eid.get(q)} for q, t in optimize.items()
    }
    for q, info in sorted(result.meta["optimize"].items()):
        result.notes.append(
            f"optimize state of {q}: last event time {info['time']}, last eid {info['eid']}"
        )
    for i, (k, _) in enumerate(pairs):
        if not k.startswith(
            (b"data.", b"eid.", b"indexes.", b"records.", b"optimize.", b"optimize_eid.")
        ):
            result.bad.add(i + 1, f"events domain key osquery does not write: {_text(k)[:60]!r}")
    if not data:
        return None
    table = pa.table(
        {
            "idx": pa.array([i + 1 for i, _, _ in data], pa.int64()),
            "k": pa.array([_text(k) for _, k, _ in data], pa.string()),
            "v": pa.array([_text(v) for _, _, v in data], pa.string()),
        }
    )
    con.register("ev", table)
    try:
        rows = con.sql(_EVENTS_SQL).to_arrow_table()
    finally:
        con.unregister("ev")
    ok = np.asarray(pc.fill_null(rows.column("ok"), False))
    for idx, key in zip(
        rows.column("idx").filter(pa.array(~ok)).to_pylist(),
        rows.column("key").filter(pa.array(~ok)).to_pylist(),
        strict=True,
    ):
        result.bad.add(idx, f"event row {key} is not valid JSON")
    rows = rows.filter(pa.array(ok))
    per = {}
    for pub, sub in zip(
        rows.column("publisher").to_pylist(), rows.column("subscriber").to_pylist(), strict=True
    ):
        per[(pub, sub)] = per.get((pub, sub), 0) + 1
    result.meta["events_per_subscriber"] = {f"{p}.{s}": n for (p, s), n in sorted(per.items())}
    for (pub, sub), n in sorted(per.items()):
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
    if "t" in rows.column_names:
        seconds = pc.cast(rows.column("t"), pa.float64(), safe=False)
        plausible = pc.and_(pc.greater_equal(seconds, 1e8), pc.less(seconds, 1.7e10))
        micros = pc.if_else(plausible, pc.cast(pc.multiply(seconds, 1e6), pa.int64()), None)
        event_time = pc.cast(micros, pa.int64()).cast(RECORDS.field("event_time").type)
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
            "decorations": pa.nulls(n, pa.string()),
            "columns": rows.column("columns").cast(pa.string()),
        }
    )
    return table.cast(RECORDS)


def _legacy_index_check(pairs: Pairs, result: ReaderResult) -> None:
    """≤ 4.6 layout: ``records.<ns>.60.<bin>`` lists ``eid:time``; compare with the data rows."""
    indexed: set[tuple[str, str]] = set()
    for k, v in pairs:
        if k.startswith(b"records."):
            ns = _text(k[len(b"records.") :]).rsplit(".", 2)[0]
            for entry in _text(v).split(","):
                if ":" in entry:
                    indexed.add((ns, entry.split(":", 1)[0]))
    if not indexed:
        return
    stored = {
        (".".join(parts[1:3]), parts[3])
        for parts in (_text(k).split(".") for k, _ in pairs if k.startswith(b"data."))
        if len(parts) >= 4
    }
    dangling = indexed - stored
    missing = {(ns, eid) for ns, eid in stored if any(n == ns for n, _ in indexed)} - indexed
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
    con: duckdb.DuckDBPyConnection, pairs: Pairs, source: str, result: ReaderResult
) -> pa.Table | None:
    keys = {_text(k): (i + 1, _text(v)) for i, (k, v) in enumerate(pairs)}
    sqls = {k[len("query.") :]: v for k, (_, v) in keys.items() if k.startswith("query.")}
    names = [k for k in keys if not k.startswith(("query.", "cache.", "config_views.", "distributed."))
             and not (k.endswith(("epoch", "counter")) and k[:-5 if k.endswith("epoch") else -7] in keys)]  # fmt: skip
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
    return _records(table, source, fmt="database_stored", query=rows.column("name"))


def _logs(pairs: Pairs, source: str, result: ReaderResult, parts: list) -> pa.Table | None:
    """Buffered result/status lines of the TLS/AWS loggers: parsed like a log file."""
    if not pairs:
        return None
    data = b"\n".join(v.replace(b"\n", b" ") for _, v in pairs) + b"\n"
    sub = read_json_lines(source, source, data=data)
    keys = pa.array([_text(k) for k, _ in pairs], pa.string())
    for line, reason in zip(sub.bad.lines, sub.bad.reasons, strict=True):
        result.bad.add(line, f"buffered log {keys[line - 1].as_py()}: {reason}")
    if sub.records is not None:
        recs = sub.records.set_column(
            sub.records.schema.get_field_index("key"),
            "key",
            keys.take(pc.subtract(sub.records.column("line"), 1)),
        )
        parts.append(recs)
    result.notes.append(f"{len(pairs):,} buffered logger lines")
    return sub.status


def _configurations(pairs: Pairs, source: str, result: ReaderResult) -> None:
    values = {_text(k): _text(v) for k, v in pairs}
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
