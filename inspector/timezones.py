"""Time zones: the machine's own zone, and local wall-clock times (glog) converted to UTC."""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from inspector.schema import TIMESTAMP


def machine_timezone() -> str:
    """The IANA name of this machine's time zone (``TZ``, /etc/timezone, /etc/localtime), or UTC."""
    env = os.environ.get("TZ", "").lstrip(":")
    if env and _valid(env):
        return env
    try:
        with open("/etc/timezone", encoding="utf-8") as f:
            name = f.read().strip()
        if name and _valid(name):
            return name
    except OSError:
        pass
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            name = target.split("zoneinfo/", 1)[1]
            if _valid(name):
                return name
    except OSError:
        pass
    return "UTC"


def _valid(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
        return True
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False


def check_timezone(name: str) -> str:
    """Return ``name`` if it is a known IANA zone, else raise ValueError with a clear message."""
    if not _valid(name):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Berlin or UTC)"
        )
    return name


def local_to_utc(naive_us: np.ndarray, tz: str) -> pa.Array:
    """Wall-clock microseconds in zone ``tz`` → UTC timestamps (DST gaps/overlaps: earliest)."""
    naive = pa.array(naive_us.astype("datetime64[us]"), pa.timestamp("us"))
    if tz == "UTC":
        return naive.cast(TIMESTAMP)
    aware = pc.assume_timezone(naive, timezone=tz, ambiguous="earliest", nonexistent="earliest")
    return aware.cast(TIMESTAMP)


def civil_to_us(
    years: npt.ArrayLike,
    months: npt.ArrayLike,
    days: npt.ArrayLike,
    hours: npt.ArrayLike,
    minutes: npt.ArrayLike,
    seconds: npt.ArrayLike,
    micros: npt.ArrayLike,
) -> np.ndarray:
    """Vectorised calendar fields → microseconds since 1970 (naive); invalid dates give NaT."""
    year = np.asarray(years, dtype=np.int64)
    month = np.asarray(months, dtype=np.int64)
    day = np.asarray(days, dtype=np.int64)
    month_start = (year - 1970) * 12 + (month - 1)
    base = month_start.astype("datetime64[M]").astype("datetime64[D]")
    date = base + (day - 1).astype("timedelta64[D]")
    midnight_us: np.ndarray = date.astype("datetime64[us]").astype(np.int64)
    clock_s = (np.asarray(hours, np.int64) * 60 + np.asarray(minutes, np.int64)) * 60 + np.asarray(
        seconds, np.int64
    )
    us: np.ndarray = midnight_us + clock_s * 1_000_000 + np.asarray(micros, np.int64)
    return us


# Hours, minutes, seconds and microseconds of each row: a wall clock as a reader parsed it.
WallClock = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def concat_clocks(clocks: Sequence[WallClock]) -> WallClock:
    """The rows of several wall clocks, one after the other."""
    hh, mi, ss, us = (np.concatenate([c[k] for c in clocks]) for k in range(4))
    return hh, mi, ss, us


def clock_rows(clock: WallClock, rows: np.ndarray | slice) -> WallClock:
    """The wall clock of some rows (a mask, indices or a slice)."""
    hh, mi, ss, us = clock
    return hh[rows], mi[rows], ss[rows], us[rows]
