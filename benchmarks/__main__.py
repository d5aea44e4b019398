"""``python -m benchmarks [--quick] [--only NAME ...] [--write FILE]``: figures against baselines.

Every figure is a median of several runs with min and max, beside a baseline measured in the same
run: this machine's absolute timings drift by ±30 % from run to run, ratios much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from benchmarks import (
    analysis_bench,
    bundle_bench,
    fleet_bench,
    gui_bench,
    ingest_bench,
    live_bench,
    rocksdb_bench,
    window_bench,
)
from benchmarks.harness import machine, markdown

# name → (records at full size, in quick mode; repeats at full size, in quick mode); for ingest
# the size is the results log's bytes, for rocksdb the events buffered in the database.
BENCHMARKS = {
    "analysis": (10_000_000, 200_000, 5, 2),
    "gui": (10_000_000, 200_000, 5, 2),
    "ingest": (1_000_000_000, 20_000_000, 3, 1),
    "rocksdb": (1_000_000, 20_000, 3, 1),
    "live": (0, 0, 1, 1),  # sizes are the benchmark's own (quick: 6 s and 200 schedules)
    # fleet: records of the 40-host fleet (Spark runs at full size only: its JVM start is slow)
    "fleet": (4_000_000, 40_000, 3, 1),
    # bundles (issue 19): sizes are the benchmark's own (a 50 MB host folder; 1,000 – 100,000
    # small files, quick: 1,000; a 1 GB rotated set, quick: 20 MB); repeats of the 50 MB scan
    "bundles": (0, 0, 3, 1),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="small inputs (under a minute), as CI runs it"
    )
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument(
        "--rows", type=int, help="records for analysis and gui (default 10 M; quick: 200,000)"
    )
    parser.add_argument(
        "--log-size",
        type=_size,
        help="results log for the ingest benchmark, e.g. 200MB, 1GB (default 1GB; quick: 20MB)",
    )
    parser.add_argument(
        "--db-events",
        type=int,
        help="events buffered in the rocksdb benchmark's database (default 1 M; quick: 20,000)",
    )
    parser.add_argument(
        "--soak",
        type=float,
        metavar="MINUTES",
        help="live: also follow an agent at 200 lines/s this long and sample memory (not in CI)",
    )
    parser.add_argument(
        "--write", metavar="FILE", help="also write the report to FILE (e.g. BENCHMARKS.md)"
    )
    args = parser.parse_args(argv)
    sections = []
    tables: dict[int, object] = {}  # one tiled records table per size, shared by the benchmarks
    for name in args.only or sorted(BENCHMARKS):
        full, quick, rep_full, rep_quick = BENCHMARKS[name]
        repeat = rep_quick if args.quick else rep_full
        size = quick if args.quick else full
        print(f"running {name} …", file=sys.stderr, flush=True)
        if name == "ingest":
            sections.append(ingest_bench.run(args.log_size or size, repeat))
            continue
        if name == "rocksdb":
            sections.append(rocksdb_bench.run(args.db_events or size, repeat))
            continue
        if name == "live":
            soak = args.soak * 60 if args.soak else None
            sections.append(live_bench.run(args.quick, soak))
            continue
        if name == "bundles":
            sections.extend(bundle_bench.run(args.quick, repeat))
            continue
        if name == "fleet":
            sections.extend(fleet_bench.run(size, repeat, with_spark=not args.quick))
            continue
        rows = args.rows or size
        if rows not in tables:
            tables.clear()
            tables[rows] = analysis_bench.tiled_records(rows)
        runner = {"analysis": analysis_bench.run, "gui": gui_bench.run}[name]
        sections.append(runner(tables[rows], repeat))
        if name == "gui":  # the window as a whole: freezes, and the open time beside lnav
            sections.append(window_bench.run(args.quick, repeat))
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        "# Benchmarks\n\n"
        f"Machine: {machine()}.  \nRun: {when}{' (quick mode)' if args.quick else ''}; "
        "figures are median (min – max) of the runs shown."
    )
    report = markdown(sections, header)
    print(report)
    if args.write:
        with open(args.write, "w", encoding="utf-8") as f:
            f.write(report + "\n")
    return 0


def _size(text: str) -> int:
    from inspector.units import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
