"""Command-line entry for the headless subcommands.

``ui.entry.main`` (the ``osquery-inspector`` console script) sends ``scan``, ``compare``,
``demo``, ``cache``, ``db`` and ``watch`` here, so that the command line never loads Qt.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import logging
import sys

from inspector import __version__
from inspector.deferred_pandas import defer_pandas
from inspector.logs import configure_logging, where_logged

SUBCOMMANDS = ("scan", "compare", "demo", "cache", "db", "watch", "fleet")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every subcommand, or (``only``) just that one — a command
    imports its own modules alone (``scan`` need not load the live follower or the fleet)."""
    parser = argparse.ArgumentParser(
        prog="osquery-inspector",
        description="Inspect what an osquery agent left on disk: logs, configs, databases.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in SUBCOMMANDS if only is None else (only,):
        importlib.import_module(f"inspector.cli.{name}").add_parser(sub)
    return parser


def not_a_command(word: str) -> str:
    """The message for a first argument that is neither a command nor an existing path."""
    text = (
        f"osquery-inspector: {word!r} is neither a command ({', '.join(SUBCOMMANDS)}) "
        "nor an existing file or folder"
    )
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
    if close:
        text += f"; did you mean '{close[0]}'?"
    return (
        text + "\nRun 'osquery-inspector --help' (the window) or 'osquery-inspector scan --help'."
    )


def main(argv: list[str] | None = None) -> int:
    """Run a headless subcommand; return the exit status (0 done, 1 findings, 2 bad usage/input)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and not argv[0].startswith("-") and argv[0] not in SUBCOMMANDS:
        print(not_a_command(argv[0]), file=sys.stderr)  # the entry sends any non-path here
        return 2
    defer_pandas()
    parser = build_parser(argv[0] if argv and argv[0] in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    configure_logging(args.command)
    try:
        return int(args.run(args))
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): not an error of ours.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback in the log file
        logging.getLogger("inspector.cli").exception("unexpected error in %s", args.command)
        print(
            f"osquery-inspector {args.command}: unexpected error ({type(exc).__name__}: {exc}); "
            f"{where_logged()}",
            file=sys.stderr,
        )
        return 2  # never 1: that says "findings" to a script using --fail-on-findings


if __name__ == "__main__":
    sys.exit(main())
