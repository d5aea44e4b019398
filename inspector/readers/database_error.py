"""The error of an ``osquery.db`` that cannot be read, on its own: the window names it as a
message for the user without importing the database reader (and DuckDB) at its start."""

from __future__ import annotations


class DatabaseError(Exception):
    """The directory is not a RocksDB database osquery wrote (or it cannot be read)."""
