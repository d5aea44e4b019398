"""``python -m benchmarks [--quick] [--only NAME ...] [--write FILE]``: figures against baselines.

Every figure is a median of several runs with min and max, beside a baseline measured in the same
run: this machine's absolute timings drift by ±30 % from run to run, ratios much less.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from benchmarks import analysis_bench
from benchmarks.harness import machine, markdown

# name → (full size, quick size, repeats full, repeats quick)
BENCHMARKS = {"analysis": (10_000_000, 200_000, 5, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="small inputs (under a minute), as CI runs it"
    )
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument(
        "--rows", type=int, help="records for the analysis benchmark (default 10 M)"
    )
    parser.add_argument(
        "--write", metavar="FILE", help="also write the report to FILE (e.g. BENCHMARKS.md)"
    )
    args = parser.parse_args(argv)
    sections = []
    for name in args.only or sorted(BENCHMARKS):
        full, quick, rep_full, rep_quick = BENCHMARKS[name]
        repeat = rep_quick if args.quick else rep_full
        print(f"running {name} …", file=sys.stderr, flush=True)
        if name == "analysis":
            sections.append(
                analysis_bench.run(args.rows or (quick if args.quick else full), repeat)
            )
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
