"""What ``fleet ingest`` says of a run: its text report and its ``--json`` document, each
rejected line named by file and line as ``scan`` names them."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from inspector.cli.summary import MAX_BAD_LINES_SHOWN, bad_line_text
from inspector.model.workspace import bad_line_entry
from inspector.views.overview import plural

if TYPE_CHECKING:
    from inspector.fleet.ingest import IngestResult


def ingest_document(args: argparse.Namespace, result: IngestResult) -> dict[str, Any]:
    """``fleet ingest --json``'s document (each source with its rejected lines, as ``scan``'s)."""
    rows = result.manifest.to_pylist()
    bad = rejected_by_file(result.rejected_lines)
    return {
        "dataset": args.to,
        "ingest": result.ingest,
        "engine": args.engine,
        "files": len(rows),
        "lines": result.lines,
        "lines_rejected": result.rejected,
        "already_ingested": result.skipped_known,
        "changed": result.changed,
        "repeated": [{"path": p, "read_as": r} for p, r in result.repeated],
        "renamed": [{"path": p, "read_before_as": r} for p, r in result.renamed],
        "problems": [{"path": p, "reason": r} for p, r in result.problems],
        "status_clocks": result.clocks.to_pylist(),
        "clock_changes": result.clock_changes,
        "late_publishers": result.late_publishers,
        "sources": [r | {"bad_lines": bad.get(r["path"], [])} for r in rows],
    }


def rejected_by_file(rejected: pa.Table) -> dict[str, list[dict[str, Any]]]:
    """An ingest's rejected lines by file, as ``scan --json`` lists them (a run of lines
    rejected for one reason is one entry with its length in ``lines``)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for r in rejected.to_pylist():
        out.setdefault(r["path"], []).append(bad_line_entry(r["line"], r["reason"], r["lines"]))
    return out


def _bad_lines_text(path: str, bad: list[dict[str, Any]], all_bad_lines: bool) -> list[str]:
    """``file:line: reason`` lines, as ``scan`` prints them (the first few unless all)."""
    listed = bad if all_bad_lines else bad[:MAX_BAD_LINES_SHOWN]
    out = [f"    {bad_line_text(path, b['line'], b['reason'], b.get('lines'))}" for b in listed]
    if len(listed) < len(bad):
        more = sum(b.get("lines", 1) for b in bad[len(listed) :])
        out.append(f"    … and {more:,} more in {path} (--all-bad-lines or --json)")
    return out


def ingest_text(dataset: str, result: IngestResult, all_bad_lines: bool = False) -> str:
    """A human reading of an ingest run (its problems are warnings on stderr)."""
    rows = result.manifest.to_pylist()
    bad = rejected_by_file(result.rejected_lines)
    loaded = sum(1 for r in rows if r["status"] == "loaded")
    out = [
        f"{dataset}: {plural(len(rows), 'new file')} ({loaded:,} loaded), "
        f"{plural(result.lines, 'line')}, {result.rejected:,} rejected; "
        f"{result.skipped_known:,} already in the dataset"
    ]
    for r in rows:
        if r["status"] != "loaded" or r["lines_rejected"]:
            why = r["reason"] or f"{plural(r['lines_rejected'], 'line')} rejected"
            out.append(f"  {r['path']}: {r['status']}: {why}")
            out += _bad_lines_text(r["path"], bad.get(r["path"], []), all_bad_lines)
        if r["notes"]:  # a truncated object, NUL remnants, envelope items skipped …
            out.append(f"  {r['path']}: note: {r['notes']}")
    if result.repeated:
        first, read_as = result.repeated[0]
        example = f"{first} given again" if first == read_as else f"{first} is {read_as}"
        out.append(
            f"  {plural(len(result.repeated), 'file')} reached more than once (the same path "
            f"given again, a link, a folder inside another) read once; e.g. {example}"
        )
    for path, before in result.renamed:
        out.append(f"  {path}: read before as {before} (renamed or moved); not read again")
    for path in result.changed:
        out.append(f"  {path}: changed since it was ingested; not read again (see README: Fleet)")
    return "\n".join(out)
