"""A loaded run as data: its sources with their accounting, and the tables every layer uses.

The loading pipeline (``inspector.loading``) fills a ``Workspace``; the analysis, the views, the
command line and the window read it. This module imports nothing but pyarrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from inspector.model.options import LoadOptions
from inspector.model.runs import RUN_SOURCES
from inspector.schema import EMPTY_RUNS, STATUS_CLOCKS


@dataclass
class SourceReport:
    """One input file: what it was taken for and how every one of its lines was accounted for."""

    path: str
    kind: str  # results_log, snapshot_log, status_log_glog, config, ... or skipped/error/duplicate
    status: str  # loaded | skipped | error | duplicate
    size: int = 0
    compression: str | None = None
    lines_read: int = 0
    lines_loaded: int = 0
    lines_rejected: int = 0
    lines_other: int = 0  # loaded lines that are not osquery's (other programs in a system log)
    rows: int = 0
    reason: str | None = None  # why skipped / the error
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    year_assumed: bool = False  # glog without a year: taken from the file's modification time
    cached: str | None = None  # "cache" (read back) or "tail" (cached part + new lines)
    # What the file says of its agent's UTC offset (for the status clock), as readers found it.
    zone_evidence: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, bad_lines: pa.Table | None = None) -> dict[str, Any]:
        out = {
            "path": self.path,
            "kind": self.kind,
            "status": self.status,
            "rows": self.rows,
            "lines": self.lines_read,
            "lines_loaded": self.lines_loaded,
            "lines_rejected": self.lines_rejected,
            "lines_other": self.lines_other,
            "size": self.size,
            "compression": self.compression,
            "reason": self.reason,
            "notes": self.notes,
            "year_assumed": self.year_assumed,
            "bad_lines": [],
        }
        if bad_lines is not None:
            mine = bad_lines.filter(pc.equal(bad_lines.column("source"), self.path))
            # A run of lines rejected for one reason is one entry with its length in "lines".
            out["bad_lines"] = [
                bad_line_entry(line, reason, count)
                for line, reason, count in zip(
                    mine.column("line").to_pylist(),
                    mine.column("reason").to_pylist(),
                    mine.column("lines").to_pylist(),
                    strict=True,
                )
            ]
        return out


def rejected_count(bad_lines: pa.Table) -> int:
    """Rejected lines in a ``BAD_LINES`` table (a run of lines counts every line of it)."""
    if not bad_lines.num_rows:
        return 0
    return int(pc.sum(bad_lines.column("lines")).as_py() or 0)


@dataclass
class Workspace:
    """Everything loaded from one run's inputs."""

    sources: list[SourceReport]
    records: pa.Table  # LOADED_RECORDS: the records as read plus their content hash
    status: pa.Table
    queries: pa.Table
    hosts: pa.Table
    mapping: pa.Table
    subscriptions: pa.Table
    bad_lines: pa.Table
    options: LoadOptions = field(default_factory=LoadOptions)
    # How each host's wall-clock status lines were placed on UTC (STATUS_CLOCKS).
    status_clocks: pa.Table = field(default_factory=STATUS_CLOCKS.empty_table)
    # Query runs that logged no row (EMPTY_RUNS): empty snapshots, empty batches.
    empty_runs: pa.Table = field(default_factory=EMPTY_RUNS.empty_table)
    # Which run (input root) each input file came from (RUN_SOURCES; ``inspector.model.runs``).
    # Records, status and subscriptions carry a ``run`` column only when a host is in several.
    runs: pa.Table = field(default_factory=RUN_SOURCES.empty_table)

    @property
    def run_names(self) -> list[str]:
        """The runs' names in the order their roots were given (one name: a single run)."""
        return list(dict.fromkeys(self.runs.column("run").to_pylist()))

    @property
    def split_runs(self) -> bool:
        """Some host appears in several runs: its rows carry their run (a ``run`` column)."""
        return "run" in self.records.column_names or "run" in self.status.column_names

    @property
    def from_cache(self) -> int:
        """How many inputs came (wholly or up to a new tail) from the read cache."""
        return sum(1 for s in self.sources if s.cached)

    @property
    def rejected_lines(self) -> int:
        """Lines rejected with a reason (a run of empty lines counts every line of it)."""
        return rejected_count(self.bad_lines)

    @property
    def loaded_sources(self) -> list[SourceReport]:
        return [s for s in self.sources if s.status == "loaded"]

    @property
    def readable(self) -> bool:
        """At least one input could be opened (even if it held nothing osquery wrote)."""
        return any(s.status in ("loaded", "skipped", "duplicate") for s in self.sources)


def bad_line_entry(line: int, reason: str, count: int | None) -> dict[str, Any]:
    """A rejected line as ``scan --json`` lists it: a run of ``count`` lines rejected for one
    reason is one entry with its length in ``lines``."""
    count = count or 1
    return {"line": line, "reason": reason} | ({"lines": count} if count > 1 else {})
