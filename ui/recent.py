"""Recently opened inputs, kept in QSettings (most recent first)."""

from __future__ import annotations

import json

from PySide6.QtCore import QSettings

MAX_RECENT = 10


def recent_inputs() -> list[list[str]]:
    """Input sets opened before, most recent first (each a list of paths)."""
    try:
        value = json.loads(str(QSettings().value("recent_inputs", "[]")))
    except ValueError:
        return []
    return [[str(p) for p in entry] for entry in value if isinstance(entry, list) and entry]


def remember(paths: list[str]) -> None:
    """Put ``paths`` first in the recent list (once)."""
    entries = [e for e in recent_inputs() if e != list(paths)]
    entries.insert(0, list(paths))
    QSettings().setValue("recent_inputs", json.dumps(entries[:MAX_RECENT]))


def clear_recent() -> None:
    QSettings().setValue("recent_inputs", "[]")
