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
import re

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
PARTITION_FOLDER = re.compile(r"date=(\d{4}-\d{2}-\d{2})")  # a dated table's partition


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


def dataset_problem(dataset: str) -> str | None:
    """Why ``dataset`` (a local folder) cannot be scanned, in a sentence; None when it can:
    missing, not a dataset, of a newer format, or holding no finished ingest (a scan of it
    would look like a clean fleet of no hosts)."""
    if not os.path.lexists(dataset):
        return f"{dataset}: no such file or directory"
    if not is_dataset(dataset):
        return f"{dataset} is not a fleet dataset (no dataset.json: write one with fleet ingest)"
    try:
        check_dataset(dataset)
    except ValueError as exc:
        return str(exc)
    if not finished_ingests(dataset):
        return (
            f"{dataset} holds no finished ingest (one still running, stopped half-way, or one "
            "that found no file): run fleet ingest again"
        )
    return None


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
    """The glob of one table's Parquet files (dated tables one partition level down): how an
    engine reads a dataset it cannot list (a URL)."""
    depth = "*/*.parquet" if table in DATED else "*.parquet"
    return os.path.join(table_dir(dataset, table), depth)


def ingest_of(file_name: str) -> str:
    """The ingest run a part was written by (``part-<ingest>[-<tag>-<n>].parquet``)."""
    stem = file_name.removeprefix("part-").removesuffix(".tmp").removesuffix(".parquet")
    return stem.split("-")[0]


def finished_ingests(dataset: str) -> set[str]:
    """The ingest runs that finished: those whose manifest was written (it is written last)."""
    folder = table_dir(dataset, "manifest")
    if not os.path.isdir(folder):
        return set()
    return {
        ingest_of(n) for n in os.listdir(folder) if n.startswith("part-") and n.endswith(".parquet")
    }


def finished_files(dataset: str, table: str, finished: set[str] | None = None) -> list[str]:
    """One table's Parquet files written by finished ingest runs, sorted: never those of a run
    still writing, or of one killed half-way (the next ingest removes those). Listed, never
    globbed, so that a dataset path may hold ``[``, ``*`` or ``?``."""
    if finished is None:
        finished = finished_ingests(dataset)
    root = table_dir(dataset, table)
    folders = [root]
    if table in DATED:
        folders = [e.path for e in _entries(root) if e.is_dir() and partition_date(e.name)]
    return sorted(
        e.path
        for folder in folders
        for e in _entries(folder)
        if e.name.startswith("part-")
        and e.name.endswith(".parquet")
        and ingest_of(e.name) in finished
    )


def partition_date(folder: str) -> str | None:
    """``YYYY-MM-DD`` of a partition folder, None for any other folder."""
    found = PARTITION_FOLDER.fullmatch(os.path.basename(folder))
    return found.group(1) if found else None


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as found:
            return list(found)
    except FileNotFoundError:
        return []
