"""The canonical Arrow schemas.

Every record keeps where it came from (``source`` file and 1-based ``line``, or a database ``key``),
and its columns exactly as osquery wrote them, as the JSON text of the ``columns`` object: strings
stay strings, numbers stay numbers and ``\\xHH`` escapes are kept as written. Repeated strings are
dictionary-encoded so that millions of rows stay small and group quickly.
"""

from __future__ import annotations

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")
DICT = pa.dictionary(pa.int32(), pa.string())

RECORDS = pa.schema(
    [
        pa.field("source", DICT, nullable=False),  # input file path as given
        pa.field("line", pa.int64(), nullable=False),  # 1-based line (decompressed stream)
        pa.field("item", pa.int32()),  # row inside a batch/snapshot line, or item of a TLS envelope
        pa.field("part", pa.int32()),  # row inside a batch/snapshot record that is an envelope item
        pa.field("key", pa.string()),  # database key, for records read from osquery.db
        pa.field("format", DICT),  # event | batch | snapshot | snapshot_row | database
        pa.field("host", DICT),
        pa.field("query", DICT),  # scheduled query name as logged
        pa.field("subscriber", DICT),  # event table (e.g. process_events), null if unknown
        pa.field("publisher", DICT),  # publisher type (e.g. openbsm), null if unknown
        pa.field("action", DICT),  # added | removed | snapshot
        pa.field("log_time", TIMESTAMP),  # unixTime: when the query ran (UTC)
        pa.field("event_time", TIMESTAMP),  # the row's own `time` column (UTC)
        pa.field("counter", pa.int64()),
        pa.field("epoch", pa.int64()),
        pa.field("numerics", pa.bool_()),
        pa.field("eid", pa.string()),  # the row's `eid` when the query selected it
        # JSON object text, nested or top-level ones; a dictionary, as every row of a host
        # carries the same few (1.5 M rows × 100 bytes otherwise)
        pa.field("decorations", DICT),
        pa.field("columns", pa.string(), nullable=False),  # JSON object text of the row
    ]
)

# What a loaded workspace holds: the records as read plus each one's content identity (a hash of
# its columns without ``eid``; see inspector.content_hash), computed once at load.
LOADED_RECORDS = RECORDS.append(pa.field("content", pa.uint64()))

STATUS = pa.schema(
    [
        pa.field("source", DICT, nullable=False),
        pa.field("line", pa.int64(), nullable=False),  # first line of the (multi-line) message
        pa.field("item", pa.int32()),
        # glog | plain (a non-glog line in a glog file) | json | json_short | glog_in_json |
        # syslog_glog | syslog_logger | syslog_plain | logfmt_glog
        pa.field("format", DICT),
        pa.field("host", DICT),
        pa.field("severity", DICT),  # INFO | WARNING | ERROR | FATAL
        pa.field("log_time", TIMESTAMP),  # UTC (for "local" rows: placed by the run's agent zone)
        # How the line gave its time: "utc" (unixTime, an ISO time with an offset) or "local"
        # (the agent's wall clock, as glog and syslog write it, placed on UTC at load).
        pa.field("clock", DICT),
        pa.field("local_time", pa.timestamp("us")),  # the wall-clock time as written ("local")
        pa.field("thread", pa.int64()),
        pa.field("file", pa.string()),  # osquery source file, e.g. config.cpp
        pa.field("src_line", pa.int32()),
        pa.field("message", pa.string(), nullable=False),
        pa.field("marker", DICT),  # class of the line (config_change, worker_restart, ...)
        pa.field("subject", pa.string()),  # what the marker is about: publisher, query, pid ...
        pa.field("version", pa.string()),  # osquery version when the line says it
    ]
)

# How each host's wall-clock status lines were placed on UTC (one row per host, or per unknown host).
STATUS_CLOCKS = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("basis", pa.string()),  # given | inferred | assumed
        pa.field("zone", pa.string()),  # an IANA name (given) or UTC±hh:mm
        pa.field("offset_minutes", pa.int64()),  # east of UTC; null for a given IANA zone
        pa.field("evidence", pa.string()),
        pa.field("sources", pa.list_(pa.string())),
        pa.field("lines", pa.int64()),
    ]
)

# Query runs that logged no row (a snapshot of "" or [], a batch with nothing added or removed):
# the run itself is a fact (the query ran, at this time, on this host).
EMPTY_RUNS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("item", pa.int32()),
        pa.field("format", pa.string()),
        pa.field("host", pa.string()),
        pa.field("query", pa.string()),
        pa.field("log_time", TIMESTAMP),
        pa.field("counter", pa.int64()),
        pa.field("epoch", pa.int64()),
    ]
)

SUBSCRIPTIONS = pa.schema(
    [
        pa.field("source", DICT, nullable=False),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("host", DICT),
        pa.field("query", DICT),
        pa.field("log_time", TIMESTAMP),
        pa.field("action", DICT),
        pa.field("name", pa.string()),  # publisher type or subscriber table
        pa.field("publisher", pa.string()),
        pa.field("type", pa.string()),  # publisher | subscriber
        pa.field("subscriptions", pa.int64()),
        pa.field("events", pa.int64()),
        pa.field("refreshes", pa.int64()),
        pa.field("active", pa.int64()),
    ]
)

QUERIES = pa.schema(
    [
        pa.field("query", pa.string(), nullable=False),  # name as it appears in results logs
        pa.field("pack", pa.string()),
        pa.field("sql", pa.string()),
        pa.field("tables", pa.list_(pa.string())),
        pa.field("subscriber", pa.string()),
        pa.field("interval", pa.int64()),
        pa.field("snapshot", pa.bool_()),
        pa.field("removed", pa.bool_()),
        pa.field("platform", pa.string()),
        pa.field("source", pa.string()),
    ]
)

HOSTS = pa.schema(
    [
        pa.field("host", pa.string(), nullable=False),
        pa.field("platform", pa.string()),  # darwin | linux | windows | null
        pa.field("evidence", pa.string()),  # how the platform was inferred
    ]
)

BAD_LINES = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("line", pa.int64(), nullable=False),  # the (first) line rejected
        pa.field("reason", pa.string(), nullable=False),
        pa.field("lines", pa.int64(), nullable=False),  # 1, or the length of a run of lines
    ]
)


def empty_table(schema: pa.Schema) -> pa.Table:
    """An empty table of ``schema``."""
    return schema.empty_table()
