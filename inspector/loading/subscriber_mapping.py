"""Which subscriber table and publisher each scheduled query's rows came from.

Per query name: the config's SQL when a config is loaded, else an event-table name inside the
query name, else the columns the rows carry; otherwise unknown (null), never a guess. Per host, the
publisher follows the platform (``process_events`` is ``openbsm`` on macOS, ``auditeventpublisher``
on Linux); where the platform is unknown, the publishers the host's status log names decide.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.arrow_columns import dictionary_digits, take_rows
from inspector.catalog.event_tables import (
    event_tables,
    osquery_events_columns,
    table_by_columns,
    table_in_query_name,
    tables_explaining,
)

MAPPING = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("query", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("how", pa.string()),  # how the subscriber and publisher were found
    ]
)
KEY_SAMPLE = 200


def query_keys(con: duckdb.DuckDBPyConnection, records: pa.Table) -> dict[str, set[str]]:
    """Column names seen in the first rows of each query (a sample: the text is not re-read)."""
    if not records.num_rows:
        return {}
    queries = records.select(["query"]).append_column("i", pa.array(np.arange(records.num_rows)))
    con.register("r", queries)
    try:
        picked = con.sql(
            f"""SELECT i FROM (SELECT i, row_number() OVER (PARTITION BY query ORDER BY i) rn FROM r)
                WHERE rn <= {KEY_SAMPLE} ORDER BY i"""
        ).to_arrow_table()
    finally:
        con.unregister("r")
    # Chunk-aware take: Table.take would first concatenate the whole ``columns`` text.
    sample = take_rows(records.select(["query", "columns"]), picked.column("i").to_numpy())
    con.register("s", sample)
    try:
        rows = con.sql(
            "SELECT CAST(query AS VARCHAR) q, list_distinct(flatten(list(json_keys(columns)))) FROM s GROUP BY q"
        ).fetchall()
    finally:
        con.unregister("s")
    return {q: set(keys or []) for q, keys in rows if q is not None}


def subscriber_of(
    query: str, config_tables: list[str] | None, keys: set[str]
) -> tuple[str | None, str]:
    """The subscriber table a query reads, and how that was decided."""
    known = event_tables()
    if config_tables is not None:
        events = [t for t in config_tables if t in known]
        if len(events) == 1:
            return events[0], "config"
        if len(events) > 1:
            return None, f"config: joins several event tables ({', '.join(events)})"
        return None, "config: not an event query" + (
            f" (reads {', '.join(config_tables)})" if config_tables else ""
        )
    # Evidence from the rows outranks a table named inside the query name: a query called
    # blacklist_process_events whose rows carry cid, ntime and syscall reads bpf_process_events.
    by_name = table_in_query_name(query)
    # Every event row carries its ``time`` (unless the query left it out): without it the
    # columns tell nothing (``name, path, pid`` of ``processes`` fit dns_lookup_events too).
    fitting = tables_explaining(keys) if "time" in keys else []
    if by_name is not None and (by_name in fitting or not fitting):
        return by_name, "query name" + ("; its rows fit" if fitting else "")
    by_columns = table_by_columns(keys)
    if by_columns is None and len(fitting) == 1:
        by_columns = fitting[0]
    if by_columns is not None:
        if by_name is not None:
            return by_columns, f"columns (the rows are not {by_name}'s)"
        return by_columns, "columns"
    if by_name is not None:
        return by_name, "query name"
    return None, "unknown"


def is_osquery_events(query: str, config_tables: list[str] | None, keys: set[str]) -> bool:
    """Does this query report the ``osquery_events`` table?"""
    if config_tables is not None:
        return "osquery_events" in config_tables
    if "osquery_events" in query.lower():
        return True
    required = {"name", "publisher", "type", "subscriptions", "events"}
    return required <= keys <= set(osquery_events_columns())


def build_mapping(
    host_queries: list[tuple[str | None, str]],
    query_subscriber: dict[str, tuple[str | None, str]],
    host_platform: dict[str, str | None],
    host_publishers: dict[str, set[str]],
) -> pa.Table:
    """A ``MAPPING`` table: subscriber and publisher for each (host, query) with rows."""
    rows = []
    for host, query in host_queries:
        subscriber, how = query_subscriber.get(query, (None, "unknown"))
        publisher = None
        if subscriber is not None:
            publisher, found = publisher_of(
                subscriber,
                host_platform.get(host or ""),
                host_publishers.get(host or "", set()),
            )
            how += found
        rows.append(
            {
                "host": host,
                "query": query,
                "subscriber": subscriber,
                "publisher": publisher,
                "how": how,
            }
        )
    return pa.Table.from_pylist(rows, schema=MAPPING)


def publisher_of(
    subscriber: str, platform: str | None, publishers: set[str] | frozenset[str]
) -> tuple[str | None, str]:
    """The publisher feeding ``subscriber`` on a host of ``platform`` (None: unknown) whose
    status log named ``publishers``, and how that was decided (a ``how`` suffix)."""
    table = event_tables()[subscriber]
    publisher = table.publisher_for(platform)
    if publisher is not None:
        if platform:
            return publisher, f"; publisher from platform {platform}"
        return publisher, "; one publisher on every platform"
    seen = set(table.publishers.values()) & publishers
    if len(seen) == 1:
        return seen.pop(), "; publisher named in the status log"
    return None, "; publisher unknown (platform unknown)"


def apply_mapping(records: pa.Table, mapping: pa.Table) -> pa.Table:
    """Fill ``subscriber`` and ``publisher`` of ``records`` from ``mapping`` (vectorised)."""
    if not records.num_rows or not mapping.num_rows:
        return records
    sep = "\x1f"
    map_keys = pc.binary_join_element_wise(
        pc.fill_null(mapping.column("host"), ""), mapping.column("query"), sep
    )
    subscribers = pc.dictionary_encode(mapping.column("subscriber")).combine_chunks()
    publishers = pc.dictionary_encode(mapping.column("publisher")).combine_chunks()
    sub_chunks, pub_chunks = [], []
    for batch in records.select(["host", "query", "subscriber", "publisher"]).to_batches():
        idx = _mapping_rows(batch.column(0), batch.column(1), map_keys, sep)
        # Rows that know their subscriber already (database events) keep it.
        sub_chunks.append(_keep_known(batch.column(2), _take_dict(subscribers, idx)))
        pub_chunks.append(_keep_known(batch.column(3), _take_dict(publishers, idx)))
    field_type = records.schema.field("subscriber").type
    records = records.set_column(
        records.schema.get_field_index("subscriber"),
        "subscriber",
        pa.chunked_array(sub_chunks, field_type),
    )
    return records.set_column(
        records.schema.get_field_index("publisher"),
        "publisher",
        pa.chunked_array(pub_chunks, field_type),
    )


def _mapping_rows(host: pa.Array, query: pa.Array, map_keys: pa.Array, sep: str) -> pa.Array:
    """Per row, the index of its host × query pair in ``map_keys`` (null: none), computed once
    per distinct pair (from the dictionary codes) instead of joining two strings per row."""
    h, hosts = dictionary_digits(host)
    q, queries = dictionary_digits(query)
    width = len(queries) + 1
    pair = h.astype(np.int64) * width + q
    if (len(hosts) + 1) * width <= 4 * len(pair) + 4096:  # a dense table is cheapest
        present = np.zeros((len(hosts) + 1) * width, dtype=bool)
        present[pair] = True
        pairs = np.flatnonzero(present)
        slot = np.full(len(present), -1, dtype=np.int64)
        slot[pairs] = np.arange(len(pairs))
        rows = slot[pair]
    else:  # many hosts × many queries (a fleet's logs): sort the pairs instead
        pairs, rows = np.unique(pair, return_inverse=True)
    host_names = ["", *hosts.fill_null("").to_pylist()]
    query_names = ["", *queries.fill_null("").to_pylist()]
    keys = pa.array(
        [f"{host_names[p // width]}{sep}{query_names[p % width]}" for p in pairs.tolist()],
        pa.string(),
    )  # one per distinct pair: a handful
    return pc.take(pc.index_in(keys, value_set=map_keys), pa.array(rows))


def _keep_known(known: pa.Array, mapped: pa.DictionaryArray) -> pa.Array:
    if known.null_count == len(known):
        return mapped
    merged = pc.coalesce(known.cast(pa.string()), mapped.cast(pa.string()))
    return pc.dictionary_encode(merged)


def _take_dict(values: pa.DictionaryArray, idx: pa.Array) -> pa.DictionaryArray:
    """``values.take(idx)`` kept dictionary-encoded, with int32 indices."""
    indices = pc.take(values.indices, idx)
    return pa.DictionaryArray.from_arrays(indices.cast(pa.int32()), values.dictionary)


def publishers_by_host(status: pa.Table, single_host: str | None) -> dict[str, set[str]]:
    """Publisher types each host's status log mentions (start, disable, stop)."""
    out: dict[str, set[str]] = {}
    if not status.num_rows:
        return out
    marker = status.column("marker").cast(pa.string())
    wanted = pc.is_in(
        marker,
        pa.array(
            [
                "publisher_started",
                "publisher_disabled",
                "publisher_unused",
                "publisher_failed",
                "publisher_stopped",
            ]
        ),
    )
    sub = status.filter(pc.fill_null(wanted, False)).select(["host", "subject"])
    hosts = sub.column("host").cast(pa.string()).to_pylist()
    subjects = sub.column("subject").to_pylist()
    for host, subject in zip(hosts, subjects, strict=True):
        target = host or single_host
        if target and subject:
            out.setdefault(target, set()).add(subject)
    return out


def host_query_pairs(
    con: duckdb.DuckDBPyConnection, records: pa.Table
) -> list[tuple[str | None, str]]:
    """Distinct (host, query) pairs of ``records``."""
    if not records.num_rows:
        return []
    con.register("r", records.select(["host", "query"]))
    try:
        rows = con.sql(
            "SELECT DISTINCT CAST(host AS VARCHAR), CAST(query AS VARCHAR) FROM r WHERE query IS NOT NULL"
        ).fetchall()
    finally:
        con.unregister("r")
    return [(h, q) for h, q in rows]


__all__ = [
    "MAPPING",
    "apply_mapping",
    "build_mapping",
    "host_query_pairs",
    "is_osquery_events",
    "publishers_by_host",
    "query_keys",
    "subscriber_of",
]
