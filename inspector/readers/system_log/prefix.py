"""The prefix a system log puts before a program's message, parsed vectorised.

Forms (each seen on real hosts; none carries the program's own severity):

- classic syslog and ``journalctl`` (short, short-precise): ``Jan  9 13:22:31 host prog[pid]: msg``
  — no year, no zone; the host may be blank (``13:22:31  osqueryd[…]``);
- ISO (``journalctl -o short-iso[-precise]``, rsyslog's high-precision format):
  ``2020-01-09T13:22:31.115227+00:00 host prog[pid]: msg`` — a year and a UTC offset;
- ``journalctl -o short-full``: ``Thu 2020-01-09 13:22:31 UTC host prog[pid]: msg`` — a year and a
  zone abbreviation (its offset is known for the common unambiguous ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PROGRAM = r"(?P<host>\S*) (?P<prog>[^\s\[\]:]+)(?:\[(?P<pid>\d+)\])?: ?(?P<msg>.*)$"
_CLOCK = r"(?P<hh>\d\d):(?P<mi>\d\d):(?P<ss>\d\d)(?:[.,](?P<frac>\d{1,9}))?"
SHORT = rf"^(?P<mon>{'|'.join(MONTHS)}) +(?P<day>\d{{1,2}}) {_CLOCK} " + _PROGRAM
ISO = (
    r"^(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)[T ]" + _CLOCK
    + r"(?P<tz>Z|[+-]\d\d:?\d\d) " + _PROGRAM
)  # fmt: skip
FULL = (
    r"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d) " + _CLOCK
    + r" (?P<zone>[A-Za-z][A-Za-z0-9+-]{1,5}) " + _PROGRAM
)  # fmt: skip

# Zone abbreviations whose offset is not ambiguous (IST, CST in China … are left out).
ZONE_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120,
    "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180, "JST": 540, "KST": 540,
    "AEST": 600, "AEDT": 660, "ACST": 570, "ACDT": 630, "AWST": 480, "NZST": 720, "NZDT": 780,
    "HKT": 480, "SGT": 480, "EST": -300, "EDT": -240, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
}  # fmt: skip


@dataclass
class Prefixes:
    """Per line: whether a system-log prefix was found, and its fields (None where not)."""

    found: np.ndarray  # bool
    month: np.ndarray  # int64, 0 where not found
    day: np.ndarray
    year: np.ndarray  # int64, 0 where the form has no year
    clock: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # hh, mi, ss, µs
    offset_minutes: np.ndarray  # float64, NaN where the form says no zone (or an unknown one)
    host: pa.Array  # string, null where blank or not found
    program: pa.Array
    pid: pa.Array  # int64
    message: pa.Array  # string: the program's message (null where not found)


def parse_prefixes(texts: pa.Array) -> Prefixes:
    """Each line's system-log prefix, tried in the three forms."""
    n = len(texts)
    short = pc.extract_regex(texts, SHORT)
    iso = pc.extract_regex(texts, ISO)
    full = pc.extract_regex(texts, FULL)
    is_short = np.asarray(pc.is_valid(short), dtype=bool)
    is_iso = np.asarray(pc.is_valid(iso), dtype=bool) & ~is_short
    is_full = np.asarray(pc.is_valid(full), dtype=bool) & ~is_short & ~is_iso

    def pick(name: str, forms: tuple[tuple[pa.StructArray, np.ndarray], ...]) -> pa.Array:
        out = pa.nulls(n, pa.string())
        for fields, where in forms:
            out = pc.if_else(pa.array(where), pc.struct_field(fields, name), out)
        return out

    def ints(values: pa.Array) -> np.ndarray:
        return np.asarray(
            pc.fill_null(pc.cast(pc.if_else(pc.equal(values, ""), None, values), pa.int64()), 0)
        )

    every = ((short, is_short), (iso, is_iso), (full, is_full))
    dated = ((iso, is_iso), (full, is_full))
    month_names = pc.struct_field(short, "mon")
    short_month = np.asarray(pc.fill_null(pc.index_in(month_names, pa.array(MONTHS)), -1)) + 1
    month = np.where(is_short, short_month, ints(pick("month", dated)))
    frac = pc.utf8_slice_codeunits(
        pc.binary_join_element_wise(pick("frac", every), "000000", ""), 0, 6
    )
    offset = np.full(n, np.nan)
    if is_iso.any():
        offset = np.where(is_iso, _iso_offsets(pc.struct_field(iso, "tz")), offset)
    if is_full.any():
        zone = pc.struct_field(full, "zone").to_pylist()
        known = np.array([ZONE_ABBREVIATIONS.get(z, np.nan) if z else np.nan for z in zone])
        offset = np.where(is_full, known, offset)
    host = pick("host", every)
    return Prefixes(
        found=is_short | is_iso | is_full,
        month=month,
        day=ints(pick("day", every)),
        year=ints(pick("year", dated)),
        clock=(
            ints(pick("hh", every)),
            ints(pick("mi", every)),
            ints(pick("ss", every)),
            ints(frac),
        ),
        offset_minutes=offset,
        host=pc.if_else(pc.equal(host, ""), None, host),
        program=pick("prog", every),
        pid=pc.cast(
            pc.if_else(pc.equal(pick("pid", every), ""), None, pick("pid", every)), pa.int64()
        ),
        message=pick("msg", every),
    )


def _iso_offsets(tz: pa.Array) -> np.ndarray:
    """``Z``, ``+0100``, ``-05:00`` → minutes east of UTC (NaN where absent)."""
    text = pc.replace_substring(pc.fill_null(tz, ""), ":", "")
    parts = pc.extract_regex(text, r"^(?P<sign>[+-])(?P<h>\d\d)(?P<m>\d\d)$")
    hours = np.asarray(pc.fill_null(pc.cast(pc.struct_field(parts, "h"), pa.float64()), np.nan))
    minutes = np.asarray(pc.fill_null(pc.cast(pc.struct_field(parts, "m"), pa.float64()), np.nan))
    sign = np.where(
        np.asarray(pc.equal(pc.struct_field(parts, "sign"), "-").fill_null(False)), -1, 1
    )
    out = sign * (hours * 60 + minutes)
    return np.where(np.asarray(pc.equal(text, "Z")), 0.0, out)
