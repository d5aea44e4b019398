"""``osquery-inspector scan PATH... [--json]``: load inputs and summarise them."""

from __future__ import annotations

import argparse
import json
import sys

from inspector.analysis.duplicates import BurstOptions
from inspector.analysis.findings import find
from inspector.analysis.groups import with_duplicate_groups
from inspector.cli.options import add_cache_option, add_time_options, read_cache
from inspector.cli.progress_line import stderr_progress
from inspector.cli.summary import json_default, summary_json, summary_text
from inspector.export import write_parquet
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.progress import Progress


def add_parser(sub: argparse._SubParsersAction) -> None:
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
    p.add_argument("--fail-on-findings", action="store_true", help="exit 1 when there are findings")
    p.add_argument(
        "--bucket", type=int, default=60, metavar="SECONDS", help="bucket size for duplication (60)"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    tz = args.tz
    progress = None if args.quiet or not sys.stderr.isatty() else Progress(stderr_progress)
    ws = load(args.paths, LoadOptions(tz=tz, year=args.year), progress, read_cache(args))
    if progress is not None:
        print(file=sys.stderr)
    if not 1 <= args.bucket <= 86400:
        print(
            "osquery-inspector scan: --bucket must be between 1 and 86400 seconds", file=sys.stderr
        )
        return 2
    options = BurstOptions(bucket_seconds=args.bucket)
    findings = find(ws, options)
    parameters = {"tz": tz, "year": args.year, "bucket_seconds": args.bucket}
    if args.findings:
        write_parquet(findings, args.findings, ws, parameters)
    if args.records:
        write_parquet(with_duplicate_groups(ws.records), args.records, ws, parameters)
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
