"""Reading a column family to its end — or to the damage, and past it — and saying what was lost.

rocksdict's ``keys()``/``values()`` stop quietly at a corrupt block of a table file: a database
with one damaged file used to load as "loaded" with a third of its events and no word. So after
the fast pass the family's iterator is asked whether it really ended (its ``status()``); if a
block was corrupt, the keys after it are read backwards from the family's last key up to the
damage, and the loss is estimated from RocksDB's own count of the family's keys (and, for
events, from the gap in their sequential ids).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from inspector.gil_friendly import take_all

EVENT_KEY = re.compile(rb"^data\.([^.]+)\.([^.]+)\.(\d+)$")
TABLE_FILE = re.compile(r"(\S*?(\d+\.sst))\b")


@dataclass
class FamilyRead:
    """What one column family gave: its keys and values in key order, and any damage met."""

    keys: list[bytes] = field(default_factory=list)
    values: list[bytes] = field(default_factory=list)
    damage: str | None = None  # RocksDB's status text ("Corruption: block checksum mismatch …")
    expected: int | None = None  # RocksDB's estimate of the family's keys
    gap: tuple[bytes | None, bytes | None] = (None, None)  # the last key before, first after

    @property
    def lost_keys(self) -> int:
        """Keys that could not be read (an estimate; 0 when nothing was damaged)."""
        if self.damage is None:
            return 0
        return max((self.expected or 0) - len(self.keys), 0)

    @property
    def lost_events(self) -> int | None:
        """Events lost in the gap, from the ids on both sides when both are events of one
        subscriber (osquery numbers them one by one); None when the gap says nothing."""
        before, after = (EVENT_KEY.match(k or b"") for k in self.gap)
        if before is None or after is None or before.group(1, 2) != after.group(1, 2):
            return None
        return max(int(after.group(3)) - int(before.group(3)) - 1, 0)


def read_family(handle: Any) -> FamilyRead:
    """Every readable key and value of a column family (``handle``: an ``Rdict`` or its column
    family), with the damage met on the way."""
    # In slices: ``list()`` over the binding's iterator would hold the GIL for the whole family.
    got = FamilyRead(take_all(handle.keys()), take_all(handle.values()))
    if len(got.keys) != len(got.values):  # both passes stopped, not at the same place
        n = min(len(got.keys), len(got.values))
        got.keys, got.values = got.keys[:n], got.values[:n]
    damage = _stopped_early(handle, got.keys[-1] if got.keys else None)
    if damage is None:
        return got
    got.damage = damage
    got.expected = _estimate(handle)
    tail_keys, tail_values, after = _read_backwards(handle, got.keys[-1] if got.keys else None)
    got.gap = (got.keys[-1] if got.keys else None, after)
    got.keys += tail_keys
    got.values += tail_values
    return got


def _stopped_early(handle: Any, last: bytes | None) -> str | None:
    """RocksDB's error if the iteration after ``last`` (None: from the start) fails."""
    it = handle.iter()
    if last is None:
        it.seek_to_first()
    else:
        it.seek(last)
        if it.valid():
            it.next()
    if it.valid():
        return None if last is None else "the iteration stopped before the end of the family"
    try:
        it.status()
    except Exception as exc:  # rocksdict raises plain Exceptions with RocksDB's status text
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def _read_backwards(
    handle: Any, last: bytes | None
) -> tuple[list[bytes], list[bytes], bytes | None]:
    """Keys and values after ``last`` read from the family's end backwards (in key order), and
    the first of them (the key right after the damage)."""
    keys: list[bytes] = []
    values: list[bytes] = []
    it = handle.iter()
    it.seek_to_last()
    while it.valid():
        key = it.key()
        if last is not None and key <= last:
            break
        keys.append(key)
        values.append(it.value())
        it.prev()
    keys.reverse()
    values.reverse()
    return keys, values, (keys[0] if keys else None)


def _estimate(handle: Any) -> int | None:
    try:
        return int(handle.property_int_value("rocksdb.estimate-num-keys"))
    except Exception:  # not every build answers every property
        return None


def table_file(damage: str) -> str | None:
    """The table file (``000010.sst``) a RocksDB error names, if it names one."""
    found = TABLE_FILE.search(damage)
    return found.group(2) if found else None


def damage_note(family: str, domain: str | None, read: FamilyRead) -> str:
    """One line: corrupt, which table file, what could not be read, and what was kept."""
    file = table_file(read.damage or "")
    where = f"table file {file}" if file else "a table file"
    # "Corruption: block checksum mismatch: stored = …" → "block checksum mismatch"
    detail = (read.damage or "").removeprefix("Corruption: ").split(":", 1)[0].split(" in /")[0]
    events = read.lost_events
    if events is not None:
        lost = f"about {events:,} events lost"
    elif read.lost_keys:
        lost = f"about {read.lost_keys:,} keys lost"
    else:
        lost = "an unknown number of keys lost"
    what = f"column family {family!r}" + (f" (the {domain} domain)" if domain else "")
    first, after = (k.decode("utf-8", "replace") if k else None for k in read.gap)
    span = ""
    if first or after:
        span = f" between {first or 'the first key'} and {after or 'the last key'}"
    return (
        f"corrupt {where} ({detail or 'damaged block'}) in {what}: {lost}{span}; "
        f"{len(read.keys):,} readable keys of it loaded"
    )
