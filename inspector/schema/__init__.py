"""Canonical Arrow schemas shared by every reader, the analysis and the GUI."""

from inspector.schema.tables import (
    BAD_LINES,
    EMPTY_RUNS,
    HOSTS,
    LOADED_RECORDS,
    QUERIES,
    RECORDS,
    STATUS,
    STATUS_CLOCKS,
    SUBSCRIPTIONS,
    TIMESTAMP,
    empty_table,
)

__all__ = [
    "BAD_LINES",
    "EMPTY_RUNS",
    "HOSTS",
    "LOADED_RECORDS",
    "QUERIES",
    "RECORDS",
    "STATUS",
    "STATUS_CLOCKS",
    "SUBSCRIPTIONS",
    "TIMESTAMP",
    "empty_table",
]
