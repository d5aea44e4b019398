"""What the window's tables show of a workspace: problems, sources, and a finding as a line."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from inspector.model import SourceReport, Workspace
from inspector.model.runs import lane_host

STATUS_COLUMNS = [
    "log_time", "severity", "marker", "subject", "message", "host", "file", "src_line",
    "format",  # glog, plain, syslog_glog, syslog_echo, logfmt_glog …
    "local_time",  # the agent's wall clock as written (local-clock lines)
    "clock", "source", "line",
]  # fmt: skip
SOURCE_COLUMNS = ["path", "kind", "status", "rows", "lines", "rejected", "other", "compression",
                  "cache", "reason", "notes"]  # fmt: skip
_CACHED = {"cache": "read back", "tail": "read back + new lines"}


def problems_table(ws: Workspace) -> pa.Table:
    """Rejected lines (``lines``: how many, for a run of them), then files that could not be read,
    were skipped or loaded only in part (a corrupt database table file; line empty)."""
    files = [s for s in ws.sources if s.status in ("error", "skipped") or damaged(s)]
    file_rows = pa.table(
        {
            "source": pa.array([s.path for s in files], pa.string()),
            "line": pa.nulls(len(files), pa.int64()),
            "lines": pa.nulls(len(files), pa.int64()),
            "reason": pa.array(
                [f"{'damaged' if damaged(s) else s.status}: {s.reason}" for s in files],
                pa.string(),
            ),
        }
    )
    lines = ws.bad_lines.select(["source", "line", "lines", "reason"]).cast(file_rows.schema)
    return pa.concat_tables([lines, file_rows])


def damaged(source: SourceReport) -> bool:
    """Loaded, but not all of it (a corrupt table file of a database)."""
    return source.status == "loaded" and bool(source.reason)


def sources_table(ws: Workspace) -> pa.Table:
    """The workspace's source reports as a table for display."""
    return pa.table(
        {
            "path": [s.path for s in ws.sources],
            "kind": [s.kind for s in ws.sources],
            "status": [s.status for s in ws.sources],
            "rows": pa.array([s.rows for s in ws.sources], pa.int64()),
            "lines": pa.array([s.lines_read for s in ws.sources], pa.int64()),
            "rejected": pa.array([s.lines_rejected for s in ws.sources], pa.int64()),
            # lines of other programs in a system log: counted, not loaded
            "other": pa.array([s.lines_other for s in ws.sources], pa.int64()),
            "compression": [s.compression for s in ws.sources],
            "cache": [_CACHED.get(s.cached or "") for s in ws.sources],
            "reason": [s.reason for s in ws.sources],
            "notes": ["; ".join(s.notes) for s in ws.sources],
        }
    )


def finding_line(f: dict[str, Any], when: Callable[[dt.datetime | float | None, str], str]) -> str:
    """A finding in one line for the status bar; ``when(time, pattern)`` writes its times."""
    what = f["subscriber"] or f["query"] or "?"
    if f.get("run") is not None:  # a host given in several runs: say which run
        what += f" ({lane_host(f['host'], f['run'])})"
    if f["kind"] == "duplicate_burst":
        text = f"Duplicate burst in {what}: ×{f['duplicate_factor']:.2f}, {f['extra_rows']:,} extra rows"
        if f.get("marker"):
            text += f", after {f['marker']} at {when(f['config_change_at'], '%H:%M:%S')}"
        return text
    return f"{f['kind']} of {what} at {when(f['start'], '%Y-%m-%d %H:%M:%S')}"


def nothing_loadable(ws: Workspace) -> bool:
    """True when no input held anything osquery wrote: no source loaded (an empty folder, or only
    other programs' files) — not a clean run, so the window must not say "no findings". Rows
    read elsewhere (a fleet dataset's host whose files the manifest does not list) are a run."""
    return not ws.loaded_sources and not ws.records.num_rows and not ws.status.num_rows
