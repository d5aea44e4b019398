"""What a reader returns: tables, rejected lines with reasons, and the line accounting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from inspector.schema import BAD_LINES


@dataclass
class BadLines:
    """Rejected lines of one source: 1-based line number and a reason each."""

    lines: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def add(self, line: int, reason: str) -> None:
        self.lines.append(int(line))
        self.reasons.append(reason)

    def extend(self, lines: list[int], reasons: list[str]) -> None:
        self.lines.extend(int(x) for x in lines)
        self.reasons.extend(reasons)

    def __len__(self) -> int:
        return len(self.lines)

    def table(self, source: str) -> pa.Table:
        """As a ``BAD_LINES`` table, sorted by line."""
        order = sorted(range(len(self.lines)), key=self.lines.__getitem__)
        return pa.table(
            {
                "source": pa.array([source] * len(order), pa.string()),
                "line": pa.array([self.lines[i] for i in order], pa.int64()),
                "reason": pa.array([self.reasons[i] for i in order], pa.string()),
            },
            schema=BAD_LINES,
        )


@dataclass
class ReaderResult:
    """Everything one reader got out of one file.

    ``lines_loaded + len(bad) == lines_read`` always holds: a line is either loaded (into rows,
    or as metadata such as a glog header or a continuation) or rejected with a reason.
    """

    kind: str
    lines_read: int = 0
    lines_loaded: int = 0
    records: pa.Table | None = None
    status: pa.Table | None = None
    queries: pa.Table | None = None
    empty_runs: pa.Table | None = None  # EMPTY_RUNS: query runs that logged no row
    bad: BadLines = field(default_factory=BadLines)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        """Rows produced (records + status lines + config queries)."""
        return sum(t.num_rows for t in (self.records, self.status, self.queries) if t is not None)

    @property
    def accounted(self) -> bool:
        return self.lines_loaded + len(self.bad) == self.lines_read


def concat_unified(tables: list[pa.Table | None]) -> pa.Table | None:
    """The non-empty ``tables`` as one, their dictionary columns sharing one dictionary each
    (what the IPC file format and the lane codes want); None when there is nothing."""
    parts = [t for t in tables if t is not None and t.num_rows]
    if not parts:
        return None
    return (parts[0] if len(parts) == 1 else pa.concat_tables(parts)).unify_dictionaries()


class SkipFile(Exception):
    """The file is not in a format this reader (or osquery) writes; the message says why."""
