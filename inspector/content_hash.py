"""Content identity of a record (product.md, "Duplicate semantics") as a 64-bit hash.

The content is every column the row holds except ``eid``, which differs between copies of one
delivery by construction; the results-log envelope (``unixTime``, ``counter``, …) is not part of
``columns`` to begin with. Host, subscriber and source stream are grouping keys, not hashed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

from inspector.duck import arrow_query

if TYPE_CHECKING:  # DuckDB itself is imported where a query runs (inspector.duck)
    import duckdb

CONTENT = pa.field("content", pa.uint64())

# Removing the exact '"eid":"<value>"' pair (a plain replace, not a regex: 2× faster) leaves the
# same text in every copy; osquery writes eid as TEXT, so it is always a quoted string.
_SQL = """
SELECT hash(CASE WHEN eid IS NULL THEN columns
                 ELSE replace(columns, concat('"eid":"', eid, '"'), '') END) AS content
FROM records
"""


def content_hashes(
    records: pa.Table, con: duckdb.DuckDBPyConnection | None = None
) -> pa.ChunkedArray:
    """One content hash per record, in order (on ``con`` when given, e.g. a reader's worker)."""
    if not records.num_rows:
        return pa.chunked_array([], pa.uint64())
    slim = records.select(["eid", "columns"])
    if con is None:
        return arrow_query(_SQL, records=slim).column("content")
    con.register("records", slim)
    try:
        return con.sql(_SQL).to_arrow_table().column("content")
    finally:
        con.unregister("records")


def with_content(records: pa.Table, con: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """``records`` with its ``content`` column (computed when missing)."""
    if "content" in records.column_names:
        return records
    return records.append_column(CONTENT, content_hashes(records, con))
