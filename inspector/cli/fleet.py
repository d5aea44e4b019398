"""``osquery-inspector fleet ingest|scan|compare|prepare-spark``: the analysis over a fleet's
Parquet dataset."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from inspector import __version__
from inspector.analysis.burst_rules import BurstOptions
from inspector.cli.options import add_time_options
from inspector.cli.progress_line import stderr_progress
from inspector.cli.summary import json_default
from inspector.export import METADATA_KEY
from inspector.progress import Progress

if TYPE_CHECKING:
    from inspector.fleet.scan import FleetScan

ENGINES = ("duckdb", "spark")


def parse_time(text: str) -> int:
    """``--since``/``--until``/``--before`` ends: ISO 8601 (a date, a time with or without a
    zone — without one it is UTC) or seconds since the epoch; µs since the epoch."""
    text = text.strip()
    try:
        return int(float(text) * 1_000_000)
    except ValueError:
        pass
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (try 2026-11-02T06:00:00Z or seconds since 1970)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return int(when.timestamp() * 1_000_000)


def parse_range(text: str) -> tuple[int, int]:
    """``T1..T2`` → (µs, µs) with T1 < T2."""
    lo, sep, hi = text.partition("..")
    if not sep:
        raise argparse.ArgumentTypeError(f"not a range: {text!r} (write T1..T2)")
    a, b = parse_time(lo), parse_time(hi)
    if a >= b:
        raise argparse.ArgumentTypeError(f"the range {text!r} ends before it begins")
    return a, b


def _bucket(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 86400:
        raise argparse.ArgumentTypeError("--bucket must be between 1 and 86400 seconds")
    return value


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "fleet",
        help="ingest many hosts into a Parquet dataset and analyse it on DuckDB or Spark",
        description="The duplication analysis over thousands of hosts (see README: Fleet).",
    )
    fleet = p.add_subparsers(dest="fleet_command", required=True)

    i = fleet.add_parser("ingest", help="add host folders and log-pipeline objects to a dataset")
    i.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="host folders, pipeline roots, files"
    )
    i.add_argument("--to", required=True, metavar="DATASET", help="the dataset folder")
    i.add_argument("--engine", choices=ENGINES, default="duckdb")
    i.add_argument("--spark-master", metavar="URL", help="Spark master URL (default local[*])")
    i.add_argument("--json", action="store_true", help="print the ingest report as JSON")
    i.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_time_options(i)
    i.set_defaults(run=run_ingest)

    s = fleet.add_parser("scan", help="findings of every host of a dataset")
    _common(s)
    s.add_argument("--since", type=parse_time, metavar="T", help="only records from T on")
    s.add_argument("--until", type=parse_time, metavar="T", help="only records before T")
    s.add_argument("--findings", metavar="FILE.parquet", help="write the findings to Parquet")
    s.add_argument("--fail-on-findings", action="store_true", help="exit 1 when there are findings")
    s.set_defaults(run=run_scan)

    c = fleet.add_parser("compare", help="per host × subscriber: a time range before and after")
    _common(c)
    c.add_argument("--before", required=True, type=parse_range, metavar="T1..T2")
    c.add_argument("--after", required=True, type=parse_range, metavar="T3..T4")
    c.add_argument("--out", metavar="FILE.parquet", help="write one row per pair to Parquet")
    c.set_defaults(run=run_compare)

    w = fleet.add_parser(
        "prepare-spark",
        help="make the class archive that local Spark sessions start from (once, ~30 s)",
        description="Runs a small training session on Spark local[2] whose JVM writes a "
        "class-data archive to the user's cache; later local sessions map it and start about "
        "3 s sooner. Made once per Java runtime and Spark version.",
    )
    w.add_argument("--force", action="store_true", help="make it again even if one is ready")
    w.set_defaults(run=run_prepare_spark)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("dataset", metavar="DATASET", help="a dataset written by fleet ingest")
    p.add_argument("--engine", choices=ENGINES, default="duckdb")
    p.add_argument("--spark-master", metavar="URL", help="Spark master URL (default local[*])")
    p.add_argument("--bucket", type=_bucket, default=60, metavar="SECONDS", help="bucket size (60)")
    p.add_argument("--hosts", metavar="GLOB", help="only hosts whose name matches, e.g. 'web-*'")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def _fail(command: str, message: str) -> int:
    print(f"osquery-inspector fleet {command}: {message}", file=sys.stderr)
    return 2


def _progress(args: argparse.Namespace) -> Progress | None:
    return None if args.quiet or not sys.stderr.isatty() else Progress(stderr_progress)


def writable(path: str) -> str | None:
    """Why an output file cannot be written there, or None."""
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        return f"{path} is a folder"
    if not os.path.isdir(folder):
        return f"no such folder: {folder}"
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        return f"cannot write {path} (permission denied)"
    return None


def _check_dataset(command: str, dataset: str) -> int | None:
    from inspector.fleet.layout import is_dataset

    if "://" not in dataset and not is_dataset(dataset):
        return _fail(command, f"{dataset} is not a fleet dataset (write one with fleet ingest)")
    return None


def write_table(table: pa.Table, path: str, metadata: dict[str, Any]) -> None:
    """A Parquet file with the run's provenance, written under a temporary name first."""
    meta = dict(table.schema.metadata or {})
    meta[METADATA_KEY] = json.dumps(metadata, default=json_default).encode()
    tmp = path + ".tmp"
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    os.replace(tmp, path)


def run_ingest(args: argparse.Namespace) -> int:
    from inspector.fleet.ingest import ingest
    from inspector.fleet.spark_ingest import spark_runner
    from inspector.model import LoadOptions

    if os.path.exists(args.to) and not os.path.isdir(args.to):
        return _fail("ingest", f"{args.to} is a file, not a dataset folder")
    parent = os.path.dirname(os.path.abspath(args.to))
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK):
        return _fail(
            "ingest", f"cannot write the dataset {args.to} (no such folder or no permission)"
        )
    runner = None
    if args.engine == "spark":
        try:
            runner = spark_runner(args.spark_master or "local[*]")
        except RuntimeError as exc:
            return _fail("ingest", str(exc))
    result = ingest(
        args.sources, args.to, args.engine, LoadOptions(tz=args.tz, year=args.year),
        _progress(args), runner,
    )  # fmt: skip
    rows = result.manifest.to_pylist()
    document = {
        "dataset": args.to,
        "ingest": result.ingest,
        "engine": args.engine,
        "files": len(rows),
        "lines": result.lines,
        "lines_rejected": result.rejected,
        "already_ingested": result.skipped_known,
        "changed": result.changed,
        "problems": [{"path": p, "reason": r} for p, r in result.problems],
        "sources": rows,
    }
    if args.json:
        json.dump(document, sys.stdout, indent=2, default=json_default)
        print()
    else:
        loaded = sum(1 for r in rows if r["status"] == "loaded")
        print(
            f"{args.to}: {len(rows):,} new files ({loaded:,} loaded), {result.lines:,} lines, "
            f"{result.rejected:,} rejected; {result.skipped_known:,} already in the dataset"
        )
        for r in rows:
            if r["status"] != "loaded" or r["lines_rejected"]:
                why = r["reason"] or f"{r['lines_rejected']} lines rejected"
                print(f"  {r['path']}: {r['status']}: {why}")
        for path in result.changed:
            print(f"  {path}: changed since it was ingested; not read again (see README: Fleet)")
        for path, reason in result.problems:
            print(f"  {path}: {reason}")
    if not rows and not result.skipped_known:
        return _fail("ingest", "no readable input")
    return 0


def run_scan(args: argparse.Namespace) -> int:
    from inspector.fleet.scan import fleet_scan, scope_of

    if (code := _check_dataset("scan", args.dataset)) is not None:
        return code
    if args.findings and (why := writable(args.findings)):
        return _fail("scan", why)
    scope = scope_of(args.dataset, args.hosts, args.since, args.until)
    try:
        result = fleet_scan(
            args.dataset, args.engine, BurstOptions(bucket_seconds=args.bucket), scope,
            args.spark_master, _progress(args),
        )  # fmt: skip
    except RuntimeError as exc:
        return _fail("scan", str(exc))
    findings = result.findings
    if args.findings:
        write_table(findings, args.findings, _provenance(args))
    if args.json:
        document = {
            "engine": result.engine,
            "hosts": result.hosts.to_pylist(),
            "findings": findings.to_pylist(),
        }
        json.dump(document, sys.stdout, indent=2, default=json_default)
        print()
    else:
        print(scan_text(result))
    return 1 if args.fail_on_findings and findings.num_rows else 0


def _provenance(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "app": {"name": "osquery-inspector", "version": __version__},
        "dataset": os.path.abspath(args.dataset) if "://" not in args.dataset else args.dataset,
        "parameters": {k: v for k, v in vars(args).items() if k not in ("run",)},
    }


def scan_text(result: FleetScan) -> str:
    """A human reading of a fleet scan."""
    hosts = result.hosts.to_pylist()
    findings = result.findings.to_pylist()
    dup = [h for h in hosts if h["findings"]]
    out = [
        f"{len(hosts):,} hosts, {sum(h['records'] for h in hosts):,} records "
        f"({result.engine}); {len(findings):,} findings on {len(dup):,} hosts"
    ]
    for f in findings[:20]:
        what = f["subscriber"] or f["query"] or "?"
        if f["source"] == "osquery_db":
            what += " (osquery.db)"
        factor = f" ×{f['duplicate_factor']:.2f}" if f["duplicate_factor"] is not None else ""
        extra = f", {f['extra_rows']:,} extra rows" if f["extra_rows"] is not None else ""
        cause = f" after {f['marker']}" if f["marker"] else ""
        out.append(
            f"  {f['host']}: {f['kind']} in {what}{factor}{extra} from {json_default(f['start'])}{cause}"
        )
    if len(findings) > 20:
        out.append(f"  … and {len(findings) - 20:,} more (--json or --findings for all)")
    return "\n".join(out)


def run_compare(args: argparse.Namespace) -> int:
    from inspector.fleet.compare import compare_text, fleet_compare

    if (code := _check_dataset("compare", args.dataset)) is not None:
        return code
    if args.out and (why := writable(args.out)):
        return _fail("compare", why)
    try:
        result = fleet_compare(
            args.dataset, args.before, args.after, args.engine,
            BurstOptions(bucket_seconds=args.bucket), args.hosts, args.spark_master,
            _progress(args),
        )  # fmt: skip
    except (RuntimeError, ValueError) as exc:
        return _fail("compare", str(exc))
    if args.out:
        write_table(result.pairs, args.out, _provenance(args))
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2, default=json_default)
        print()
    else:
        print(compare_text(result))
    return 0


def run_prepare_spark(args: argparse.Namespace) -> int:
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
