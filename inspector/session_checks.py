"""Checking a session file's fields before any of them is used: a session file is untrusted input
(it may come from someone else, or be edited). Each problem is one readable line that names the
field (``options.tz``, ``inputs[2].path``, ``filters.sql_where``); nothing is opened or run here
except the SQL filter's parse in its sandbox.

Also: which inputs lie outside the session file's own folder (the window asks before opening
those — a shared session must not quietly read ``/etc/shadow``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from typing import Any

from inspector.analysis.run_summary import parse_anchor
from inspector.timezones import check_timezone
from inspector.views.sql_sandbox import FilterError, check_where

MAX_INPUTS = 10_000
MAX_TEXT = 100_000  # characters of the free-text filter
MAX_VALUES = 100_000  # values in one of the filter's value sets
MAX_LANES = 100_000
MAX_STRING = 10_000  # characters of a host, subscriber, query or lane name
EARLIEST, LATEST = 0.0, 7_258_118_400.0  # 1970 … 2200, in Unix seconds
YEARS = (1970, 2200)
SHA256 = re.compile(r"[0-9a-f]{64}")
VALUE_SETS = ("hosts", "subscribers", "queries", "actions", "runs")
STREAMS = ("results_log", "osquery_db")


class SessionFieldError(ValueError):
    """One field of a session file is not acceptable; the message names it."""


def _fail(field: str, why: str) -> None:
    raise SessionFieldError(f"{field}: {why}")


def check_document(doc: Any) -> None:
    """Check every field of a parsed session document; ``SessionFieldError`` names the first
    one that is wrong. Missing optional fields are fine."""
    if not isinstance(doc, dict):
        _fail("the file", "not a JSON object")
    _inputs(doc.get("inputs"), "inputs", required=True)
    _options(doc.get("options"))
    _compare(doc.get("compare"))
    _filters(doc.get("filters"))
    for name in ("visible_range", "brush"):
        _time_pair(doc.get(name), name)
    _lanes(doc.get("hidden_lanes"))


def _string(value: Any, field: str, *, limit: int = MAX_STRING, empty: bool = True) -> str:
    if not isinstance(value, str):
        _fail(field, f"a text was expected, not {type(value).__name__}")
    if len(value) > limit:
        _fail(field, f"{len(value):,} characters long (at most {limit:,})")
    if "\x00" in value:
        _fail(field, "holds a NUL character")
    if not empty and not value.strip():
        _fail(field, "is empty")
    return str(value)


def _inputs(entries: Any, field: str, *, required: bool = False) -> None:
    if entries is None and not required:
        return
    if not isinstance(entries, list):
        _fail(field, "a list of inputs was expected")
    if len(entries) > MAX_INPUTS:
        _fail(field, f"{len(entries):,} inputs (at most {MAX_INPUTS:,})")
    for i, entry in enumerate(entries):
        where = f"{field}[{i}]"
        if not isinstance(entry, dict):
            _fail(where, "an object with a path was expected")
        path = _string(entry.get("path"), f"{where}.path", limit=4096, empty=False)
        if not os.path.isabs(path):
            _fail(f"{where}.path", f"{path!r} is not an absolute path")
        size = entry.get("size")
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            _fail(f"{where}.size", f"{size!r} is not a size in bytes")
        digest = entry.get("sha256")
        if digest is not None and (not isinstance(digest, str) or not SHA256.fullmatch(digest)):
            _fail(f"{where}.sha256", "not a SHA-256 in hexadecimal")
        if not isinstance(entry.get("folder", False), bool):
            _fail(f"{where}.folder", "true or false was expected")


def _options(options: Any) -> None:
    if options is None:
        return
    if not isinstance(options, dict):
        _fail("options", "an object was expected")
    tz = options.get("tz")
    if tz is not None:
        try:
            check_timezone(_string(tz, "options.tz", limit=100))
        except ValueError as exc:
            _fail("options.tz", str(exc))
    year = options.get("year")
    if year is not None:
        if not isinstance(year, int) or isinstance(year, bool):
            _fail("options.year", f"{year!r} is not a year")
        if not YEARS[0] <= year <= YEARS[1]:
            _fail("options.year", f"{year} is outside {YEARS[0]}–{YEARS[1]}")


def _compare(compare: Any) -> None:
    if compare is None:
        return
    if not isinstance(compare, dict):
        _fail("compare", "an object was expected")
    _inputs(compare.get("inputs"), "compare.inputs")
    for name in ("align_before", "align_after"):
        anchor = compare.get(name)
        if anchor is not None:
            try:
                parse_anchor(_string(anchor, f"compare.{name}", limit=200))
            except ValueError as exc:
                _fail(f"compare.{name}", str(exc))


def _filters(filters: Any) -> None:
    if filters is None:
        return
    if not isinstance(filters, dict):
        _fail("filters", "an object was expected")
    for name in VALUE_SETS:
        values = filters.get(name)
        if values is None:
            continue
        if not isinstance(values, list):
            _fail(f"filters.{name}", "a list of values was expected")
        if len(values) > MAX_VALUES:
            _fail(f"filters.{name}", f"{len(values):,} values (at most {MAX_VALUES:,})")
        for value in values:
            if value is not None:
                _string(value, f"filters.{name}")
    times = filters.get("time_range")
    if times is not None:
        if not isinstance(times, list) or len(times) != 2:
            _fail("filters.time_range", "two times were expected")
        parsed = [_iso_time(t, f"filters.time_range[{i}]") for i, t in enumerate(times)]
        if parsed[0] > parsed[1]:
            _fail("filters.time_range", "ends before it starts")
    _string(filters.get("text") or "", "filters.text", limit=MAX_TEXT)
    where = filters.get("sql_where") or ""
    if _string(where, "filters.sql_where", limit=MAX_TEXT).strip():
        try:
            check_where(where)
        except FilterError as exc:
            _fail("filters.sql_where", f"refused: {exc}")
    stream = filters.get("stream")
    if stream is not None and stream not in STREAMS:
        _fail("filters.stream", f"{stream!r} is not one of {', '.join(STREAMS)}")
    rows = filters.get("rows")
    if rows is not None and (not isinstance(rows, int) or isinstance(rows, bool) or rows < 0):
        _fail("filters.rows", f"{rows!r} is not a count")


def _iso_time(value: Any, field: str) -> dt.datetime:
    text = _string(value, field, limit=64)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _fail(field, f"{text!r} is not an ISO 8601 time")
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if not EARLIEST <= when.timestamp() <= LATEST:
        _fail(field, f"{text} is outside 1970–2200")
    return when


def _time_pair(value: Any, field: str) -> None:
    if value is None:
        return
    if not isinstance(value, list) or len(value) != 2:
        _fail(field, "two times (Unix seconds) were expected")
    for i, t in enumerate(value):
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            _fail(f"{field}[{i}]", f"{t!r} is not a time in Unix seconds")
        if not EARLIEST <= t <= LATEST:
            _fail(f"{field}[{i}]", f"{t} is outside 1970–2200")
    if value[0] >= value[1]:
        _fail(field, "ends before it starts")


def _lanes(lanes: Any) -> None:
    if lanes is None:
        return
    if not isinstance(lanes, list):
        _fail("hidden_lanes", "a list of lanes was expected")
    if len(lanes) > MAX_LANES:
        _fail("hidden_lanes", f"{len(lanes):,} lanes (at most {MAX_LANES:,})")
    for i, key in enumerate(lanes):
        if not isinstance(key, list) or not 5 <= len(key) <= 6:
            _fail(f"hidden_lanes[{i}]", "a lane (host, publisher, subscriber, query, stream)")
        for part in key:
            if part is not None:
                _string(part, f"hidden_lanes[{i}]")


def outside_folder(paths: list[str], session_path: str) -> list[str]:
    """The ``paths`` that are not inside the folder of the session file (links resolved)."""
    home = os.path.realpath(os.path.dirname(os.path.abspath(session_path)))
    out = []
    for path in paths:
        real = os.path.realpath(path)
        if os.path.commonpath([home, real]) != home:
            out.append(path)
    return out
