"""``db --out FILE.parquet``: every database's figures as one table, with their provenance.

One row per database × section × entity: ``database``, ``section`` (``column_families``,
``subscribers``, ``indexes``, ``duplicated``, ``timeline``), ``name`` (the family, the
``publisher.subscriber``, the index family), then that section's columns (null in the others);
a column family's RocksDB properties as JSON text in ``properties``. The file's metadata (key
``osquery_inspector``) names the databases with their sizes and SHA-256, the parameters and the
app version, as every export of the app does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inspector import __version__
from inspector.atomic_file import atomic_output
from inspector.database.report import DatabaseReport
from inspector.export import METADATA_KEY, file_digest

SECTIONS = ("column_families", "subscribers", "indexes", "duplicated", "timeline")


def anatomy_table(reports: list[DatabaseReport]) -> pa.Table:
    """The reports' sections stacked (see the module doc)."""
    parts = []
    for report in reports:
        for section in SECTIONS:
            table: pa.Table = getattr(report, section)
            n = table.num_rows
            if section == "column_families":
                name = table.column("name")
                table = table.drop_columns(["name"]).append_column(
                    "properties",
                    pa.array([json.dumps(report.properties.get(f, {})) for f in name.to_pylist()]),
                )
            elif section == "indexes":
                name = table.column("family")
            else:
                name = pc.binary_join_element_wise(
                    table.column("publisher"), table.column("subscriber"), "."
                )
            table = table.add_column(0, "name", name)
            table = table.add_column(0, "section", pa.array([section] * n, pa.string()))
            table = table.add_column(0, "database", pa.array([report.database] * n, pa.string()))
            parts.append(table)
    return pa.concat_tables(parts, promote_options="permissive")


def write_anatomy(reports: list[DatabaseReport], path: str, parameters: dict[str, Any]) -> None:
    """Write ``anatomy_table(reports)`` to ``path`` with the provenance in its metadata."""
    table = anatomy_table(reports)
    inputs = []
    for report in reports:
        entry: dict[str, Any] = {"path": report.database, "kind": "osquery_db", "status": "loaded"}
        with contextlib.suppress(OSError):
            entry["size"], entry["sha256"] = file_digest(report.database)
        inputs.append(entry)
    provenance = {
        "app": "osquery-inspector",
        "app_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "inputs": inputs,
        "parameters": parameters,
    }
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(provenance).encode()
    with atomic_output(path) as temporary:  # a kill or a full disk leaves an earlier file whole
        pq.write_table(table.replace_schema_metadata(metadata), temporary)
