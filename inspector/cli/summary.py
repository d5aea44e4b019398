"""Text and JSON renderings of a loaded run for ``scan``."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from inspector import __version__
from inspector.model import Workspace
from inspector.model.runs import lane_host
from inspector.model.workspace import rejected_count
from inspector.views.overview import Overview, loaded_line, overview, plural, span, when

MAX_BAD_LINES_SHOWN = 10


def json_default(value: object) -> object:
    """JSON for values the standard encoder does not know (times as ISO 8601 UTC)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def summary_json(ws: Workspace, findings: pa.Table | None = None) -> dict[str, Any]:
    """The ``scan --json`` document (product.md contract: ``sources`` and ``findings``)."""
    ov = overview(ws)
    return {
        "app": {"name": "osquery-inspector", "version": __version__},
        "sources": [s.to_json(ws.bad_lines) for s in ws.sources],
        "hosts": ws.hosts.to_pylist(),
        "time_span": {
            "first": ov.first,
            "last": ov.last,
            "status_first": ov.status_first,
            "status_last": ov.status_last,
            "status_year_assumed_in": ov.assumed_year_sources,
        },
        "queries": ov.per_query,
        "markers": ov.markers,
        "status_clocks": ws.status_clocks.to_pylist(),
        "totals": {
            "records": ws.records.num_rows,
            "status_lines": ws.status.num_rows,
            "config_queries": ws.queries.num_rows,
            "subscription_rows": ws.subscriptions.num_rows,
            "rejected_lines": ws.rejected_lines,
            "empty_runs": ws.empty_runs.num_rows,
            "other_lines": sum(src.lines_other for src in ws.sources),
        },
        "findings": findings.to_pylist() if findings is not None else [],
        # The input roots as runs: a host given in several is analysed per run (findings' "run").
        "runs": [
            {"run": run, "root": root}
            for run, root in dict.fromkeys(
                zip(
                    ws.runs.column("run").to_pylist(),
                    ws.runs.column("root").to_pylist(),
                    strict=True,
                )
            )
        ],
    }


def status_clock_line(clock: dict[str, Any]) -> str:
    """How one host's wall-clock status lines were placed: zone, basis and evidence."""
    host = clock["host"] or "(unknown host)"
    basis = {"given": "as given", "inferred": "inferred", "assumed": "ASSUMED"}.get(
        clock["basis"], clock["basis"]
    )
    return (
        f"status-log time of {host}: {clock['zone']} ({basis}; {plural(clock['lines'], 'line')}) "
        f"— {clock['evidence']}"
    )


def _display_paths(ws: Workspace) -> dict[str, str]:
    """Source paths relative to what they share, so the table stays narrow."""
    paths = [s.path for s in ws.sources]
    if len(paths) < 2:
        return {p: p for p in paths}
    try:
        base = os.path.commonpath([os.path.abspath(p) for p in paths])
    except ValueError:
        return {p: p for p in paths}
    if os.path.isfile(base):
        base = os.path.dirname(base)
    return {p: os.path.relpath(os.path.abspath(p), base) for p in paths}


def summary_text(
    ws: Workspace, findings: pa.Table | None = None, *, all_bad_lines: bool = False
) -> str:
    """A human summary: sources, rejected lines, hosts, time span, rows per query, markers."""
    ov = overview(ws)
    shown = _display_paths(ws)
    out: list[str] = [f"osquery Event Inspector {__version__}", ""]
    out += _sources_section(ws, shown)
    out += ["", *_rejected_section(ws, shown, all_bad_lines)]
    out += ["", f"Hosts: {ws.hosts.num_rows}"]
    for h in ws.hosts.to_pylist():
        out.append(f"  {h['host']:<28} {h['platform'] or 'platform unknown':<17} {h['evidence']}")
    out += ["", *_span_section(ws, ov)]
    if ov.per_query:
        out += ["", *_queries_section(ov)]
    if findings is not None:
        out += ["", f"Findings: {findings.num_rows:,}"]
        out += [f"  {finding_line(f)}" for f in findings.to_pylist()]
    out += ["", f"Markers: {sum(m['count'] for m in ov.markers):,}"]
    for m in ov.markers:
        host = m["host"] or "(no host)"
        out.append(
            f"  {m['marker']:<20} {m['count']:>6,}  {host:<24} {span(m['first'], m['last'])}"
        )
    return "\n".join(out)


def _sources_section(ws: Workspace, shown: dict[str, str]) -> list[str]:
    out = [f"Sources: {loaded_line(ws)}"]
    width = min(max((len(v) for v in shown.values()), default=10), 60)
    for s in ws.loaded_sources:
        comp = f" [{s.compression}]" if s.compression else ""
        rejected = f", {s.lines_rejected:,} rejected" if s.lines_rejected else ""
        other = f", {s.lines_other:,} other" if s.lines_other else ""
        out.append(
            f"  {s.kind:<16} {shown[s.path]:<{width}} {plural(s.rows, 'row'):>13} "
            f"{plural(s.lines_read, 'line'):>14}{rejected}{other}{comp}"
        )
        out += [f"  {'':<16}   note: {note}" for note in s.notes]
    for s in ws.sources:
        if s.status != "loaded":
            out.append(f"  {s.status:<16} {shown[s.path]:<{width}} {s.reason}")
    return out


def _rejected_section(ws: Workspace, shown: dict[str, str], all_bad_lines: bool) -> list[str]:
    bad = ws.bad_lines
    out = [f"Rejected lines: {rejected_count(bad):,}"]
    for source in dict.fromkeys(bad.column("source").to_pylist()) if bad.num_rows else []:
        name = shown.get(source, source)
        mine = bad.filter(pc.equal(bad.column("source"), source))
        listed = mine if all_bad_lines else mine.slice(0, MAX_BAD_LINES_SHOWN)
        for row in listed.to_pylist():
            out.append(f"  {bad_line_text(name, row['line'], row['reason'], row['lines'])}")
        if listed.num_rows < mine.num_rows:
            more = rejected_count(mine) - rejected_count(listed)
            out.append(f"  … and {more:,} more in {name} (--all-bad-lines or --json)")
    return out


def bad_line_text(name: str, line: int, reason: str, count: int | None) -> str:
    """``name:line: reason``; a run of ``count`` lines rejected for one reason as a range."""
    if count is not None and count > 1:
        return f"{name}:{line}–{line + count - 1}: {reason} ({count:,} lines)"
    return f"{name}:{line}: {reason}"


def _span_section(ws: Workspace, ov: Overview) -> list[str]:
    status = f"Status lines:   {span(ov.status_first, ov.status_last)}"
    if ov.assumed_year_sources:
        status += (
            f"  (year assumed for {plural(len(ov.assumed_year_sources), 'file')}; see notes, "
            "or pass --year)"
        )
    return [
        f"Records logged: {span(ov.first, ov.last)}",
        status,
        *(f"  {status_clock_line(clock)}" for clock in ws.status_clocks.to_pylist()),
        f"Records: {ws.records.num_rows:,}   status lines: {ws.status.num_rows:,}   "
        f"config queries: {ws.queries.num_rows:,}   osquery_events rows: {ws.subscriptions.num_rows:,}",
    ]


def _queries_section(ov: Overview) -> list[str]:
    out = ["Rows per query:", f"  {'rows':>9}  {'host':<24} {'query':<44} subscriber ← publisher"]
    for q in ov.per_query:
        pipe = "—"
        if q["subscriber"]:
            pipe = f"{q['subscriber']} ← {q['publisher'] or '?'}  ({q['how']})"
        # No query: rows buffered in osquery.db; an empty name is a results line's own.
        query = (
            '"" (an empty name)' if q["query"] == "" else q["query"] or "(osquery.db event buffer)"
        )
        if q.get("empty_runs"):
            pipe += f"  [{plural(q['empty_runs'], 'run')} with no row]"
        out.append(f"  {q['rows']:>9,}  {(q['host'] or '?'):<24} {query:<44} {pipe}")
    return out


def finding_line(f: dict[str, Any]) -> str:
    """One finding on one line: kind, host, subscriber, span, factor, extra rows, cause."""
    what = f["subscriber"] or f["query"] or "?"
    factor = f"×{f['duplicate_factor']:.2f} " if f["duplicate_factor"] is not None else ""
    extra = f"{f['extra_rows']:,} extra rows  " if f["extra_rows"] is not None else ""
    cause = (
        f"after {f['marker']} at {when(f['config_change_at'])}"
        if f["marker"]
        else "no marker nearby"
    )
    return (
        f"{f['kind']:<16} {(lane_host(f['host'], f.get('run')) or '?'):<20} {what:<22} {span(f['start'], f['end'])}  "
        f"{factor}{extra}[{f['signature']}, {f['source']}]  {cause}"
    )
