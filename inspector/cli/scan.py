"""``osquery-inspector scan PATH... [--json]``: load inputs and summarise them."""

from __future__ import annotations

import argparse
import json
import os
import sys

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.findings import find
from inspector.analysis.groups import with_duplicate_groups
from inspector.arrow_columns import take_rows
from inspector.cli.options import add_cache_option, add_time_options, read_cache
from inspector.cli.progress_line import stderr_progress
from inspector.cli.summary import json_default, summary_json, summary_text
from inspector.export import write_parquet
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.output_paths import output_problem, write_error
from inspector.progress import Progress
from inspector.schema import LOADED_RECORDS
from inspector.views.record_filter import RecordFilter, filter_rows
from inspector.views.sql_sandbox import FilterError, check_where


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "scan",
        help="load inputs and print a summary (sources, rejected lines, hosts, queries, markers)",
        description="Load files and directories (recursively) and summarise what they hold.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to read")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    add_time_options(p)
    p.add_argument(
        "--all-bad-lines", action="store_true", help="list every rejected line in the text summary"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_cache_option(p)
    p.add_argument(
        "--findings", metavar="FILE.parquet", help="write the findings to a Parquet file"
    )
    p.add_argument(
        "--records", metavar="FILE.parquet", help="write the loaded records to a Parquet file"
    )
    p.add_argument(
        "--where",
        metavar="EXPR",
        help="with --records: write only the records for which this SQL boolean expression "
        "(DuckDB, over the records' columns) is true; it can read nothing but the records",
    )
    p.add_argument("--fail-on-findings", action="store_true", help="exit 1 when there are findings")
    p.add_argument(
        "--bucket", type=int, default=60, metavar="SECONDS", help="bucket size for duplication (60)"
    )
    p.set_defaults(run=run)


def usage_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options, found before anything is loaded (None: nothing)."""
    if not 1 <= args.bucket <= 86400:
        return "--bucket must be between 1 and 86400 seconds"
    if args.where is not None:
        if not args.records:
            return "--where chooses the records written by --records; give --records FILE.parquet"
        try:
            check_where(args.where, LOADED_RECORDS)
        except FilterError as exc:
            return f"--where refused: {exc}"
    for option, path in (("--findings", args.findings), ("--records", args.records)):
        if path is not None and (problem := output_problem(path)) is not None:
            return f"{option}: {problem}"
    if (
        args.findings
        and args.records
        and os.path.abspath(args.findings) == os.path.abspath(args.records)
    ):
        return "--findings and --records name the same file"
    return None


def run(args: argparse.Namespace) -> int:
    problem = usage_problem(args)
    if problem is not None:
        print(f"osquery-inspector scan: {problem}", file=sys.stderr)
        return 2
    tz = args.tz
    progress = None if args.quiet or not sys.stderr.isatty() else Progress(stderr_progress)
    ws = load(args.paths, LoadOptions(tz=tz, year=args.year), progress, read_cache(args))
    if progress is not None:
        print(file=sys.stderr)
    options = BurstOptions(bucket_seconds=args.bucket)
    findings = find(ws, options)
    parameters = {"tz": tz, "year": args.year, "bucket_seconds": args.bucket}
    try:
        if args.findings:
            write_parquet(findings, args.findings, ws, parameters)
        if args.records:
            records = ws.records
            if args.where is not None:
                parameters["where"] = args.where
                records = take_rows(
                    records, filter_rows(records, RecordFilter(sql_where=args.where))
                )
            write_parquet(with_duplicate_groups(records), args.records, ws, parameters)
    except FilterError as exc:
        print(f"osquery-inspector scan: --where refused: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        target = exc.filename or args.records or args.findings
        print(f"osquery-inspector scan: {write_error(str(target), exc)}", file=sys.stderr)
        return 2
    if args.json:
        json.dump(summary_json(ws, findings), sys.stdout, indent=2, default=json_default)
        print()
    else:
        print(summary_text(ws, findings, all_bad_lines=args.all_bad_lines))
    if not ws.loaded_sources:
        print(
            "osquery-inspector scan: no readable input (nothing in an osquery format was loaded)",
            file=sys.stderr,
        )
        return 2
    return 1 if args.fail_on_findings and findings.num_rows else 0
