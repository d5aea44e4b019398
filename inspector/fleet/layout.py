"""A fleet dataset on disk: folders, explicit schemas, and the date every row is filed under.

```
DATASET/
  dataset.json                          format version
  records/date=YYYY-MM-DD/part-*.parquet   the app's records (LOADED_RECORDS, strings plain,
  status/date=YYYY-MM-DD/part-*.parquet    content a stable int64 hash), clustered by host
  mapping/ subscriptions/ hosts/ queries/ empty_runs/ clocks/   part-<ingest>.parquet, small
  manifest/part-<ingest>.parquet        one row per input file: identity, size, lines, rows
  rejected/part-<ingest>.parquet        rejected lines: file, line, reason, lines (a run)
```

Partitions are always a date (rows with no time are filed under 1970-01-01) and are read with
an explicit partition schema, never a guessed one; within a partition, rows are ordered by host
then time, so a host's rows sit together without one small file per host.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa

from inspector.schema import (
    EMPTY_RUNS,
    HOSTS,
    LOADED_RECORDS,
    QUERIES,
    STATUS,
    STATUS_CLOCKS,
    SUBSCRIPTIONS,
)

FORMAT_NAME = "osquery-inspector fleet dataset"
FORMAT_VERSION = 1
UNDATED = "1970-01-01"  # the partition of rows that carry no time at all
PARTITION = pa.schema([pa.field("date", pa.date32())])


def check_dataset(dataset: str) -> None:
    """Raise ``ValueError`` unless ``dataset`` holds a ``dataset.json`` of this format and a
    version this code reads."""
    marker = os.path.join(dataset, "dataset.json")
    try:
        with open(marker, encoding="utf-8") as f:
            about = json.load(f)
    except FileNotFoundError:
        raise ValueError(f"{dataset} is not a fleet dataset (no dataset.json)") from None
    except (OSError, ValueError) as exc:
        raise ValueError(f"{marker} cannot be read: {exc}") from None
    if not isinstance(about, dict) or about.get("format") != FORMAT_NAME:
        raise ValueError(f"{marker} does not describe a fleet dataset of osquery-inspector")
    version = about.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"{dataset} is a fleet dataset of format version {version!r}; this version of "
            f"osquery-inspector reads version {FORMAT_VERSION} and older: update it"
        )


def plain(schema: pa.Schema) -> pa.Schema:
    """``schema`` with dictionary strings as plain strings (what every engine reads alike)."""
    return pa.schema(
        [
            pa.field(f.name, pa.string(), f.nullable) if pa.types.is_dictionary(f.type) else f
            for f in schema
        ]
    )


# The records as stored: ``content`` is ``Dialect.stable_hash64`` of the columns without eid.
RECORDS = plain(LOADED_RECORDS.remove(LOADED_RECORDS.get_field_index("content"))).append(
    pa.field("content", pa.int64())
)
MAPPING = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("query", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("how", pa.string()),
    ]
)
MANIFEST = pa.schema(
    [
        pa.field("ingest", pa.string()),  # the ingest run (UTC time stamp) that read the file
        pa.field("path", pa.string()),  # as found (absolute for local files)
        pa.field("identity", pa.string()),  # size:mtime_ns (local) — what "already ingested" means
        pa.field("size", pa.int64()),
        pa.field("unit", pa.string()),  # host_folder | objects
        pa.field("kind", pa.string()),
        pa.field("status", pa.string()),  # loaded | skipped | error | duplicate
        pa.field("lines", pa.int64()),
        pa.field("lines_loaded", pa.int64()),
        pa.field("lines_rejected", pa.int64()),
        pa.field("rows", pa.int64()),  # rows it gave (records, status lines, config queries)
        pa.field("reason", pa.string()),
        pa.field("notes", pa.string()),
    ]
)
REJECTED = pa.schema(
    [
        pa.field("ingest", pa.string()),
        pa.field("path", pa.string()),
        pa.field("line", pa.int64()),
        pa.field("reason", pa.string()),
        pa.field("lines", pa.int64()),  # a run of lines rejected for one reason (null: 1)
    ]
)

# Dated tables (partitioned by date) and small ones (one file per ingest run).
DATED = {"records": RECORDS, "status": plain(STATUS)}
SMALL = {
    "mapping": MAPPING,
    "subscriptions": plain(SUBSCRIPTIONS),
    "hosts": HOSTS,
    "queries": QUERIES,
    "empty_runs": EMPTY_RUNS,
    # How each run placed a host's wall-clock status lines; ``written``: lines of this run's
    # files were written so (else the clock of a host folder read again for its other files).
    "clocks": STATUS_CLOCKS.append(pa.field("written", pa.bool_())),
    "manifest": MANIFEST,
    "rejected": REJECTED,
}
SCHEMAS = {**DATED, **SMALL}


def table_dir(dataset: str, table: str) -> str:
    """The folder of one table of the dataset."""
    return os.path.join(dataset, table)


def is_dataset(path: str) -> bool:
    """A folder written by ``fleet ingest``."""
    return os.path.isfile(os.path.join(path, "dataset.json"))


def parquet_glob(dataset: str, table: str) -> str:
    """The glob of one table's Parquet files (dated tables one partition level down)."""
    depth = "*/*.parquet" if table in DATED else "*.parquet"
    return os.path.join(table_dir(dataset, table), depth)
