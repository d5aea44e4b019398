"""Event subscriber tables, their publisher type per platform, and their columns.

The data (``event_tables.json``) was read from osquery's table specs; publisher types follow
``DECLARE_PUBLISHER`` strings as they appear in ``osquery_events`` and in database keys.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

PLATFORMS = ("darwin", "linux", "windows")

# Before 3.2.0 the Linux audit publisher was called "audit" (keys data.audit.process_events...).
LEGACY_PUBLISHERS = {"audit": "auditeventpublisher", "windows_events": "WindowsEventLogPublisher"}


@dataclass(frozen=True)
class EventTable:
    """One event subscriber table."""

    name: str
    publishers: dict[str, str]  # platform -> publisher type
    columns: dict[str, tuple[str, ...]]  # platform -> column names (hidden included)

    def publisher_for(self, platform: str | None) -> str | None:
        """The publisher on ``platform``; without a platform, only if all platforms agree."""
        if platform is not None:
            return self.publishers.get(platform)
        distinct = set(self.publishers.values())
        return distinct.pop() if len(distinct) == 1 else None

    def all_columns(self) -> set[str]:
        return {c for cols in self.columns.values() for c in cols}


@cache
def event_tables() -> dict[str, EventTable]:
    """All known event subscriber tables by name (``osquery_events`` excluded)."""
    raw = json.loads(resources.files("inspector.catalog").joinpath("event_tables.json").read_text())
    out: dict[str, EventTable] = {}
    for name, spec in raw["tables"].items():
        if not spec.get("publishers"):
            continue
        columns = {p: tuple(c["name"] for c in cols) for p, cols in spec.get("columns", {}).items()}
        out[name] = EventTable(name, dict(spec["publishers"]), columns)
    return out


@cache
def osquery_events_columns() -> frozenset[str]:
    raw = json.loads(resources.files("inspector.catalog").joinpath("event_tables.json").read_text())
    cols = raw["tables"]["osquery_events"]["columns"]
    return frozenset(c["name"] for platform in cols.values() for c in platform)


@cache
def publisher_platforms() -> dict[str, set[str]]:
    """Publisher type → the platforms it exists on (for platform inference)."""
    out: dict[str, set[str]] = {}
    for table in event_tables().values():
        for platform, publisher in table.publishers.items():
            out.setdefault(publisher, set()).add(platform)
    # Publishers with no subscriber table of their own, or older names.
    extra = {
        "iokit_hid": {"darwin"}, "scnetwork": {"darwin"}, "kernel": {"darwin"},
        "audit": {"linux"}, "windows_events": {"windows"}, "user_interaction_publisher": {"darwin"},
    }  # fmt: skip
    for publisher, platforms in extra.items():
        out.setdefault(publisher, set()).update(platforms)
    return out


def table_in_query_name(query_name: str) -> str | None:
    """The longest known event table named inside a scheduled query name, if exactly one fits.

    ``pack_fim_file_events`` → ``file_events``; ``es_process_file_events_q`` →
    ``es_process_file_events`` (longest wins over ``process_file_events`` and ``file_events``).
    """
    lowered = query_name.lower()
    hits = [
        name
        for name in event_tables()
        if re.search(rf"(^|[^a-z0-9]){re.escape(name)}($|[^a-z0-9])", lowered)
    ]
    if not hits:
        hits = [name for name in event_tables() if name in lowered]
    if not hits:
        return None
    hits.sort(key=len, reverse=True)
    # Shorter hits contained in the longest one are the same match, not a second candidate.
    longest = hits[0]
    others = [h for h in hits[1:] if h not in longest]
    return longest if not others else None


def tables_explaining(keys: set[str]) -> list[str]:
    """Event tables that declare every column seen (``eid`` and ``time`` are every table's),
    most specific first (the fewest declared columns left unseen). Needs two or more columns
    besides ``eid`` and ``time``: a lone ``path`` fits too many tables to tell anything."""
    own = keys - {"eid", "time"}
    if len(own) < 2:
        return []
    fits = []
    for table in event_tables().values():
        declared = table.all_columns() | {"eid", "time"}
        if keys <= declared:
            fits.append((len(declared - keys), table.name))
    return [name for _, name in sorted(fits)]


def table_by_columns(keys: set[str]) -> str | None:
    """The event table whose spec explains every column seen, if exactly one does best.

    Needs a ``time`` column and at least three columns that the table declares.
    """
    if "time" not in keys or len(keys) < 3:
        return None
    fits = tables_explaining(keys)
    if not fits:
        return None
    if len(fits) == 1:
        return fits[0]
    tables = event_tables()
    # Best = fewest declared columns left unseen, and no other table as close.
    missing = [len((tables[n].all_columns() | {"eid", "time"}) - keys) for n in fits]
    return fits[0] if missing[0] < missing[1] else None
