"""Sorting filtered records by a column without a Python loop over rows.

``sort_rows`` reorders the table-row numbers that ``filter_rows`` returned; dictionary columns
are sorted by the rank of their values and a key of the columns JSON through DuckDB.
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.arrow_columns import take_column, take_rows
from inspector.duck import arrow_query


def _dictionary_ranks(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Per row the rank of its value among the column's distinct values (null for null): an
    integer to sort by instead of the strings, found once per dictionary value."""
    dictionaries = [c.dictionary.cast(pa.string()) for c in values.chunks]
    distinct = pc.unique(pa.chunked_array(dictionaries, pa.string()))
    ordered = distinct.take(pc.sort_indices(distinct))
    parts = []
    for chunk, dictionary in zip(values.chunks, dictionaries, strict=True):
        rank = pc.index_in(dictionary, value_set=ordered).to_numpy(zero_copy_only=False)
        rank = np.append(rank.astype(np.int64), 0)  # the last entry stands in for null rows
        indices = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
        parts.append(pa.array(rank[indices], pa.int64(), mask=indices < 0))
    return pa.chunked_array(parts, pa.int64())


def sort_rows(
    records: pa.Table, index: np.ndarray, column: str, descending: bool = False
) -> np.ndarray:
    """``index`` reordered by ``column`` of those rows: stable, nulls last either way.

    ``column`` is a record column or ``columns.<key>`` for a key of the columns JSON (sorted as
    numbers when every present value is one)."""
    index = np.asarray(index, dtype=np.int64)
    if not len(index):
        return index
    if column.startswith("columns.") and column not in records.column_names:
        values = json_values(records, index, column.removeprefix("columns."))
    else:
        values = records.column(column)
        if pa.types.is_dictionary(values.type):
            values = _dictionary_ranks(values)  # sorting integers, not millions of strings
        values = take_column(values, index)
    order = pc.sort_indices(
        pa.table({"v": values}),
        sort_keys=[("v", "descending" if descending else "ascending")],
        null_placement="at_end",  # one option for every key: a per-key one needs pyarrow ≥ 22
    )
    ordered: np.ndarray = index[order.to_numpy()]
    return ordered


def json_values(records: pa.Table, index: np.ndarray, key: str) -> pa.Array:
    """The value of ``key`` in the columns JSON of rows ``index``: numbers when all are numbers."""
    path = "$." + json.dumps(key)  # quoted: keys may hold dots or spaces
    got = arrow_query(
        "SELECT json_extract_string(columns, $$" + path.replace("$$", "") + "$$) AS v, "
        "TRY_CAST(v AS DOUBLE) AS n FROM t",
        t=take_rows(records.select(["columns"]), index),
    )
    text, number = got.column("v"), got.column("n")
    return (number if number.null_count == text.null_count else text).combine_chunks()


def time_order(records: pa.Table, index: np.ndarray) -> np.ndarray:
    """``index`` in time order: the event's own time, else the log time (as the time filter
    reads them); stable, rows without either last."""
    index = np.asarray(index, dtype=np.int64)
    names = [c for c in ("event_time", "log_time") if c in records.column_names]
    if not len(index) or not names:
        return index
    columns = [take_column(records.column(c), index) for c in names]
    times = pc.coalesce(*columns) if len(columns) > 1 else columns[0]
    order = pc.sort_indices(pa.table({"t": times}), sort_keys=[("t", "ascending", "at_end")])
    ordered: np.ndarray = index[order.to_numpy()]
    return ordered
