"""Command-line entry for the headless subcommands.

``ui.entry.main`` (the ``osquery-inspector`` console script) sends ``scan``, ``compare``,
``demo``, ``cache``, ``db`` and ``watch`` here, so that the command line never loads Qt.
"""

from __future__ import annotations

import argparse
import sys

from inspector import __version__
from inspector.cli import cache, compare, db, demo, fleet, scan, watch

SUBCOMMANDS = ("scan", "compare", "demo", "cache", "db", "watch", "fleet")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="osquery-inspector",
        description="Inspect what an osquery agent left on disk: logs, configs, databases.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    scan.add_parser(sub)
    compare.add_parser(sub)
    demo.add_parser(sub)
    cache.add_parser(sub)
    db.add_parser(sub)
    watch.add_parser(sub)
    fleet.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a headless subcommand; return the exit status (0 done, 1 findings, 2 bad usage/input)."""
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return int(args.run(args))
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
