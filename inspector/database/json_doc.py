"""The ``db --json`` document of one database (product.md: its leading fields are contract).

``{"database", "column_families": [{"name", "domain", "keys", "key_bytes", "value_bytes",
"properties", …}], "subscribers": [{"publisher", "subscriber", "events", "bytes", "oldest",
"newest", …}], "indexes": [{"family", "entries", "bytes", "dangling", "missing", "ram_bytes",
…}], "duplicated": [{"publisher", "subscriber", "rows", "distinct", …, "by_time": […]}], …}``:
the contract fields first in each object, the further figures after them.
"""

from __future__ import annotations

from typing import Any

from inspector.database.indexes import RAM_FORMULAS
from inspector.database.report import DatabaseReport
from inspector.database.subscribers import RAM_INDEX_FORMULA


def report_json(report: DatabaseReport) -> dict[str, Any]:
    """One database's anatomy as plain JSON-able data (times stay ``datetime``)."""
    classes: dict[str, list[dict[str, Any]]] = {}
    for row in report.key_classes.to_pylist():
        family = row.pop("family")
        row.pop("domain")
        classes.setdefault(family, []).append(row)
    families = []
    for row in report.column_families.to_pylist():
        name = row["name"]
        families.append(
            {
                "name": name,
                "domain": row["domain"],
                "keys": row["keys"],
                "key_bytes": row["key_bytes"],
                "value_bytes": row["value_bytes"],
                "properties": report.properties.get(name, {}),
                "share": row["share"],
                "key_lengths": report.key_lengths.get(name),
                "key_classes": classes.get(name, []),
            }
        )
    by_time: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in report.timeline.to_pylist():
        key = (row.pop("publisher"), row.pop("subscriber"))
        by_time.setdefault(key, []).append(row)
    duplicated = [
        dict(row, by_time=by_time.get((row["publisher"], row["subscriber"]), []))
        for row in report.duplicated.to_pylist()
    ]
    expiry = report.expiry
    return {
        "database": report.database,
        "column_families": families,
        "subscribers": report.subscribers.to_pylist(),
        "indexes": report.indexes.to_pylist(),
        "duplicated": duplicated,
        "events_family": report.events_family,
        "events_expiry": {
            "seconds": expiry.events_expiry,
            "source": expiry.source,
            "max_query_interval": dict(sorted(expiry.max_interval.items())),
        },
        "bucket_seconds": report.bucket_seconds,
        "ram_formulas": {**RAM_FORMULAS, "event_index_4.7+": RAM_INDEX_FORMULA},
        "database_bytes": report.database_bytes,
        "unchanged": report.unchanged,
        "notes": report.notes,
    }
