"""How long osquery keeps each subscriber's events, from the config (or flags) that says it.

osquery deletes a subscriber's events older than ``max(events_expiry, min_expiry)`` once every
scheduled query using the subscriber has run; ``min_expiry`` is 3 × the largest interval of those
queries, raised to the next multiple of 60 (``EventFactory::configUpdate``: ``m = 3 × interval;
m += 60 − m % 60``). So right before an expiry the oldest buffered event may be up to one query
interval older than that: a buffered span longer than expiry + interval + 60 s means expiry does
not keep up.

Sources, later ones winning: a flags file (``--events_expiry=N``), config documents (their
``options.events_expiry``; a config without it means osquery's default, 3600 s), then a value
given explicitly. Without any of them the expiry is unknown and no verdict is made.

``syslog_events`` and ``windows_events`` keep their own flags instead of ``events_expiry``
(``syslog_events_expiry``, ``windows_events_expiry``; 30 days by default: their subscribers
override ``getEventsExpiry``); an explicitly given expiry applies to every subscriber.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from inspector.catalog.event_tables import event_tables
from inspector.readers.config import config_kind, parse_json_document, queries_from_config

DEFAULT_EVENTS_EXPIRY = 3600
# Subscribers whose expiry is a flag of their own, and its default (30 days).
OWN_EXPIRY_FLAGS = {
    "syslog_events": "syslog_events_expiry",
    "windows_events": "windows_events_expiry",
}
OWN_EXPIRY_DEFAULT = 30 * 86400
_FLAG = re.compile(r"^\s*--(\w+_expiry)(?:=|\s+)(\d+)\s*$", re.M)


@dataclass
class ExpirySettings:
    """``events_expiry`` and where it came from; each subscriber's largest query interval."""

    events_expiry: int | None = None
    source: str | None = None
    max_interval: dict[str, int] = field(default_factory=dict)  # subscriber table → seconds
    own: dict[str, int] = field(default_factory=dict)  # subscriber → its own expiry flag's value

    def effective(self, subscriber: str) -> int | None:
        """The expiry osquery applies to ``subscriber`` (None when no config says it)."""
        if self.events_expiry is None:
            return None
        base = self.own.get(subscriber, self.events_expiry)
        interval = self.max_interval.get(subscriber)
        if not interval:
            return base
        minimum = 3 * interval
        minimum += 60 - minimum % 60
        return max(base, minimum)

    def slack(self, subscriber: str) -> int:
        """How far past the expiry a healthy buffer may reach: one query interval and a minute."""
        return self.max_interval.get(subscriber, 0) + 60


def expiry_settings(
    documents: list[tuple[str, str]], explicit: int | None = None
) -> ExpirySettings:
    """Settings from ``(source name, text)`` documents — configs or flags files — and an
    explicitly given expiry (which wins)."""
    settings = ExpirySettings()
    configs: list[tuple[str, dict[str, Any]]] = []
    own: dict[str, int] = {}  # flag → seconds
    for name, text in documents:
        doc = _config(text)
        if doc is not None:
            configs.append((name, doc))
            continue
        for flag, value in _FLAG.findall(text):
            if flag == "events_expiry":
                settings.events_expiry, settings.source = int(value), f"{name}: --events_expiry"
            elif flag in OWN_EXPIRY_FLAGS.values():
                own[flag] = int(value)
    for name, doc in configs:
        options = doc.get("options")
        if not isinstance(options, dict):
            options = {}
        value = _seconds(options.get("events_expiry"))
        if value is not None:
            settings.events_expiry, settings.source = value, f"{name}: options.events_expiry"
        elif settings.events_expiry is None:
            settings.events_expiry = DEFAULT_EVENTS_EXPIRY
            settings.source = f"{name}: no events_expiry, osquery's default"
        for flag in OWN_EXPIRY_FLAGS.values():
            seconds = _seconds(options.get(flag))
            if seconds is not None:
                own[flag] = seconds
        _add_intervals(settings, doc, name)
    if settings.events_expiry is not None:
        settings.own = {
            subscriber: own.get(flag, OWN_EXPIRY_DEFAULT)
            for subscriber, flag in OWN_EXPIRY_FLAGS.items()
        }
    if explicit is not None:
        settings.events_expiry, settings.source = explicit, "given on the command line"
        settings.own = {}
    return settings


def _config(text: str) -> dict[str, Any] | None:
    try:
        doc = parse_json_document(text)
    except (ValueError, RecursionError):
        return None
    return doc if config_kind(doc) == "config" else None


def _seconds(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _add_intervals(settings: ExpirySettings, doc: dict[str, Any], name: str) -> None:
    """Each event table's largest interval among the scheduled queries that read it."""
    known = event_tables()
    rows, _, _ = queries_from_config(doc, name)
    for row in rows:
        interval = row["interval"]
        if not interval or interval < 0:
            continue
        for table in set(row["tables"]) & set(known):
            settings.max_interval[table] = max(settings.max_interval.get(table, 0), interval)
