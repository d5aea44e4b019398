"""Filtering the loaded records without a Python loop over rows.

A ``RecordFilter`` says which records to show; ``filter_rows`` turns it into ascending table-row
numbers (numpy int64) that a view model holds instead of a copy of the table. Predicates on the
dictionary-encoded columns are evaluated once per dictionary value, the free text with
``pyarrow.compute`` and the SQL clause with DuckDB; the expensive ones only run on the rows that
the cheap ones left (or chunk by chunk over the whole table when most rows are left, so nothing
large is copied).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.arrow_columns import SUBSET_SHARE, take_rows, value_mask
from inspector.duck import arrow_query
from inspector.progress import Progress, report
from inspector.views.sql_sandbox import (
    FilterError,
    check_where,
    clean_duckdb_error,
    sandbox_connection,
)

__all__ = ["FilterError", "RecordFilter", "clean_duckdb_error", "filter_rows"]

DICTIONARY_FILTERS = {"hosts": "host", "subscribers": "subscriber", "queries": "query",
                      "actions": "action", "runs": "run"}  # fmt: skip
TEXT_DICTIONARY_COLUMNS = ("host", "query", "subscriber")
TEXT_COLUMNS = ("eid", "columns")
STREAMS = ("results_log", "osquery_db")
SLICE_ROWS = 1_000_000  # full-table passes go slice by slice so a cancel is noticed quickly


@dataclass(frozen=True)
class RecordFilter:
    """Which records to show; None (or empty text) means "no restriction" for each part.

    The value sets may hold None to select rows where that column is null.
    """

    hosts: frozenset[str | None] | None = None
    subscribers: frozenset[str | None] | None = None
    queries: frozenset[str | None] | None = None
    actions: frozenset[str | None] | None = None
    time_range: tuple[dt.datetime, dt.datetime] | None = None  # half-open [lo, hi)
    text: str = ""  # case-insensitive substring of host, query, subscriber, eid or columns
    sql_where: str = ""  # a DuckDB boolean expression over the records' columns
    rows: np.ndarray | None = None  # only these table rows (e.g. a finding's)
    stream: str | None = None  # "results_log" or "osquery_db" (formats starting "database")
    # The run of a host given in several runs (None in the set: rows of hosts in one run);
    # records without a ``run`` column (one run) are all such rows.
    runs: frozenset[str | None] | None = None

    @property
    def is_empty(self) -> bool:
        """True when the filter lets every record through."""
        return self == RecordFilter(text=self.text.strip(), sql_where=self.sql_where.strip()) and (
            not self.text.strip() and not self.sql_where.strip()
        )

    def __eq__(self, other: object) -> bool:  # numpy rows need an explicit comparison
        if not isinstance(other, RecordFilter):
            return NotImplemented
        same_rows = (self.rows is None and other.rows is None) or (
            self.rows is not None and other.rows is not None
            and np.array_equal(self.rows, other.rows)
        )  # fmt: skip
        fields = ("hosts", "subscribers", "queries", "actions", "time_range", "text",
                  "sql_where", "stream", "runs")  # fmt: skip
        return same_rows and all(getattr(self, f) == getattr(other, f) for f in fields)

    __hash__ = None  # type: ignore[assignment]


def _in_set(column: pa.ChunkedArray, values: frozenset[str | None]) -> np.ndarray:
    wanted = pa.array(sorted(v for v in values if v is not None), pa.string())
    return value_mask(column, lambda d: pc.is_in(d, value_set=wanted), None in values)


def event_times(records: pa.Table) -> pa.ChunkedArray:
    """Each record's event time, its log time where it has none."""
    return pc.coalesce(records.column("event_time"), records.column("log_time"))


def structured_mask(records: pa.Table, flt: RecordFilter) -> np.ndarray:
    """The rows the cheap parts of ``flt`` (value sets, stream, time range, rows) let through."""
    mask = np.ones(records.num_rows, dtype=bool)
    for attr, name in DICTIONARY_FILTERS.items():
        values = getattr(flt, attr)
        if values is not None and name not in records.column_names:  # no runs told apart
            mask &= None in values
        elif values is not None:
            mask &= _in_set(records.column(name), values)
    if flt.stream is not None:
        if flt.stream not in STREAMS:
            raise FilterError(f"unknown source stream {flt.stream!r} (one of {', '.join(STREAMS)})")
        database = value_mask(records.column("format"), lambda d: pc.starts_with(d, "database"))
        mask &= database if flt.stream == "osquery_db" else ~database
    if flt.time_range is not None:
        lo, hi = (pa.scalar(t, pa.timestamp("us", tz="UTC")) for t in flt.time_range)
        times = event_times(records)
        inside = pc.and_(pc.greater_equal(times, lo), pc.less(times, hi))
        mask &= pc.fill_null(inside, False).to_numpy(zero_copy_only=False)
    if flt.rows is not None:
        rows = np.asarray(flt.rows, dtype=np.int64)
        chosen = np.zeros(records.num_rows, dtype=bool)
        chosen[rows[(rows >= 0) & (rows < records.num_rows)]] = True
        mask &= chosen
    return mask


def _text_mask(
    records: pa.Table, rows: np.ndarray, text: str, progress: Progress | None
) -> np.ndarray:
    """Which of ``rows`` contain ``text`` (any case) in a text column."""
    hit = np.zeros(records.num_rows, dtype=bool)
    for name in TEXT_DICTIONARY_COLUMNS:
        hit |= value_mask(
            records.column(name), lambda d: pc.match_substring(d, text, ignore_case=True)
        )
    found: np.ndarray = hit[rows]
    for name in TEXT_COLUMNS:
        table = records.select([name])
        for start, part, _, in_part in _pieces(table, rows, progress, "searching the text"):
            match = pc.match_substring(part.column(name), text, ignore_case=True)
            found[start : start + len(in_part)] |= _positions_of(match, in_part)
    return found


def _pieces(
    table: pa.Table, rows: np.ndarray, progress: Progress | None, message: str
) -> Iterator[tuple[int, pa.Table, np.ndarray, np.ndarray]]:
    """Yield ``(offset into rows, table piece, table row of each piece row, rows' positions in
    the piece)``: the taken rows when they are few, else the whole table slice by slice
    (zero-copy) with the positions of the rows inside each slice."""
    if len(rows) * SUBSET_SHARE < table.num_rows:
        for start in range(0, len(rows), SLICE_ROWS):
            some = rows[start : start + SLICE_ROWS]
            report(progress, start / max(len(rows), 1), message)
            yield start, take_rows(table, some), some, np.arange(len(some))
        return
    for lo in range(0, table.num_rows, SLICE_ROWS):
        report(progress, lo / max(table.num_rows, 1), message)
        a, b = np.searchsorted(rows, [lo, lo + SLICE_ROWS])
        if a < b:
            part = table.slice(lo, SLICE_ROWS)
            yield int(a), part, np.arange(lo, lo + part.num_rows, dtype=np.int64), rows[a:b] - lo


def _positions_of(match: pa.ChunkedArray | pa.Array, positions: np.ndarray) -> np.ndarray:
    values = pc.fill_null(match, False)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    found: np.ndarray = values.to_numpy(zero_copy_only=False)[positions]
    return found


def _sql_rows(
    records: pa.Table, rows: np.ndarray, where: str, progress: Progress | None
) -> np.ndarray:
    """The subset of ``rows`` for which the DuckDB expression ``where`` is true (checked and run
    in the SQL sandbox: see ``inspector.views.sql_sandbox``)."""
    where = check_where(where)
    # The clause gets lines of its own so that a trailing -- comment cannot swallow the bracket.
    sql = "SELECT __row FROM records WHERE __keep AND (\n" + where + "\n)"
    import duckdb  # here: the window imports the filters at its start, DuckDB comes later

    kept = []
    con = sandbox_connection()
    try:
        for _, part, numbers, positions in _pieces(records, rows, progress, "running SQL"):
            keep = np.zeros(part.num_rows, dtype=bool)
            keep[positions] = True
            extra = {"__row": pa.array(numbers), "__keep": pa.array(keep)}
            for name, values in extra.items():
                part = part.append_column(name, values)  # zero-copy for the record columns
            con.register("records", part)
            kept.append(np.asarray(con.sql(sql).fetchnumpy()["__row"], dtype=np.int64))
            con.unregister("records")
    except duckdb.Error as exc:
        raise FilterError(clean_duckdb_error(exc)) from None
    finally:
        con.close()
    return np.sort(np.concatenate(kept)) if kept else np.zeros(0, np.int64)


def filter_rows(
    records: pa.Table, flt: RecordFilter, progress: Progress | None = None
) -> np.ndarray:
    """Ascending table-row numbers (int64) of the records that ``flt`` lets through."""
    report(progress, 0.0, "filtering")
    rows = np.flatnonzero(structured_mask(records, flt)).astype(np.int64)
    text = flt.text.strip()
    if text and len(rows):
        rows = rows[_text_mask(records, rows, text, progress)]
    if flt.sql_where.strip() and len(rows):
        rows = _sql_rows(records, rows, flt.sql_where.strip(), progress)
    report(progress, 1.0, "filtered")
    return rows


def distinct_values(records: pa.Table, column: str) -> list[tuple[str | None, int]]:
    """The values of a dictionary column (host, subscriber, query, action) with their row
    counts, by value, null (if any) last: what a filter's choice list offers."""
    if column not in records.column_names:  # a run column only where runs are told apart
        return []
    counts = pc.value_counts(records.column(column))
    pairs = zip(
        counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
    )  # one entry per distinct value, not per row
    return sorted(pairs, key=lambda p: (p[0] is None, p[0] or ""))


def query_keys(records: pa.Table, query: str, sample: int = 300) -> list[str]:
    """The keys of the columns JSON of ``query``'s rows, in order of first appearance among its
    first ``sample`` rows: the columns a one-query view shows."""
    rows = np.flatnonzero(_in_set(records.column("query"), frozenset({query})))[:sample]
    if not len(rows):
        return []
    got = arrow_query(
        "SELECT json_keys(columns) AS k FROM t WHERE json_valid(columns)",
        t=take_rows(records.select(["columns"]), rows),
    )
    return list(dict.fromkeys(k for keys in got.column("k").to_pylist() for k in keys or []))


def queries_by_subscriber(records: pa.Table) -> dict[str | None, list[tuple[str | None, int]]]:
    """Per subscriber, its queries with their row counts (by name, null last): what the query
    choice offers once a subscriber is chosen."""
    if not records.num_rows or not {"subscriber", "query"} <= set(records.column_names):
        return {}
    pairs = records.select(["subscriber", "query"])
    pairs = pa.table({name: pairs.column(name).cast(pa.string()) for name in pairs.column_names})
    counts = pairs.group_by(["subscriber", "query"]).aggregate([([], "count_all")])
    out: dict[str | None, list[tuple[str | None, int]]] = {}
    for subscriber, query, n in zip(
        counts.column("subscriber").to_pylist(),
        counts.column("query").to_pylist(),
        counts.column("count_all").to_pylist(),
        strict=True,
    ):  # fmt: skip - one entry per (subscriber, query) pair, not per row
        out.setdefault(subscriber, []).append((query, n))
    for queries in out.values():
        queries.sort(key=lambda p: (p[0] is None, p[0] or ""))
    return out
