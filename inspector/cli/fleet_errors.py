"""Failures of a ``fleet`` command: one clear line on stderr, exit status 2 (never 1, which says
"findings found" with ``--fail-on-findings``), and the traceback in the app's log file."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable

from inspector.logs import where_logged

Run = Callable[[argparse.Namespace], int]

# A Parquet file an engine could not read: DuckDB names it in quotes, Arrow as an "input
# source", Spark after "file" (with a file: scheme).
_PARQUET_PATH = re.compile(r"""(?:['"]|file:?\s*)(?P<path>[^'"\s]+\.parquet)""")
_CORRUPT_WORDS = (
    "magic bytes",
    "not a parquet file",
    "corrupt",
    "could not read footer",
    "cannot_read_file_footer",
    "invalid parquet",
    "unexpected end of stream",
    "couldn't deserialize thrift",
)


def failure_message(exc: BaseException) -> str:
    """A one-line reason for ``exc``: a dataset file that is not readable Parquet is named as
    such; anything else is its type and first line (an engine's SQL is left to the log)."""
    text = str(exc)
    lowered = text.lower()
    match = _PARQUET_PATH.search(text)
    if match and any(word in lowered for word in _CORRUPT_WORDS):
        path = re.sub(r"^file:(//)?", "", match.group("path"))
        return (
            f"the dataset file {path} is truncated or corrupt (not readable "
            "Parquet); ingest the sources into a fresh dataset, or restore that file"
        )
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    name = type(exc).__name__
    return f"unexpected error ({name}: {first})" if first else f"unexpected error ({name})"


def guarded(command: str, run: Run) -> Run:
    """``run`` whose unexpected exceptions become exit status 2 with a message, the traceback
    logged (``inspector.logs``); a closed output pipe and Ctrl+C are left to the caller."""

    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except BrokenPipeError:
            raise
        except Exception as exc:
            logging.getLogger("inspector.cli").exception("fleet %s failed", command)
            print(
                f"osquery-inspector fleet {command}: {failure_message(exc)}; {where_logged()}",
                file=sys.stderr,
            )
            return 2

    wrapper.__name__ = getattr(run, "__name__", "run")
    wrapper.__doc__ = run.__doc__
    return wrapper
