"""The ``fleet`` commands' option values: times and ranges, host patterns, output paths — each
checked before any work is done, with a message that names the option and the value."""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import math
import os
import re
from collections.abc import Sequence

from inspector.output_paths import output_problem

TIME_FORMS = (
    "ISO 8601 — a date (2026-11-02) or a date and time (2026-11-02T06:00:00Z, "
    "2026-11-02 06:00+02:00; UTC unless it names a zone) — or seconds since 1970 "
    "(1793599200 is 2026-11-02T06:00:00Z; a year or a date without dashes, 2017 or 20171207, "
    "is refused as ambiguous)"
)
TIME_HINT = "an ISO 8601 date or time such as 2026-11-02T06:00Z, or seconds since 1970"
EARLIEST_US = 0  # 1970-01-01T00:00:00Z
LATEST_US = int(dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC).timestamp()) * 1_000_000


def parse_time(text: str) -> int:
    """``--since``/``--until`` and the ends of ``--before``/``--after``: ISO 8601 (a date, a time
    with or without a zone — without one it is UTC) or seconds since the epoch; µs since the
    epoch, between 1970 and 9999. Anything else is an ``ArgumentTypeError`` (argparse names the
    option)."""
    text = text.strip()
    if (date := _date_in_digits(text)) is not None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is ambiguous: the date {date} written without dashes, or {int(text):,} "
            f"seconds since 1970 ({shown(int(text) * 1_000_000)}); write {date} for the date, "
            f"or {text}.0 for seconds"
        )
    try:
        seconds = float(text)
    except ValueError:
        seconds = _iso_seconds(text)
    if not math.isfinite(seconds):
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (write {TIME_HINT})")
    us = int(seconds * 1_000_000)
    if not EARLIEST_US <= us <= LATEST_US:
        raise argparse.ArgumentTypeError(
            f"{text!r} is outside the times a log can hold (1970-01-01 to 9999-12-31); "
            "seconds since 1970 are counted in seconds, not ms or µs"
        )
    return us


def _date_in_digits(text: str) -> str | None:
    """The date a plain number also spells — a year (``2017``) or ISO 8601's basic date
    (``20171207``) from 1970 to 2199 — as ``YYYY-MM-DD``; None for any other text. Taken for
    seconds they would be a time in 1970, where no osquery log lies."""
    if not text.isdigit() or len(text) not in (4, 8) or not "1970" <= text[:4] <= "2199":
        return None
    try:
        return dt.date.fromisoformat(text if len(text) == 8 else f"{text}0101").isoformat()
    except ValueError:
        return None


def _iso_seconds(text: str) -> float:
    try:
        # RFC 3339 lets the zone be a small z too
        when = dt.datetime.fromisoformat(re.sub(r"[zZ]$", "+00:00", text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a time: {text!r} (write {TIME_HINT})") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        return when.timestamp()
    except (OverflowError, ValueError):  # the first or last day of the calendar in a far zone
        return math.inf


def parse_range(text: str) -> tuple[int, int]:
    """``T1..T2`` → (µs, µs) with T1 before T2."""
    lo, sep, hi = text.partition("..")
    if not sep:
        raise argparse.ArgumentTypeError(f"not a range: {text!r} (write T1..T2)")
    a, b = parse_time(lo), parse_time(hi)
    if a >= b:
        what = "is empty" if a == b else "ends before it begins"
        raise argparse.ArgumentTypeError(f"the range {text!r} {what} (write T1..T2, T1 before T2)")
    return a, b


def ranges_overlap(before: tuple[int, int], after: tuple[int, int]) -> str | None:
    """A word when ``--before`` and ``--after`` share time (the same records on both sides:
    a change between them is then partly hidden), else None."""
    lo, hi = max(before[0], after[0]), min(before[1], after[1])
    if lo >= hi:
        return None
    same = "are the same range" if before == after else f"overlap ({shown(lo)}..{shown(hi)})"
    return f"--before and --after {same}: records in both are on both sides of the comparison"


def shown(us: int) -> str:
    """µs since the epoch as an ISO 8601 UTC time, for messages."""
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC).isoformat().replace("+00:00", "Z")


def range_problem(since_us: int | None, until_us: int | None) -> str | None:
    """Why ``--since``/``--until`` select nothing by construction, or None."""
    if since_us is not None and until_us is not None and since_us >= until_us:
        return (
            f"--since {shown(since_us)} is not before --until {shown(until_us)}: "
            "the range holds no time (--since is the first instant, --until the end)"
        )
    return None


def host_pattern(text: str) -> str:
    """One ``--hosts`` value (argparse type): a pattern, never empty — an empty shell variable
    (``--hosts "$H"``) would otherwise scan the whole fleet."""
    if not text.strip():
        raise argparse.ArgumentTypeError(
            "an empty pattern (give one, e.g. 'web-*', or leave --hosts out for every host)"
        )
    return text


def host_patterns(values: Sequence[str] | None) -> tuple[str, ...] | None:
    """The ``--hosts`` patterns given (repeated: any of them), or None for every host."""
    return tuple(values) if values else None


def unmatched_hosts_warnings(
    patterns: Sequence[str] | None, hosts: Sequence[str], shown_hosts: int = 5
) -> list[str]:
    """A warning per ``--hosts`` pattern that matches none of ``hosts`` (the dataset's)."""
    out = []
    for pattern in patterns or ():
        if any(fnmatch.fnmatchcase(h, pattern) for h in hosts):
            continue
        if not hosts:
            out.append(f"warning: --hosts {pattern!r} matches no host: the dataset names none")
            continue
        some = ", ".join(hosts[:shown_hosts]) + (", …" if len(hosts) > shown_hosts else "")
        count = f"{len(hosts):,} host" + ("" if len(hosts) == 1 else "s")
        escapes = (
            " (a backslash escapes nothing here: [[] matches a [, [*] a *, [?] a ?)"
            if "\\" in pattern
            else ""
        )
        out.append(
            f"warning: --hosts {pattern!r} matches none of the dataset's {count} ({some}); "
            f"patterns are shell patterns, case-sensitive{escapes}"
        )
    return out


def output_file_problem(option: str, path: str | None) -> str | None:
    """Why the output file of ``option`` cannot be written (asked before any work), or None."""
    if path is None:
        return None
    problem = output_problem(path)
    return None if problem is None else f"{option}: {problem}"


def dataset_folder_problem(path: str) -> str | None:
    """Why ``fleet ingest --to`` cannot make or add to the dataset folder ``path``, or None: an
    existing one must be a folder that takes new files, a new one a folder that can be made in
    an existing, writable parent."""
    if not path.strip():  # an unset shell variable: the current folder is no one's dataset
        return "--to: an empty name (give the dataset folder, e.g. --to fleet-ds)"
    full = os.path.abspath(path)
    if os.path.lexists(full) and not os.path.isdir(full):
        return f"--to: {path} is a file, not a dataset folder"
    folder = full if os.path.isdir(full) else os.path.dirname(full)
    if not os.path.isdir(folder):
        what = "does not exist" if not os.path.lexists(folder) else "is not a folder"
        return f"--to: cannot make the dataset {path}: the folder {folder} {what}"
    # The probe file is made (and removed) in the folder the dataset's files or folder go into.
    problem = output_problem(os.path.join(folder, ".osquery-inspector-dataset-check"))
    return None if problem is None else f"--to: cannot write the dataset {path}: {problem}"
