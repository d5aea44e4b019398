"""``osquery-inspector db OSQUERY_DB... [--json] [--out FILE.parquet]``: the database anatomy.

One database: its report. Two or more: each report, then the differences between them (first →
last: before and after an osquery upgrade or an options change). Exit status: 0 done; 2 for bad
usage, an ``--out`` path that cannot be written (checked before reading), or no readable database.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from inspector.cli.progress_line import stderr_progress
from inspector.cli.summary import json_default
from inspector.output_paths import output_problem
from inspector.progress import Progress

if TYPE_CHECKING:
    from inspector.database.report import DatabaseReport

PROG = "osquery-inspector db"


def _seconds(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("--events-expiry cannot be negative")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "db",
        help="the anatomy of osquery.db: families, events per subscriber, index cost, expiry",
        description=(
            "Measure what an osquery.db holds: live keys and bytes per column family and its "
            "osquery domain with RocksDB's properties, buffered events per subscriber against "
            "events_expiry, the index-like keys with their cost and consistency, repeated "
            "content, and how key order follows time order. Two databases: side by side."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="OSQUERY_DB", help="an osquery.db folder")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--out", metavar="FILE.parquet", help="write every figure to Parquet")
    p.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="osquery.conf or flags file that says events_expiry and the schedule (repeatable; "
        "configs stored in the database are read anyway)",
    )
    p.add_argument(
        "--events-expiry",
        type=_seconds,
        metavar="SECONDS",
        help="judge spans against this events_expiry (overrides any config)",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    problem = _unwritable(args.out) if args.out else None
    if problem:
        print(f"{PROG}: cannot write --out {args.out}: {problem}", file=sys.stderr)
        return 2
    documents = []
    for path in args.config:
        try:
            with open(path, "rb") as f:
                documents.append((path, f.read().decode("utf-8", "replace")))
        except OSError as exc:
            print(f"{PROG}: cannot read --config {path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    from inspector.database.report import anatomy
    from inspector.readers.database_error import DatabaseError

    progress = None if args.quiet or not sys.stderr.isatty() else Progress(stderr_progress)
    reports = []
    for path in args.paths:
        try:
            reports.append(anatomy(path, documents, args.events_expiry, progress))
        except DatabaseError as exc:
            if progress is not None:
                print(file=sys.stderr)
            print(f"{PROG}: {exc}", file=sys.stderr)
    if progress is not None:
        print(file=sys.stderr)
    if not reports:
        print(f"{PROG}: no readable database", file=sys.stderr)
        return 2
    if args.out:
        from inspector.database.table_out import write_anatomy

        parameters = {"config": args.config, "events_expiry": args.events_expiry}
        write_anatomy(reports, args.out, parameters)
    _print(reports, args.json)
    return 0


def _print(reports: list[DatabaseReport], as_json: bool) -> None:
    from inspector.database.diff import differences
    from inspector.database.json_doc import report_json
    from inspector.database.text import report_text, side_by_side_text

    if as_json:
        if len(reports) == 1:
            doc: dict[str, Any] = report_json(reports[0])
        else:
            doc = {
                "databases": [report_json(r) for r in reports],
                "differences": differences(reports),
            }
        json.dump(doc, sys.stdout, indent=2, default=json_default)
        print()
    else:
        print(report_text(reports[0]) if len(reports) == 1 else side_by_side_text(reports))


def _unwritable(path: str) -> str | None:
    """Why ``path`` cannot be written, or None (``output_paths.output_problem``)."""
    return output_problem(path)
