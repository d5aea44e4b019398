"""Lanes as integer codes: the fast way to group millions of records by host × subscriber × ….

Grouping on several dictionary-encoded string columns costs DuckDB about five times more than
grouping on one integer. The records' dictionary indices are combined into one int64 code per row
(mixed radix, 0 for null), DuckDB groups on that, and the few distinct codes are decoded back into
strings afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from inspector.arrow_columns import dictionary_digits


@dataclass(frozen=True)
class LaneCodes:
    """Per-row lane codes and what is needed to turn a code back into its field values."""

    codes: np.ndarray  # int32 (or int64 when that is too small) per row
    fields: tuple[str, ...]
    dictionaries: tuple[pa.Array, ...]  # per field: the values a code digit points into (1-based)

    def decode(self, codes: np.ndarray) -> dict[str, pa.Array]:
        """Field values (strings, null for 0) of each code in ``codes``."""
        out: dict[str, pa.Array] = {}
        rest = np.asarray(codes, dtype=np.int64).copy()
        for name, values in zip(reversed(self.fields), reversed(self.dictionaries), strict=True):
            radix = len(values) + 1
            digit = rest % radix
            rest //= radix
            index = pa.array(digit - 1, mask=digit == 0)
            out[name] = values.take(index)
        return {name: out[name] for name in self.fields}

    def ranked(self, codes: np.ndarray) -> tuple[np.ndarray, dict[str, pa.Array]]:
        """For each of ``codes``, its lane's position when lanes are ordered by their values
        (nulls last); and the lanes' values in that order. Python touches lanes, not rows."""
        unique, inverse = np.unique(codes, return_inverse=True)
        values = self.decode(unique)
        rows = list(zip(*(v.to_pylist() for v in values.values()), strict=True))
        order = sorted(range(len(rows)), key=lambda i: [(v is None, v or "") for v in rows[i]])
        rank = np.empty(len(unique), dtype=np.int64)
        rank[order] = np.arange(len(order))
        take = pa.array(order, pa.int64())
        return rank[inverse], {name: v.take(take) for name, v in values.items()}


def lane_codes(
    table: pa.Table,
    fields: tuple[str, ...],
    derived: dict[str, Any] | None = None,
    only_without: dict[str, str] | None = None,
) -> LaneCodes:
    """Codes over ``fields`` of ``table``; ``derived`` maps a field name to ``(source field,
    function from the source's dictionary to a small string array)`` for fields such as the
    stream that are a function of another column; ``only_without`` maps a field to another whose
    presence blanks it (``{"query": "subscriber"}``: a query names a lane only for rows that
    have no subscriber)."""
    derived = derived or {}
    only_without = only_without or {}
    sources = sorted({derived[f][0] if f in derived else f for f in fields})
    table = table.select(sources).unify_dictionaries()
    digits_of = {name: dictionary_digits(table.column(name)) for name in sources}
    parts = []
    for name in fields:
        if name in derived:
            source, mapping = derived[name]
            digits, dictionary = digits_of[source]
            mapped = mapping(dictionary)  # one value per dictionary entry
            values, inverse = np.unique(
                np.asarray(mapped.to_pylist(), dtype=object).astype(str), return_inverse=True
            )
            digits = np.concatenate([[0], inverse + 1]).astype(np.int32)[digits]
            dictionary = pa.array(values.tolist(), pa.string())
        else:
            digits, dictionary = digits_of[name]
        if name in only_without:
            digits = np.where(digits_of[only_without[name]][0] != 0, np.int32(0), digits)
        parts.append((digits, dictionary))
    capacity = int(np.prod([len(d) + 1 for _, d in parts], dtype=object))
    if capacity >= 2**62:
        raise OverflowError("too many distinct lane values to code in 64 bits")
    # Half the memory traffic when the codes fit in 32 bits (they nearly always do).
    dtype = np.int32 if capacity < 2**31 else np.int64
    codes = np.zeros(table.num_rows, dtype=dtype)
    for digits, dictionary in parts:
        codes *= dtype(len(dictionary) + 1)
        codes += digits
    return LaneCodes(codes, tuple(fields), tuple(d for _, d in parts))
