"""``osquery-inspector demo OUT_DIR``: write a realistic osquery run with its ground truth."""

from __future__ import annotations

import argparse
import os
import sys
import time

from inspector.cli.options import time_zone
from inspector.demo.scenarios import DEFAULT_SCENARIO, SCENARIOS
from inspector.demo.writer import write_run
from inspector.output_paths import output_problem, write_error
from inspector.units import parse_size

MAX_SIZE = 8 * 10**9


def _size(text: str) -> int:
    try:
        size = parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if size > MAX_SIZE:
        raise argparse.ArgumentTypeError(
            f"at most {MAX_SIZE // 10**9} GB (the run is built in memory)"
        )
    return size


def _seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if seed < 0:
        raise argparse.ArgumentTypeError("the seed must be 0 or more")
    return seed


def _hours(text: str) -> float:
    try:
        hours = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not 0.1 <= hours <= 24 * 31:
        raise argparse.ArgumentTypeError("hours must be between 0.1 and 744")
    return hours


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="write a demo run (what an osquery agent leaves on disk) with truth.json",
        description="Write a deterministic demo run into OUT_DIR: per host osquery.conf, rotated "
        "results logs, a snapshots log, a glog status log, and OUT_DIR/truth.json with every "
        "injected fault. Scenarios: "
        + "; ".join(f"{s.name}: {s.description}" for s in SCENARIOS.values()),
    )
    p.add_argument("out_dir", metavar="OUT_DIR")
    p.add_argument("--scenario", choices=sorted(SCENARIOS), default=DEFAULT_SCENARIO)
    p.add_argument("--seed", type=_seed, default=1, help="random seed (same seed, same run)")
    p.add_argument("--hours", type=_hours, default=6.0, help="duration of the run (default 6)")
    p.add_argument(
        "--size", type=_size, default=parse_size("40MB"), help="results log size, e.g. 40MB, 1GB"
    )
    p.add_argument(
        "--tz",
        type=time_zone,
        default="UTC",
        metavar="ZONE",
        help="the demo host's time zone: its glog status log is written in it (default UTC)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if os.path.exists(args.out_dir) and not os.path.isdir(args.out_dir):
        print(f"osquery-inspector demo: {args.out_dir} exists and is not a folder", file=sys.stderr)
        return 2
    try:
        os.makedirs(args.out_dir, exist_ok=True)
    except OSError as exc:
        print(
            f"osquery-inspector demo: cannot make the folder {args.out_dir}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 2
    problem = output_problem(os.path.join(args.out_dir, "truth.json"))
    if problem is not None:
        print(f"osquery-inspector demo: {problem}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        truth = write_run(
            args.out_dir, args.scenario, seed=args.seed, hours=args.hours, size=args.size,
            time_zone=args.tz,
        )  # fmt: skip
    except OSError as exc:
        target = exc.filename or args.out_dir
        print(f"osquery-inspector demo: {write_error(str(target), exc)}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - started
    total = 0
    for root, _, files in os.walk(args.out_dir):
        total += sum(
            os.path.getsize(os.path.join(root, f))
            for f in files
            if not os.path.islink(os.path.join(root, f))
        )
    print(
        f"wrote the {args.scenario} run into {args.out_dir} in {seconds:.1f} s ({total / 1e6:,.1f} MB on disk)"
    )
    for host in truth["hosts"]:
        print(
            f"  host {host['host']} ({host['platform']}): {os.path.join(args.out_dir, host['dir'])}"
        )
    print(f"  {truth['result_lines']:,} result lines in {len(truth['results_files'])} files, "
          f"{len(truth['faults'])} injected faults, {len(truth['rebaselines'])} re-baselines")  # fmt: skip
    print(f"  ground truth: {os.path.join(args.out_dir, 'truth.json')}")
    sys.stdout.flush()
    return 0
