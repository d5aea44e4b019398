"""Text and JSON renderings of a loaded run for ``scan``."""

from __future__ import annotations

import datetime as dt

from inspector import __version__
from inspector.overview import overview
from inspector.workspace import Workspace

MAX_BAD_LINES_SHOWN = 10


def _when(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "—"


def json_default(value: object) -> object:
    """JSON for values the standard encoder does not know (times as ISO 8601 UTC)."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")
    if isinstance(value, set | frozenset):
        return sorted(value)
    return str(value)


def summary_json(ws: Workspace) -> dict:
    """The ``scan --json`` document (product.md contract: ``sources`` and ``findings``)."""
    ov = overview(ws)
    return {
        "app": {"name": "osquery-inspector", "version": __version__},
        "sources": [s.to_json(ws.bad_lines) for s in ws.sources],
        "hosts": ws.hosts.to_pylist(),
        "time_span": {"first": ov.first, "last": ov.last},
        "queries": ov.per_query,
        "markers": ov.markers,
        "totals": {
            "records": ws.records.num_rows,
            "status_lines": ws.status.num_rows,
            "config_queries": ws.queries.num_rows,
            "subscription_rows": ws.subscriptions.num_rows,
            "rejected_lines": ws.bad_lines.num_rows,
        },
        # Duplicate-burst and re-baseline findings come from the analysis (not part of this build).
        "findings": [],
    }


def summary_text(ws: Workspace, *, all_bad_lines: bool = False) -> str:
    """A human summary: sources, rejected lines, hosts, time span, rows per query, markers."""
    ov = overview(ws)
    out: list[str] = []
    loaded = [s for s in ws.sources if s.status == "loaded"]
    others = [s for s in ws.sources if s.status != "loaded"]
    out.append(f"osquery Event Inspector {__version__}")
    out.append("")
    out.append(f"Sources: {len(ws.sources)} files, {len(loaded)} loaded, {len(others)} not")
    width = max((len(s.path) for s in ws.sources), default=10)
    width = min(width, 70)
    for s in loaded:
        comp = f" [{s.compression}]" if s.compression else ""
        rejected = f", {s.lines_rejected:,} rejected" if s.lines_rejected else ""
        out.append(
            f"  {s.kind:<16} {s.path:<{width}}  {s.rows:>9,} rows  {s.lines_read:>9,} lines{rejected}{comp}"
        )
        for note in s.notes:
            out.append(f"  {'':<16}   note: {note}")
    for s in others:
        out.append(f"  {s.status:<16} {s.path:<{width}}  {s.reason}")

    out.append("")
    out.append(f"Rejected lines: {ws.bad_lines.num_rows:,}")
    by_source: dict[str, list[tuple[int, str]]] = {}
    for row in ws.bad_lines.to_pylist():
        by_source.setdefault(row["source"], []).append((row["line"], row["reason"]))
    for source, rows in by_source.items():
        shown = rows if all_bad_lines else rows[:MAX_BAD_LINES_SHOWN]
        for line, reason in shown:
            out.append(f"  {source}:{line}: {reason}")
        if len(shown) < len(rows):
            out.append(
                f"  … and {len(rows) - len(shown):,} more in {source} (--all-bad-lines or --json)"
            )

    out.append("")
    out.append(f"Hosts: {ws.hosts.num_rows}")
    for h in ws.hosts.to_pylist():
        out.append(f"  {h['host']:<28} {h['platform'] or 'platform unknown':<17} {h['evidence']}")

    out.append("")
    out.append(f"Time span: {_when(ov.first)} → {_when(ov.last)}")
    out.append(
        f"Records: {ws.records.num_rows:,}   status lines: {ws.status.num_rows:,}   "
        f"config queries: {ws.queries.num_rows:,}   osquery_events rows: {ws.subscriptions.num_rows:,}"
    )

    if ov.per_query:
        out.append("")
        out.append("Rows per query:")
        out.append(f"  {'rows':>9}  {'host':<24} {'query':<44} subscriber ← publisher")
        for q in ov.per_query:
            pipe = "—"
            if q["subscriber"]:
                pipe = f"{q['subscriber']} ← {q['publisher'] or '?'}  ({q['how']})"
            out.append(f"  {q['rows']:>9,}  {(q['host'] or '?'):<24} {q['query']:<44} {pipe}")

    out.append("")
    out.append(f"Markers: {sum(m['count'] for m in ov.markers):,}")
    for m in ov.markers:
        host = m["host"] or "(no host)"
        out.append(
            f"  {m['marker']:<20} {m['count']:>6,}  {host:<24} {_when(m['first'])} → {_when(m['last'])}"
        )
    return "\n".join(out)
