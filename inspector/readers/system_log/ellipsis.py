"""Messages that ``systemctl status`` shortened in the middle (``Publ...guration``).

The message itself is kept as written; what it most likely said is restored only to classify it:
each way to fill the gap with a phrase osquery writes is tried, and the marker class is taken
when every restoration agrees on it.
"""

from __future__ import annotations

import re

import pyarrow as pa

from inspector.catalog.markers import classify

ELLIPSIS = re.compile(r"\.\.\.|…")
# Phrases from osquery's sources (docs/osquery-formats.md §4) that decide a marker's class.
PHRASES = (
    "Publisher disabled via configuration",
    "Publisher disabled by configuration",
    "Subscriber disabled via configuration",
    "Subscriber disabled by configuration",
    "EndpointSecurity is disabled via configuration",
    "NTFS event publisher disabled via configuration",
    "Publisher not used",
    "Event publisher not enabled: ",
    "Event publisher failed setup: ",
    "Starting event publisher run loop: ",
    "Calling configure for logger ",
    "Scheduled query may have failed: ",
    "Executing scheduled query ",
    "Opening RocksDB handle: ",
    "Added file event listener to: ",
    "Added YARA listener to: ",
    "osquery initialized [version=",
    "osquery worker initialized [watcher=",
)
MIN_OVERLAP = 3


def restorations(message: str) -> list[str]:
    """Every way to fill the message's elided middle with one known phrase."""
    match = ELLIPSIS.search(message)
    if match is None:
        return []
    head, tail = message[: match.start()], message[match.end() :]
    out = []
    for phrase in PHRASES:
        for k in range(min(len(head), len(phrase) - 1), MIN_OVERLAP - 1, -1):
            if not head.endswith(phrase[:k]):
                continue
            rest = phrase[k:]
            for j in range(min(len(rest), len(tail)), 0, -1):
                if tail.startswith(rest[-j:]) and (j >= MIN_OVERLAP or j == len(tail)):
                    out.append(head + rest[:-j] + tail)
                    break
            break
    return out


def classify_shortened(messages: list[str]) -> tuple[list[str | None], list[str | None]]:
    """Marker class and subject of each shortened message, where its restorations agree."""
    markers: list[str | None] = []
    subjects: list[str | None] = []
    for message in messages:
        options = restorations(message)
        if not options:
            markers.append(None)
            subjects.append(None)
            continue
        marker, subject = classify(pa.array(options, pa.string()))
        classes = set(marker.cast(pa.string()).to_pylist())
        found = set(subject.to_pylist())
        markers.append(classes.pop() if len(classes) == 1 else None)
        subjects.append(found.pop() if len(found) == 1 and markers[-1] else None)
    return markers, subjects
