"""One DuckDB query over Arrow tables, on a private connection (connections are not shared)."""

from __future__ import annotations

import duckdb
import pyarrow as pa


def arrow_query(sql: str, **tables: pa.Table) -> pa.Table:
    """Run ``sql`` with each keyword table registered under its name; return the result."""
    con = duckdb.connect(":memory:")
    try:
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
