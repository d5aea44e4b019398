"""Findings of a followed run as events: ``finding`` when a burst is first seen,
``finding_update`` when it grows, changes or closes (or is withdrawn: the lane's baseline moved
and it no longer counts as a burst).

A burst keeps its ``id`` while it overlaps (or touches) the one reported before on its lane:
its start may move a bucket earlier (a transition bucket joins it) and its end grows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

# The findings contract (product.md), plus ``provisional`` and the finding's ``id``.
CONTRACT = (
    "kind", "host", "publisher", "subscriber", "query", "start", "end", "duplicate_factor",
    "extra_rows", "config_change_at", "source",
)  # fmt: skip
COMPARED = ("start", "end", "duplicate_factor", "extra_rows", "config_change_at", "provisional")


@dataclass
class FindingTracker:
    """Turns successive findings tables into finding / finding_update events."""

    reported: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1

    @property
    def count(self) -> int:
        """Findings reported so far (withdrawn ones included: they were reported)."""
        return self.next_id - 1

    def update(self, findings: pa.Table) -> list[dict[str, Any]]:
        """Events for what changed since the last call (``findings``: contract columns plus
        ``provisional``)."""
        events: list[dict[str, Any]] = []
        seen: set[int] = set()
        for row in findings.to_pylist():
            row = {k: row.get(k) for k in (*CONTRACT, "provisional")}
            match = self._match(row, seen)
            if match is None:
                fid = self.next_id
                self.next_id += 1
                self.reported[fid] = row
                seen.add(fid)
                events.append({"event": "finding", "id": fid, **row})
                continue
            seen.add(match)
            before = self.reported[match]
            if any(before.get(k) != row.get(k) for k in COMPARED):
                self.reported[match] = row
                events.append({"event": "finding_update", "id": match, **row})
        for fid in [f for f in self.reported if f not in seen]:
            gone = self.reported.pop(fid)
            events.append(
                {"event": "finding_update", "id": fid, **gone, "provisional": False,
                 "withdrawn": True}
            )  # fmt: skip
        return events

    def _match(self, row: dict[str, Any], taken: set[int]) -> int | None:
        lane = ("host", "publisher", "subscriber", "source", "kind")
        for fid, before in self.reported.items():
            if fid in taken or any(before[k] != row[k] for k in lane):
                continue
            if _overlaps(before["start"], before["end"], row["start"], row["end"]):
                return fid
        return None


def _overlaps(a0: dt.datetime, a1: dt.datetime, b0: dt.datetime, b1: dt.datetime) -> bool:
    return a0 <= b1 and b0 <= a1
