"""osquery's JSON result lines, built column-wise in Arrow (no Python object per row).

Key order, number formatting and ``calendarTime`` follow ``osquery/core/query.cpp``: event format
``name, hostIdentifier, calendarTime, unixTime, epoch, counter, numerics, [decorations], columns,
action``; batch format ``diffResults, name, …``; snapshot format ``snapshot, action, name, …``.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

NUMERIC_TYPES = {"INTEGER", "BIGINT", "UNSIGNED_BIGINT", "DOUBLE"}


# A piece of a line: the same text on every line, or one value per line
Part: TypeAlias = "pa.Array | str"


def calendar_times(unix: np.ndarray) -> pa.Array:
    """``calendarTime`` for each time: asctime in UTC, space-padded day, plus " UTC"."""
    runs, inverse = np.unique(unix, return_inverse=True)
    text = pc.strftime(pa.array(runs.astype("datetime64[s]")), format="%a %b %e %H:%M:%S %Y UTC")
    return text.take(pa.array(inverse))


def _join(parts: list[Part]) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def row_objects(columns: dict[str, pa.Array], types: dict[str, str], numerics: bool) -> pa.Array:
    """The JSON object of each row: keys sorted, values strings (or numbers with ``numerics``)."""
    parts: list[Part] = []
    for i, name in enumerate(sorted(columns)):
        values = columns[name]
        parts.append(("{" if i == 0 else ",") + json.dumps(name) + ":")
        if numerics and types.get(name) in NUMERIC_TYPES:
            # A number when it is one; an empty (NULL) value stays the string "".
            parts.append(pc.if_else(pc.equal(values, ""), '""', values))
        else:
            parts.extend(['"', values, '"'])
    parts.append("}" if columns else "{}")
    return _join(parts)


def envelope_parts(
    name: pa.Array | str,
    host: str,
    unix: np.ndarray,
    epoch: np.ndarray,
    counter: np.ndarray,
    numerics: bool,
    decorations: dict[str, str] | None,
    decorations_top_level: bool,
) -> list[Part]:
    """The pieces from ``"name"`` to ``"numerics"`` (and decorations) shared by every format."""
    name_json = json.dumps(name)[1:-1] if isinstance(name, str) else name
    parts: list[Part] = [
        '"name":"', name_json, '","hostIdentifier":', json.dumps(host), ',"calendarTime":"',
        calendar_times(unix), '","unixTime":', _ints(unix), ',"epoch":', _ints(epoch),
        ',"counter":', _ints(counter), ',"numerics":' + ("true" if numerics else "false"),
    ]  # fmt: skip
    if decorations:
        ordered = dict(sorted(decorations.items()))
        if decorations_top_level:
            parts.append("," + json.dumps(ordered, separators=(",", ":"))[1:-1])
        else:
            parts.append(',"decorations":' + json.dumps(ordered, separators=(",", ":")))
    return parts


def _ints(values: np.ndarray) -> pa.Array:
    return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())


def event_lines(rows: pa.Array, action: pa.Array | str, head: list[Part]) -> pa.Array:
    """Event format: one line per row."""
    return _join(["{", *head, ',"columns":', rows, ',"action":"', action, '"}'])


def batch_lines(
    rows: pa.Array, removed: np.ndarray, run_starts: np.ndarray, head_per_run: list[Part]
) -> pa.Array:
    """Batch format: one line per run; ``run_starts`` are the first row of each run (rows in
    run order, removed rows first within a run)."""
    n_runs = len(run_starts)
    bounds = np.append(run_starts, len(rows))
    removed_count = (
        np.add.reduceat(removed.astype(np.int64), run_starts) if n_runs else np.zeros(0, np.int64)
    )
    split = run_starts + removed_count  # first added row of each run
    removed_lists = _grouped(rows, run_starts, split)
    added_lists = _grouped(rows, split, bounds[1:])
    return _join(
        [
            '{"diffResults":{"removed":[',
            removed_lists,
            '],"added":[',
            added_lists,
            "]},",
            *head_per_run,
            "}",
        ]
    )


def _grouped(rows: pa.Array, lo: np.ndarray, hi: np.ndarray) -> pa.Array:
    """Comma-joined rows ``lo[i]:hi[i]`` for each i (ranges in order, without gaps or overlap)."""
    take = (
        np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True)])
        if len(lo)
        else np.zeros(0, np.int64)
    )
    offsets = np.concatenate([[0], np.cumsum(hi - lo)]).astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), rows.take(pa.array(take, pa.int64())))
    return pc.binary_join(lists, ",")


def snapshot_line(
    name: str,
    host: str,
    unix: int,
    rows: list[dict[str, Any]],
    decorations: dict[str, Any] | None,
    *,
    numerics: bool = False,
    top_level: bool = False,
    epoch: int = 0,
    numeric_columns: tuple[str, ...] = (),
) -> str:
    """Snapshot format: the whole result set in one line (small; built with json)."""

    def value(key: str, v: str) -> object:
        return int(v) if numerics and key in numeric_columns and v.lstrip("-").isdigit() else v

    obj: dict[str, Any] = {
        "snapshot": [{k: value(k, v) for k, v in sorted(r.items())} for r in rows],
        "action": "snapshot",
        "name": name,
        "hostIdentifier": host,
        "calendarTime": calendar_times(np.array([unix]))[0].as_py(),
        "unixTime": unix,
        "epoch": epoch,
        "counter": 0,
        "numerics": numerics,
    }
    if decorations:
        if top_level:
            obj.update(dict(sorted(decorations.items())))
        else:
            obj["decorations"] = dict(sorted(decorations.items()))
    return json.dumps(obj, separators=(",", ":"))
