"""``osquery-inspector cache [--clear] [--limit SIZE]``: where the read cache is and what it holds."""

from __future__ import annotations

import argparse
import sys

from inspector.loading.read_cache import ReadCache


def _size(text: str) -> int:
    from inspector.units import parse_size

    try:
        size = parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if size < 10**6:
        raise argparse.ArgumentTypeError("at least 1MB")
    return size


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "cache",
        help="show, limit or clear the read cache",
        description=(
            "Loaded inputs are kept as Arrow files in the user's cache directory so that "
            "reopening them is instant; a changed file is read again, a grown log only from "
            "where it ended. Never written beside the inputs."
        ),
    )
    p.add_argument("--clear", action="store_true", help="remove every cached read")
    p.add_argument(
        "--limit", type=_size, metavar="SIZE", help="keep at most SIZE (e.g. 10GB); default 5GB"
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    cache = ReadCache()
    try:
        if args.limit is not None:
            cache.set_limit(args.limit)
        if args.clear:
            freed = cache.clear()
            print(f"cleared {freed / 1e6:,.1f} MB from {cache.directory}")
    except OSError as exc:
        print(f"osquery-inspector cache: {cache.directory}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    entries, size = cache.usage()
    print(f"read cache: {cache.directory}")
    noun = "input" if entries == 1 else "inputs"
    print(f"  {entries} {noun}, {size / 1e6:,.1f} MB of {cache.limit / 1e9:,.1f} GB allowed")
    return 0
