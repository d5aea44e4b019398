"""The anatomy of one ``osquery.db``: every figure measured from its keys, values and RocksDB.

``anatomy(path)`` reads the database once (``store.read_database``: read-only, through a shadow
folder) and measures, as Arrow tables: per column family its domain, live keys and bytes, key
lengths and RocksDB's properties; per subscriber the buffered events, their span against the
expiry, their key-order health and the RAM an in-memory time index needs; the index-like keys
with their cost and consistency; repeated content; the buffered events over time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from inspector.database.duplicated import buffered_over_time, duplicated_content
from inspector.database.events import EVENT_ROWS, event_rows, family_table
from inspector.database.expiry import ExpirySettings, expiry_settings
from inspector.database.indexes import INDEX_COLUMNS, index_families
from inspector.database.key_order import length_distribution
from inspector.database.layout import KEY_CLASSES, family_domains, key_classes
from inspector.database.store import Family, StoredDatabase, as_strings, read_database
from inspector.database.subscribers import subscriber_table
from inspector.duck import new_database
from inspector.progress import Progress, report
from inspector.readers.database_error import DatabaseError
from inspector.readers.osquery_db import DOMAINS
from inspector.views.timeline_frames import SECOND, nice_width

COLUMN_FAMILIES = pa.schema(
    [
        pa.field("name", pa.string()),
        pa.field("domain", pa.string()),
        pa.field("keys", pa.int64()),
        pa.field("key_bytes", pa.int64()),
        pa.field("value_bytes", pa.int64()),
        pa.field("share", pa.float64()),  # of the database's live key + value bytes
        pa.field("key_length_min", pa.int64()),
        pa.field("key_length_median", pa.int64()),
        pa.field("key_length_p99", pa.int64()),
        pa.field("key_length_max", pa.int64()),
        pa.field("estimated_keys", pa.int64()),  # rocksdb.estimate-num-keys
        pa.field("sst_bytes", pa.int64()),  # rocksdb.total-sst-files-size
        pa.field("tombstones", pa.int64()),
    ]
)
TIMELINE_BUCKETS = 120  # at most this many buckets over the buffered span


@dataclass
class DatabaseReport:
    """Every table and figure of one database's anatomy."""

    database: str
    column_families: pa.Table
    subscribers: pa.Table
    indexes: pa.Table
    duplicated: pa.Table
    timeline: pa.Table  # buffered events per subscriber and bucket
    key_classes: pa.Table
    bucket_seconds: int
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)  # per family
    key_lengths: dict[str, dict[str, Any]] = field(default_factory=dict)  # per family
    expiry: ExpirySettings = field(default_factory=ExpirySettings)
    events_family: str | None = None
    notes: list[str] = field(default_factory=list)
    unchanged: bool = True

    @property
    def database_bytes(self) -> int:
        """Live key + value bytes of every family."""
        t = self.column_families
        return int(
            sum(t.column("key_bytes").to_pylist()) + sum(t.column("value_bytes").to_pylist())
        )


def anatomy(
    path: str,
    documents: list[tuple[str, str]] | None = None,
    events_expiry: int | None = None,
    progress: Progress | None = None,
) -> DatabaseReport:
    """Measure the database at ``path``. ``documents`` are (name, text) configs or flags files
    that say ``events_expiry`` (the database's own stored configs are always read too);
    ``events_expiry`` overrides them. Raises ``DatabaseError`` for an unreadable database or
    one osquery did not write (no column family named after an osquery domain)."""
    stored = read_database(path, progress.scaled(0.0, 0.6) if progress else None)
    report(progress, 0.6, f"{path}: measuring")
    return measure(stored, documents or [], events_expiry, progress)


def measure(
    stored: StoredDatabase,
    documents: list[tuple[str, str]],
    events_expiry: int | None = None,
    progress: Progress | None = None,
) -> DatabaseReport:
    """The anatomy of a database already read (``store.read_database``)."""
    _check_is_osquery(stored)
    domains, how = family_domains(stored.families)
    notes = [how]
    con = new_database()
    try:
        tables = {f.name: _family_table(f) for f in stored.families}
        total = sum(int(t.column("key_bytes").to_numpy().sum() + t.column("value_bytes").to_numpy().sum())
                    for t in tables.values())  # fmt: skip
        stored_configs = _stored_configs(stored.families, domains)
        expiry = expiry_settings(stored_configs + documents, events_expiry)
        classes = [
            key_classes(con, f.name, domains[f.name], tables[f.name]) for f in stored.families
        ]
        events_cf = next((name for name, d in domains.items() if d == "events"), None)
        rows, malformed = EVENT_ROWS.empty_table(), 0
        indexes = INDEX_COLUMNS.empty_table()
        if events_cf is not None:
            report(progress, 0.7, f"{stored.path}: reading the buffered events")
            rows, malformed = event_rows(con, tables[events_cf])
            report(progress, 0.85, f"{stored.path}: checking the index keys")
            indexes = index_families(con, tables[events_cf], rows, total)
        if malformed:
            notes.append(
                f"{malformed:,} data. keys are not data.<publisher>.<subscriber>.<eid>: left out"
            )
        report(progress, 0.9, f"{stored.path}: per subscriber")
        subscribers = subscriber_table(con, rows, expiry)
        duplicated = duplicated_content(con, rows)
        width = _bucket_seconds(rows)
        timeline = buffered_over_time(con, rows, width)
    finally:
        con.close()
    notes += _closing_notes(expiry, stored)
    return DatabaseReport(
        database=stored.path,
        column_families=_family_rows(stored.families, domains, total),
        subscribers=subscribers,
        indexes=indexes,
        duplicated=duplicated,
        timeline=timeline,
        key_classes=pa.concat_tables(classes) if classes else KEY_CLASSES.empty_table(),
        bucket_seconds=width,
        properties={f.name: f.properties for f in stored.families},
        key_lengths={f.name: length_distribution(f.key_lengths) for f in stored.families},
        expiry=expiry,
        events_family=events_cf,
        notes=notes,
        unchanged=stored.unchanged,
    )


def _check_is_osquery(stored: StoredDatabase) -> None:
    """Raise ``DatabaseError`` for a RocksDB database without any of osquery's column families."""
    names = {f.name for f in stored.families}
    if not names & set(DOMAINS):
        raise DatabaseError(
            f"{stored.path}: a RocksDB database, but not osquery's (column families: "
            f"{', '.join(sorted(names))})"
        )


def _closing_notes(expiry: ExpirySettings, stored: StoredDatabase) -> list[str]:
    """Where events_expiry came from, and whether the folder stayed unchanged while read."""
    notes = []
    if expiry.source:
        notes.append(f"events_expiry {expiry.events_expiry} s from {expiry.source}")
    else:
        notes.append("no config says events_expiry: spans are not judged against it")
    notes.append(
        "the database folder is unchanged after reading"
        if stored.unchanged
        else "the database folder changed while it was read (a live osqueryd?); nothing was "
        "written by this app"
    )
    return notes


def _family_table(family: Family) -> pa.Table:
    return family_table(
        as_strings(family.keys), as_strings(family.values), family.key_lengths, family.value_lengths
    )


def _stored_configs(
    families: list[Family], domains: dict[str, str | None]
) -> list[tuple[str, str]]:
    """The configs osquery backed up in its configurations domain (``config_persistence.*``)."""
    out = []
    for f in families:
        if domains[f.name] != "configurations":
            continue
        keys = as_strings(f.keys).to_pylist()
        values = f.values.to_pylist()
        for key, value in zip(keys, values, strict=True):
            if key.startswith("config_persistence."):
                out.append((f"{key} in the database", value.decode("utf-8", "replace")))
    return out


def _family_rows(families: list[Family], domains: dict[str, str | None], total: int) -> pa.Table:
    rows = []
    for f in families:
        lengths = f.key_lengths
        distribution = length_distribution(lengths)
        key_bytes, value_bytes = int(lengths.sum()), int(f.value_lengths.sum())
        properties = f.properties
        rows.append(
            {
                "name": f.name,
                "domain": domains.get(f.name),
                "keys": len(f),
                "key_bytes": key_bytes,
                "value_bytes": value_bytes,
                "share": (key_bytes + value_bytes) / total if total else None,
                "key_length_min": distribution["min"],
                "key_length_median": distribution["median"],
                "key_length_p99": distribution["p99"],
                "key_length_max": distribution["max"],
                "estimated_keys": properties.get("rocksdb.estimate-num-keys"),
                "sst_bytes": properties.get("rocksdb.total-sst-files-size"),
                "tombstones": properties.get("tombstones"),
            }
        )
    return pa.Table.from_pylist(rows, schema=COLUMN_FAMILIES)


def _bucket_seconds(rows: pa.Table) -> int:
    times = rows.column("time").drop_null().to_numpy() if rows.num_rows else np.array([])
    span = int(times.max() - times.min()) if len(times) else 0
    return nice_width(span * SECOND, TIMELINE_BUCKETS) // SECOND


def properties_json(report_: DatabaseReport) -> str:
    """The families' RocksDB properties as one JSON text (for Parquet and copies)."""
    return json.dumps(report_.properties, sort_keys=True)
