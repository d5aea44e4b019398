"""``osquery-inspector fleet ingest|scan|compare|prepare-spark``: the analysis over a fleet's
Parquet dataset."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from inspector import __version__
from inspector.analysis.burst_rules import BurstOptions
from inspector.cli.fleet_errors import guarded
from inspector.cli.fleet_options import (
    TIME_FORMS,
    dataset_folder_problem,
    host_pattern,
    host_patterns,
    output_file_problem,
    parse_range,
    parse_time,
    range_problem,
    ranges_overlap,
    unmatched_hosts_warnings,
)
from inspector.cli.options import add_time_options
from inspector.cli.progress_line import stderr_progress
from inspector.cli.summary import MAX_BAD_LINES_SHOWN, json_default, status_clock_line
from inspector.export import METADATA_KEY
from inspector.output_paths import write_error
from inspector.progress import Progress
from inspector.views.overview import plural

if TYPE_CHECKING:
    from inspector.fleet.scan import FleetScan

ENGINES = ("duckdb", "spark")
COMMANDS = ("ingest", "scan", "compare", "prepare-spark")


def _bucket(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if not 1 <= value <= 86400:
        raise argparse.ArgumentTypeError("--bucket must be between 1 and 86400 seconds")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``fleet`` command and its subcommands."""
    p = sub.add_parser(
        "fleet",
        help="ingest many hosts into a Parquet dataset and analyse it on DuckDB or Spark",
        description="The duplication analysis over thousands of hosts (see README: Fleet).",
    )
    # Not required by argparse (whose refusal names 'fleet_command'): no command is said below.
    fleet = p.add_subparsers(dest="fleet_command", metavar="COMMAND", title="commands")
    p.set_defaults(run=_no_command)

    i = fleet.add_parser("ingest", help="add host folders and log-pipeline objects to a dataset")
    i.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="host folders, pipeline roots, files"
    )
    i.add_argument("--to", required=True, metavar="DATASET", help="the dataset folder")
    i.add_argument("--engine", choices=ENGINES, default="duckdb")
    i.add_argument("--spark-master", metavar="URL", help="Spark master URL (default local[*])")
    i.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    i.add_argument(
        "--all-bad-lines", action="store_true",
        help=f"list every rejected line (the first {MAX_BAD_LINES_SHOWN} of a file otherwise)",
    )  # fmt: skip
    i.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_time_options(i)
    i.set_defaults(run=guarded("ingest", run_ingest))

    s = fleet.add_parser(
        "scan", help="findings of every host of a dataset", epilog=f"Times T: {TIME_FORMS}."
    )
    _common(s)
    s.add_argument(
        "--since", type=parse_time, metavar="T", help="only records from T on (see Times below)"
    )
    s.add_argument(
        "--until", type=parse_time, metavar="T", help="only records before T (see Times below)"
    )
    s.add_argument("--findings", metavar="FILE.parquet", help="write the findings to Parquet")
    s.add_argument("--fail-on-findings", action="store_true", help="exit 1 when there are findings")
    s.set_defaults(run=guarded("scan", run_scan))

    c = fleet.add_parser(
        "compare",
        help="per host × subscriber: a time range before and after",
        epilog=f"Times T1…T4: {TIME_FORMS}. Each range is T1..T2 with T1 before T2.",
    )
    _common(c)
    c.add_argument(
        "--before", required=True, type=parse_range, metavar="T1..T2",
        help="the range before, from T1 up to T2 (see Times below)",
    )  # fmt: skip
    c.add_argument(
        "--after", required=True, type=parse_range, metavar="T3..T4", help="the range after"
    )
    c.add_argument("--out", metavar="FILE.parquet", help="write one row per pair to Parquet")
    c.set_defaults(run=guarded("compare", run_compare))

    w = fleet.add_parser(
        "prepare-spark",
        help="make the class archive that local Spark sessions start from (once, ~30 s)",
        description="Runs a small training session on Spark local[2] whose JVM writes a "
        "class-data archive to the user's cache; later local sessions map it and start about "
        "3 s sooner. Made once per Java runtime and Spark version.",
    )
    w.add_argument("--force", action="store_true", help="make it again even if one is ready")
    w.set_defaults(run=guarded("prepare-spark", run_prepare_spark))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", metavar="DATASET", help="a dataset written by fleet ingest")
    p.add_argument("--engine", choices=ENGINES, default="duckdb")
    p.add_argument("--spark-master", metavar="URL", help="Spark master URL (default local[*])")
    p.add_argument("--bucket", type=_bucket, default=60, metavar="SECONDS", help="bucket size (60)")
    p.add_argument(
        "--hosts", action="append", metavar="GLOB", type=host_pattern,
        help="only hosts whose name matches this shell pattern, e.g. 'web-*' (case-sensitive; "
        "repeat for several: a host matching any of them)",
    )  # fmt: skip
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def _no_command(args: argparse.Namespace) -> int:
    return _fail(
        "",
        f"give a command: {', '.join(COMMANDS)} "
        "(osquery-inspector fleet COMMAND --help tells more)",
    )


def _fail(command: str, message: str) -> int:
    prog = f"osquery-inspector fleet {command}".rstrip()
    print(f"{prog}: {message}", file=sys.stderr)
    return 2


def _warn(command: str, message: str) -> None:
    print(f"osquery-inspector fleet {command}: {message}", file=sys.stderr)


def _progress(args: argparse.Namespace) -> Progress | None:
    return None if args.quiet or not sys.stderr.isatty() else Progress(stderr_progress)


def _hosts(command: str, args: argparse.Namespace) -> tuple[str, ...] | None:
    """The ``--hosts`` patterns; a warning on stderr for each that matches no host."""
    from inspector.fleet.scan import dataset_hosts

    patterns = host_patterns(args.hosts)
    if patterns and "://" not in args.dataset:
        for warning in unmatched_hosts_warnings(patterns, dataset_hosts(args.dataset)):
            _warn(command, warning)
    return patterns


def _check_dataset(command: str, dataset: str) -> int | None:
    from inspector.fleet.layout import dataset_problem

    if "://" not in dataset and (problem := dataset_problem(dataset)) is not None:
        return _fail(command, problem)
    return None


def write_table(table: pa.Table, path: str, metadata: dict[str, Any]) -> None:
    """A Parquet file with the run's provenance, written under a temporary name first (removed
    if the write fails)."""
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(metadata, default=json_default).encode()
    tmp = path + ".tmp"
    try:
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _write_output(
    command: str, option: str, table: pa.Table, path: str, args: argparse.Namespace
) -> int | None:
    """Write an output file; on failure (the disk filled since the check, …) the exit status."""
    try:
        write_table(table, path, _provenance(args))
    except OSError as exc:
        return _fail(command, f"{option}: {write_error(path, exc)}")
    return None


def run_ingest(args: argparse.Namespace) -> int:
    """``fleet ingest``: what is new under the sources into the dataset ``--to``."""
    from inspector.cli.fleet_ingest_report import ingest_document, ingest_text
    from inspector.fleet.ingest import ingest
    from inspector.fleet.spark_ingest import spark_runner
    from inspector.model import LoadOptions

    if problem := dataset_folder_problem(args.to):
        return _fail("ingest", problem)
    missing = [s for s in args.sources if not os.path.lexists(s)]
    if len(missing) == len(args.sources):
        listed = ", ".join(missing)
        return _fail("ingest", f"no such file or folder: {listed} (the dataset was not touched)")
    runner = None
    if args.engine == "spark":
        try:
            runner = spark_runner(args.spark_master or "local[*]")
        except RuntimeError as exc:
            return _fail("ingest", str(exc))
    new_dataset = not os.path.lexists(args.to)
    try:
        result = ingest(
            args.sources, args.to, args.engine, LoadOptions(tz=args.tz, year=args.year),
            _progress(args), runner,
        )  # fmt: skip
    except ValueError as exc:  # a dataset inside an input, of another format, …
        return _fail("ingest", str(exc))
    rows = result.manifest.to_pylist()
    if args.json:
        json.dump(ingest_document(args, result), sys.stdout, indent=2, default=json_default)
        print()
    else:
        print(ingest_text(args.to, result, all_bad_lines=args.all_bad_lines))
    for path, reason in result.problems:
        _warn("ingest", f"warning: {path}: {reason}; not ingested")
    for clock in result.clocks.to_pylist():
        if clock["basis"] == "assumed":
            _warn("ingest", f"warning: {status_clock_line(clock)}")
    for change in (*result.clock_changes, *result.late_publishers):
        _warn("ingest", f"warning: {change}")
    if not any(r["status"] == "loaded" for r in rows) and not result.skipped_known:
        # Nothing in an osquery format (as scan: exit 2); a dataset this run made goes again.
        if new_dataset:
            shutil.rmtree(args.to, ignore_errors=True)
        return _fail("ingest", "no readable input")
    return 0


def run_scan(args: argparse.Namespace) -> int:
    """``fleet scan``: the findings of every host of a dataset (in scope)."""
    from inspector.fleet.accounting import ingest_accounting
    from inspector.fleet.scan import fleet_scan, scope_of

    if (code := _check_dataset("scan", args.dataset)) is not None:
        return code
    if problem := output_file_problem("--findings", args.findings):
        return _fail("scan", problem)
    if problem := range_problem(args.since, args.until):
        return _fail("scan", problem)
    patterns = _hosts("scan", args)
    scope = scope_of(args.dataset, patterns, args.since, args.until)
    _note_ingests(args)
    try:
        result = fleet_scan(
            args.dataset, args.engine, BurstOptions(bucket_seconds=args.bucket), scope,
            args.spark_master, _progress(args),
        )  # fmt: skip
    except RuntimeError as exc:
        return _fail("scan", str(exc))
    findings = result.findings
    if (
        args.findings
        and (code := _write_output("scan", "--findings", findings, args.findings, args)) is not None
    ):
        return code
    left_out = ingest_accounting(args.dataset, args.ingests_read).note()
    if args.json:
        document = {
            "engine": result.engine,
            "hosts": result.hosts.to_pylist(),
            "findings": findings.to_pylist(),
        }
        json.dump(document, sys.stdout, indent=2, default=json_default)
        print()
        if left_out:  # the document's shape is fixed: said beside it
            print(f"osquery-inspector fleet scan: {left_out}", file=sys.stderr)
    else:
        print(scan_text(result))
        if left_out:
            print(left_out)
    return 1 if args.fail_on_findings and findings.num_rows else 0


def _provenance(args: argparse.Namespace) -> dict[str, Any]:
    """The output's metadata: what wrote it and when, from which dataset state (the finished
    ingest runs it read; a later ingest adds one) and with which parameters."""
    return {
        "app": {"name": "osquery-inspector", "version": __version__},
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "dataset": os.path.abspath(args.dataset) if "://" not in args.dataset else args.dataset,
        "ingests": args.ingests_read,
        "parameters": {k: v for k, v in vars(args).items() if k not in ("run", "ingests_read")},
    }


def _note_ingests(args: argparse.Namespace) -> None:
    """Record the dataset's finished ingest runs as the work starts (what it will read) for the
    output's provenance (None for a URL dataset: not listed here)."""
    from inspector.fleet.layout import finished_ingests

    remote = "://" in args.dataset
    args.ingests_read = None if remote else sorted(finished_ingests(args.dataset))


def scan_text(result: FleetScan) -> str:
    """A human reading of a fleet scan."""
    hosts = result.hosts.to_pylist()
    findings = result.findings.to_pylist()
    dup = [h for h in hosts if h["findings"]]
    out = [
        f"{plural(len(hosts), 'host')}, {plural(sum(h['records'] for h in hosts), 'record')} "
        f"({result.engine}); {plural(len(findings), 'finding')} on {plural(len(dup), 'host')}"
    ]
    for f in findings[:20]:
        what = f["subscriber"] or f["query"] or "?"
        if f["source"] == "osquery_db":
            what += " (osquery.db)"
        factor = f" ×{f['duplicate_factor']:.2f}" if f["duplicate_factor"] is not None else ""
        extra = f", {plural(f['extra_rows'], 'extra row')}" if f["extra_rows"] is not None else ""
        cause = f" after {f['marker']}" if f["marker"] else ""
        out.append(
            f"  {f['host']}: {f['kind']} in {what}{factor}{extra} from {json_default(f['start'])}{cause}"
        )
    if len(findings) > 20:
        out.append(f"  … and {len(findings) - 20:,} more (--json or --findings for all)")
    return "\n".join(out)


def run_compare(args: argparse.Namespace) -> int:
    """``fleet compare``: two time ranges of a dataset, per host × subscriber."""
    from inspector.fleet.compare import compare_text, fleet_compare

    if (code := _check_dataset("compare", args.dataset)) is not None:
        return code
    if problem := output_file_problem("--out", args.out):
        return _fail("compare", problem)
    patterns = _hosts("compare", args)
    if (overlap := ranges_overlap(args.before, args.after)) is not None:
        _warn("compare", f"warning: {overlap}")
    _note_ingests(args)
    try:
        result = fleet_compare(
            args.dataset, args.before, args.after, args.engine,
            BurstOptions(bucket_seconds=args.bucket), patterns, args.spark_master,
            _progress(args),
        )  # fmt: skip
    except (RuntimeError, ValueError) as exc:
        if isinstance(exc, pa.ArrowException):  # a dataset file Arrow cannot read: see guarded
            raise
        return _fail("compare", str(exc))
    if (
        args.out
        and (code := _write_output("compare", "--out", result.pairs, args.out, args)) is not None
    ):
        return code
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2, default=json_default)
        print()
    else:
        print(compare_text(result))
    return 0


def run_prepare_spark(args: argparse.Namespace) -> int:
    """``fleet prepare-spark``: the class archive local Spark sessions start from."""
    from inspector.fleet import class_archive

    if not args.force and (ready := class_archive.ready_archive()):
        print(f"Spark's class archive is ready: {ready}")
        return 0
    print("preparing Spark's class archive (a training session, about 30 s) …", file=sys.stderr)
    try:
        made = class_archive.prepare(force=args.force)
    except RuntimeError as exc:
        return _fail("prepare-spark", str(exc))
    print(
        f"Spark's class archive: {made.path} ({made.bytes / 1e6:,.0f} MB, made in {made.seconds:.0f} s)"
    )
    return 0
