"""``python -m benchmarks [--quick] [--only NAME ...] [--write FILE]``: figures against baselines.

Every figure is a median of several runs with min and max, beside a baseline measured in the same
run: this machine's absolute timings drift by ±30 % from run to run, ratios much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from benchmarks import analysis_bench, gui_bench
from benchmarks.harness import machine, markdown

# name → (records at full size, in quick mode; repeats at full size, in quick mode)
BENCHMARKS = {"analysis": (10_000_000, 200_000, 5, 2), "gui": (10_000_000, 200_000, 5, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="small inputs (under a minute), as CI runs it"
    )
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument(
        "--rows", type=int, help="records for the benchmarks (default 10 M; quick: 200,000)"
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
        rows = args.rows or (quick if args.quick else full)
        print(f"running {name} …", file=sys.stderr, flush=True)
        if rows not in tables:
            tables.clear()
            tables[rows] = analysis_bench.tiled_records(rows)
        runner = {"analysis": analysis_bench.run, "gui": gui_bench.run}[name]
        sections.append(runner(tables[rows], repeat))
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


if __name__ == "__main__":
    sys.exit(main())
