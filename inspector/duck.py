"""DuckDB connections and one-off queries over Arrow tables.

Opening an in-memory DuckDB database costs 15–45 ms here (DuckDB 2.x); a cursor of one shared
in-memory database costs microseconds and is just as private (its registered tables and temporary
views are its own). Code that runs often (a followed log's batches, re-binning) gets its
connections from ``connection()``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:  # imported on first use: modules that import this one stay cheap to import
    import duckdb

_shared: dict[int | None, duckdb.DuckDBPyConnection] = {}
_lock = threading.Lock()


def new_database(
    threads: int | None = None, config: dict[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """A new in-memory database, its connection without DuckDB's progress bar: DuckDB draws it
    on standard output for a query over 2 s, into a command's ``--json`` output (its cursors
    inherit the setting)."""
    import duckdb

    con = duckdb.connect(":memory:", config=config or {})
    con.execute("SET enable_progress_bar = false")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def connection(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A private connection (a cursor) to a shared in-memory database: the process's default
    one, or (``threads``) one limited to that many threads (a database-wide setting)."""
    with _lock:
        base = _shared.get(threads)
        if base is None:
            base = _shared[threads] = new_database(threads)
        return base.cursor()


def arrow_query(sql: str, **tables: pa.Table) -> pa.Table:
    """Run ``sql`` with each keyword table registered under its name; return the result."""
    con = connection()
    try:
        for name, table in tables.items():
            con.register(name, table)
        return con.sql(sql).to_arrow_table()
    finally:
        con.close()
