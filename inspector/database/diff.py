"""Two (or more) databases side by side: every figure of each, and what changed.

Entities pair by name — a column family by its name, a subscriber by ``publisher.subscriber``,
an index family by its family — so a figure of an entity one database lacks is null there.
Each difference row: ``{"section", "name", "metric", "values": [one per database, in order],
"change": last − first (numbers; null when either is missing or not a number), "status"}`` with
status ``same``, ``changed``, ``appeared`` (missing in the first), ``vanished`` (missing in the
last).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from inspector.database.report import DatabaseReport

# section → (name of an entity, the figures compared)
SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "column_families": (
        ("name",),
        ("domain", "keys", "key_bytes", "value_bytes", "share", "estimated_keys", "sst_bytes",
         "tombstones", "key_length_median", "key_length_max"),
    ),
    "subscribers": (
        ("publisher", "subscriber"),
        ("events", "bytes", "oldest", "newest", "span_seconds", "events_per_hour",
         "expiry_seconds", "expiry_keeps_up", "distinct_times", "ram_index_bytes",
         "adjacent_decreasing", "inversion_fraction", "late_events"),
    ),
    "indexes": (("family",), ("entries", "bytes", "dangling", "missing", "ram_bytes", "share")),
    "duplicated": (("publisher", "subscriber"), ("rows", "distinct", "extra_rows", "factor")),
}  # fmt: skip


def differences(reports: list[DatabaseReport]) -> list[dict[str, Any]]:
    """One row per section × entity × figure across ``reports`` (see the module doc)."""
    out: list[dict[str, Any]] = []
    for section, (identity, metrics) in SECTIONS.items():
        indexed = [_by_name(getattr(r, section), identity) for r in reports]
        names: list[str] = []
        for index in indexed:
            names.extend(n for n in index if n not in names)
        for name in names:
            rows = [index.get(name) for index in indexed]
            for metric in metrics:
                values = [None if row is None else row.get(metric) for row in rows]
                out.append(
                    {"section": section, "name": name, "metric": metric, "values": values,
                     "change": _change(values[0], values[-1]),
                     "status": _status(rows[0], rows[-1], values[0], values[-1])}
                )  # fmt: skip
    return out


def _by_name(table: pa.Table, identity: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {".".join(str(r[k]) for k in identity): r for r in table.to_pylist()}


def _change(first: object, last: object) -> float | int | None:
    numbers = (int, float)
    if isinstance(first, bool) or isinstance(last, bool):
        return None
    if isinstance(first, numbers) and isinstance(last, numbers):
        return last - first
    return None


def _status(first_row: object, last_row: object, first: object, last: object) -> str:
    if first_row is None:
        return "appeared"
    if last_row is None:
        return "vanished"
    return "same" if first == last else "changed"
