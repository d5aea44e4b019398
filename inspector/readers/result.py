"""What a reader returns: tables, rejected lines with reasons, and the line accounting."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from inspector.model.workspace import rejected_count
from inspector.schema import BAD_LINES

__all__ = ["EMPTY_LINE", "BadLines", "ReaderResult", "SkipFile", "concat_unified", "rejected_count"]


@dataclass
class BadLines:
    """Rejected lines of one source: 1-based line number and a reason each — or, for a run of
    lines rejected for one reason (a million blank lines), the first line and how many
    (``counts``), so that a flood of empty lines costs one entry, not one per line.

    ``len()`` is the number of rejected lines (runs counted in full), ``entries`` the number of
    entries."""

    lines: list[int] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    _total: int = 0
    _run_open: bool = False  # the last entry is a run that a contiguous ``add_run`` extends

    def add(self, line: int, reason: str) -> None:
        self.lines.append(int(line))
        self.reasons.append(reason)
        self.counts.append(1)
        self._total += 1
        self._run_open = False

    def add_run(self, line: int, count: int, reason: str) -> None:
        """``count`` lines from ``line`` on, all rejected for ``reason``."""
        if count <= 0:
            return
        if (
            self._run_open
            and self.reasons[-1] == reason
            and self.lines[-1] + self.counts[-1] == line
        ):
            self.counts[-1] += int(count)
        else:
            self.lines.append(int(line))
            self.reasons.append(reason)
            self.counts.append(int(count))
            self._run_open = True
        self._total += int(count)

    def extend(self, lines: list[int], reasons: list[str], counts: list[int] | None = None) -> None:
        counts = counts if counts is not None else [1] * len(lines)
        self.lines.extend(int(x) for x in lines)
        self.reasons.extend(reasons)
        self.counts.extend(int(c) for c in counts)
        self._total += sum(int(c) for c in counts)
        self._run_open = False

    def merge(self, other: BadLines) -> None:
        """``other``'s entries after these (runs that meet are joined)."""
        for line, reason, count in zip(other.lines, other.reasons, other.counts, strict=True):
            if count > 1 or reason == EMPTY_LINE:
                self.add_run(line, count, reason)
            else:
                self.add(line, reason)

    def __len__(self) -> int:
        return self._total

    @property
    def entries(self) -> int:
        return len(self.lines)

    def table(self, source: str) -> pa.Table:
        """As a ``BAD_LINES`` table, sorted by line."""
        order = sorted(range(len(self.lines)), key=self.lines.__getitem__)
        return pa.table(
            {
                "source": pa.array([source] * len(order), pa.string()),
                "line": pa.array([self.lines[i] for i in order], pa.int64()),
                "reason": pa.array([self.reasons[i] for i in order], pa.string()),
                "lines": pa.array([self.counts[i] for i in order], pa.int64()),
            },
            schema=BAD_LINES,
        )

    @classmethod
    def of_table(cls, table: pa.Table | None) -> BadLines:
        """Back from a ``BAD_LINES`` table."""
        bad = cls()
        if table is not None and table.num_rows:
            counts = (
                table.column("lines").to_pylist()
                if "lines" in table.column_names
                else [1] * table.num_rows
            )
            bad.extend(table.column("line").to_pylist(), table.column("reason").to_pylist(), counts)
        return bad


EMPTY_LINE = "empty line"


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
