"""Year-less dates (glog's ``MMDD``, syslog's ``Mon DD``) placed on the calendar.

Each line is placed within half a year of the line before it, so a file that crosses New Year,
is written newest first (``journalctl -r``), or holds a late line from a thread still in the
old year gets the right years. The first line is anchored near a known date (a header, a dated
file name, a ``since`` line), else in a given year, else before the file's modification time
— and the reader says which (``year_assumed`` when it is the modification time).
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np

HALF_YEAR_DAYS = 183


def safe_date(year: str | int, month: str | int, day: str | int) -> dt.date | None:
    """The date, or None when it does not exist."""
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def place_years(
    anchor: dt.date | None, months: np.ndarray, days: np.ndarray, year: int | None = None
) -> np.ndarray:
    """Give each (month, day) a year: the first line is within half a year of ``anchor``
    (or in ``year``), and each next line within half a year of the line before it."""
    n = len(months)
    if not n:
        return np.zeros(0, dtype=np.int64)
    ordinal = (np.asarray(months) - 1) * 31 + (np.asarray(days) - 1)  # monotone within a year
    if anchor is not None:
        start = anchor.year
        delta = ordinal[0] - ((anchor.month - 1) * 31 + (anchor.day - 1))
        if delta < -HALF_YEAR_DAYS:
            start += 1  # header written on Dec 31, first line on Jan 1
        elif delta > HALF_YEAR_DAYS:
            start -= 1  # an excerpt from before the date we know
    else:
        start = year if year is not None else dt.date.today().year
    step = np.diff(ordinal)
    change = np.where(step < -HALF_YEAR_DAYS, 1, np.where(step > HALF_YEAR_DAYS, -1, 0))
    return start + np.concatenate([[0], np.cumsum(change)])


def years_from_mtime(path: str, months: np.ndarray, days: np.ndarray) -> tuple[np.ndarray, str]:
    """No anchor: the newest line was written before the file's modification time."""
    try:
        mtime = dt.date.fromtimestamp(os.path.getmtime(path))
    except OSError:
        mtime = dt.date.today()
    relative = place_years(None, months, days, 0)
    if len(relative):
        newest = int(np.argmax(relative * 10_000 + np.asarray(months) * 100 + np.asarray(days)))
        last = (int(months[newest]), int(days[newest]))
        last_year = mtime.year if last <= (mtime.month, mtime.day) else mtime.year - 1
        relative = relative - relative[newest] + last_year
    return relative, (
        "lines carry no year and the file says none (no header, dated name or since line): years "
        f"were taken from the file's modification time ({mtime.isoformat()}); the run's results "
        "move them when they disagree, or pass --year"
    )
