"""Helpers over Arrow columns that every layer uses: dictionary codes, masks, chunk-aware takes.

Repeated strings (host, query, subscriber …) are dictionary-encoded; these helpers work on the
dictionary (a handful of values) instead of on every row, and take rows out of chunked columns
without first concatenating a multi-gigabyte text column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

SUBSET_SHARE = 8  # below 1/8 of the table, the rows are taken chunk by chunk


def dictionary_digits(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Per row 1 + its index into the column's dictionary (0 for null), and that dictionary."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    indices = column.indices
    if indices.null_count:
        indices = pc.fill_null(indices, -1)
    digits = np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.int32) + np.int32(1)
    return digits, column.dictionary.cast(pa.string())


def value_mask(
    column: pa.ChunkedArray | pa.Array,
    predicate: Callable[[pa.Array], pa.Array],
    null: bool = False,
) -> np.ndarray:
    """Per row ``predicate`` (strings → booleans, vectorised) of its value, evaluated once per
    dictionary value of each chunk (chunks keep their own dictionaries); ``null`` for nulls."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts = []
    for chunk in chunks:
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        per_value = pc.fill_null(predicate(chunk.dictionary.cast(pa.string())), False)
        lookup = np.append(per_value.to_numpy(zero_copy_only=False).astype(bool), null)
        indices = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
        parts.append(lookup[indices])  # index -1 (null) picks the appended ``null`` entry
    return np.concatenate(parts) if parts else np.zeros(0, bool)


def take_rows(table: pa.Table, rows: np.ndarray) -> pa.Table:
    """Rows ``rows`` of ``table``, in that order, touching only the chunks that hold them.

    ``Table.take`` first concatenates each column's chunks: a 10 M-row ``columns`` text is
    several GB and overflows a string array's 2 GB offsets. Here each touched chunk is taken
    from on its own and only the (small) result is put together."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows) == 1:
        return table.slice(int(rows[0]), 1)
    return pa.table({name: take_column(table.column(name), rows) for name in table.column_names})


def take_column(column: pa.ChunkedArray, rows: np.ndarray) -> pa.ChunkedArray:
    """Rows ``rows`` of one column, in that order (see ``take_rows``)."""
    text = pa.types.is_string(column.type) or pa.types.is_binary(column.type)
    many = len(rows) * SUBSET_SHARE > len(column)
    if column.num_chunks <= 1 or not len(rows) or (many and not text):
        return column.take(pa.array(rows, pa.int64()))  # fixed width: concatenating is cheap
    starts = np.cumsum([0, *(len(c) for c in column.iterchunks())])
    chunk_of = np.searchsorted(starts, rows, side="right") - 1
    ascending = bool(np.all(rows[1:] >= rows[:-1]))  # filter results are: no reordering needed
    order = np.arange(len(rows)) if ascending else np.argsort(chunk_of, kind="stable")
    touched, first = np.unique(chunk_of[order], return_index=True)
    bounds = [*first[1:], len(order)]
    pieces = [
        column.chunk(int(c)).take(pa.array(rows[order[a:b]] - starts[c]))
        for c, a, b in zip(touched, first, bounds, strict=True)
    ]  # one take per touched chunk, not per row
    value_type = column.type
    if not ascending and text and sum(p.nbytes for p in pieces) > 1 << 30:
        pieces = [p.cast(pa.large_string()) for p in pieces]  # past 2 GB offsets must be 64-bit
        value_type = pa.large_string()
    grouped = pa.chunked_array(pieces, value_type)
    if ascending:
        return grouped
    back = np.empty(len(order), dtype=np.int64)
    back[order] = np.arange(len(order))
    return grouped.take(pa.array(back))  # the small result back into the requested order
