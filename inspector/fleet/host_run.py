"""One host of a fleet dataset as a loaded run (``Workspace``), for the app's usual views."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc

from inspector.fleet.engines import DuckDBEngine, Scope
from inspector.fleet.manifest_rows import standing
from inspector.fleet.scan import distinct_rows, one_per_host, read_small
from inspector.model import SourceReport, Workspace
from inspector.schema import BAD_LINES, LOADED_RECORDS, QUERIES, STATUS, SUBSCRIPTIONS


def in_app_schema(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """A dataset table back in the app's schema: strings dictionary-encoded again, the stable
    content hash as the unsigned 64-bit ``content`` the analysis groups on."""
    columns = []
    for f in schema:
        column = table.column(f.name)
        if f.name == "content":
            column = pa.chunked_array([c.view(pa.uint64()) for c in column.chunks], pa.uint64())
        elif pa.types.is_dictionary(f.type):
            column = pc.dictionary_encode(column.cast(pa.string())).cast(f.type)
        else:
            column = column.cast(f.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


def host_workspace(dataset: str, host: str) -> Workspace:
    """Everything the dataset holds of ``host``, as the app would have loaded it."""
    db = DuckDBEngine(dataset, Scope(hosts=(host,)))
    try:
        order = "ORDER BY source, line, item NULLS FIRST"
        records = db.sql(f"SELECT * EXCLUDE (date) FROM records {order}, part NULLS FIRST")
        status = db.sql(f"SELECT * EXCLUDE (date) FROM status {order}")
    finally:
        db.close()
    files = set(records.column("source").to_pylist()) | set(status.column("source").to_pylist())
    # The host's own files, and the other files of its folder (its config, say).
    folders = {os.path.dirname(f) for f in files if f}
    manifest = standing(read_small(dataset, "manifest")).to_pylist()
    manifest = [r for r in manifest if r["path"] in files
                or (r["unit"] == "host_folder" and os.path.dirname(r["path"]) in folders)]  # fmt: skip
    files |= {r["path"] for r in manifest}
    sources = [
        SourceReport(r["path"], r["kind"], r["status"], size=r["size"] or 0,
                     lines_read=r["lines"] or 0, lines_loaded=r["lines_loaded"] or 0,
                     lines_rejected=r["lines_rejected"] or 0, rows=r["rows"] or 0,
                     reason=r["reason"], notes=[r["notes"]] if r["notes"] else [])
        for r in manifest
    ]  # fmt: skip
    rejected = read_small(dataset, "rejected")
    rejected = rejected.filter(
        pc.is_in(rejected.column("path"), pa.array(sorted(files), pa.string()))
    )
    bad = pa.table(
        {"source": rejected.column("path"), "line": rejected.column("line"),
         "reason": rejected.column("reason"),
         "lines": pc.fill_null(rejected.column("lines"), 1)},
        schema=BAD_LINES,
    )  # fmt: skip
    queries = read_small(dataset, "queries")
    queries = queries.filter(
        pc.is_in(queries.column("source"), pa.array(sorted(files), pa.string()))
    )
    return Workspace(
        sources=sources,
        records=in_app_schema(records, LOADED_RECORDS),
        status=in_app_schema(status, STATUS),
        queries=queries.cast(QUERIES),
        hosts=one_per_host(read_small(dataset, "hosts", (host,))),
        mapping=distinct_rows(read_small(dataset, "mapping", (host,))),
        subscriptions=in_app_schema(read_small(dataset, "subscriptions", (host,)), SUBSCRIPTIONS),
        bad_lines=bad,
    )
