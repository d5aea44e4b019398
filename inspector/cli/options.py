"""Command-line options shared by the desktop app and ``scan``."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from inspector.timezones import check_timezone

if TYPE_CHECKING:
    from inspector.loading.read_cache import ReadCache


def glog_year(text: str) -> int:
    """``--year``: a year osquery could have written (1970–2200)."""
    try:
        year = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a year: {text!r}") from None
    if not 1970 <= year <= 2200:
        raise argparse.ArgumentTypeError(f"year {year} is outside 1970–2200")
    return year


def time_zone(text: str) -> str:
    """``--tz``: an IANA time zone name."""
    try:
        return check_timezone(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_time_options(parser: argparse.ArgumentParser) -> None:
    """``--tz`` and ``--year``: where and when glog's year-less local times are."""
    parser.add_argument(
        "--tz",
        type=time_zone,
        metavar="ZONE",
        help="the agent's time zone, in which its glog and syslog lines are written (default: "
        "inferred from the run, else UTC — never this machine's)",
    )
    parser.add_argument(
        "--year",
        type=glog_year,
        metavar="YEAR",
        help="year of glog lines when the file does not say",
    )


def add_cache_option(parser: argparse.ArgumentParser) -> None:
    """``--no-cache``: read every input afresh and leave the read cache alone."""
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read every input afresh (by default unchanged files come from the read cache)",
    )


def read_cache(args: argparse.Namespace) -> ReadCache | None:
    """The read cache the options ask for (None with ``--no-cache``)."""
    if getattr(args, "no_cache", False):
        return None
    from inspector.loading.read_cache import ReadCache

    return ReadCache()
