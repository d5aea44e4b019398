"""Canonical Arrow schemas shared by every reader, the analysis and the GUI."""

from inspector.schema.tables import (
    BAD_LINES,
    HOSTS,
    LOADED_RECORDS,
    QUERIES,
    RECORDS,
    STATUS,
    SUBSCRIPTIONS,
    TIMESTAMP,
    empty_table,
)

__all__ = [
    "BAD_LINES",
    "HOSTS",
    "LOADED_RECORDS",
    "QUERIES",
    "RECORDS",
    "STATUS",
    "SUBSCRIPTIONS",
    "TIMESTAMP",
    "empty_table",
]
