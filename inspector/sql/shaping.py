"""What the definitions return, put in the analysis schemas and order, whichever engine ran them.

Engines hand back rows in any order with buckets as µs; the analysis expects lanes ordered by
their values (nulls last, as ``LaneCodes.ranked`` orders them) and each lane in time order — the
burst scan walks them so.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.binning import FACTORS, RATES, with_runs, zero_filled

DELIVERY_KEYS = ("host", "publisher", "subscriber", "stream")
RATE_KEYS = ("host", "publisher", "subscriber", "query", "stream")
TIMESTAMP = pa.timestamp("us", tz="UTC")

QUERY_RUNS = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("query", pa.string()),
        pa.field("log_time", TIMESTAMP),
        pa.field("epoch", pa.int64()),
        pa.field("counter", pa.int64()),
        pa.field("rows", pa.int64()),
    ]
)


def _text(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name)
    if pa.types.is_dictionary(column.type) or not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    return column.combine_chunks()


def _lane_order(table: pa.Table, keys: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Row order (lane by lane, nulls last, then by bucket) and each sorted row's lane rank."""
    columns = pa.table(
        {k: _text(table, k) for k in keys} | {"bucket_us": table.column("bucket_us")}
    )
    order = pc.sort_indices(columns, **_ascending_nulls_last([*keys, "bucket_us"])).to_numpy()
    lanes = pa.table({k: _text(table, k).take(pa.array(order)) for k in keys})
    if not len(order):
        return order, np.zeros(0, np.int64)
    changed = np.zeros(len(order), dtype=bool)
    changed[0] = True
    for k in keys:
        col = lanes.column(k)
        same = pc.fill_null(pc.equal(col.slice(1), col.slice(0, len(col) - 1)), False)
        both_null = pc.and_(pc.is_null(col.slice(1)), pc.is_null(col.slice(0, len(col) - 1)))
        changed[1:] |= ~pc.or_(same, both_null).to_numpy(zero_copy_only=False)
    return order, np.cumsum(changed) - 1


def _ascending_nulls_last(names: list[str]) -> dict[str, Any]:
    """``sort_indices`` options: ascending, nulls last (per key since pyarrow 25)."""
    if int(pa.__version__.split(".")[0]) >= 25:
        return {"sort_keys": [(n, "ascending", "at_end") for n in names]}
    return {"sort_keys": [(n, "ascending") for n in names], "null_placement": "at_end"}


def _keys(raw: pa.Table, keys: tuple[str, ...]) -> tuple[str, ...]:
    """Lane keys of ``raw``: ``keys``, with the run after the host when lanes are per run."""
    return (keys[0], "run", *keys[1:]) if "run" in raw.column_names else keys


def factors_table(counts: pa.Table, lanes: pa.Table) -> pa.Table:
    """``FACTORS`` from a ``definitions.factor_counts`` result and the ``definitions.lanes`` of
    the same records (which name each lane key): lane by lane, in time order (with the ``run``
    column when the definitions were run per run)."""
    schema = with_runs(FACTORS, "run" in lanes.column_names)
    if not counts.num_rows:
        return schema.empty_table()
    keys = _keys(lanes, DELIVERY_KEYS)
    named = lanes.select([*keys, "lane"])
    raw = counts.join(named, "lane", join_type="inner", use_threads=False)
    order, _ = _lane_order(raw, keys)
    take = pa.array(order)
    rows = raw.column("n_rows").combine_chunks().take(take).to_numpy()
    distinct = raw.column("distinct_rows").combine_chunks().take(take).to_numpy()
    table = pa.table(
        {**{k: _text(raw, k).take(take) for k in keys},
         "bucket": raw.column("bucket_us").combine_chunks().take(take).cast(pa.int64()).cast(TIMESTAMP),
         "rows": rows, "distinct_rows": distinct,
         "eids": raw.column("eids").combine_chunks().take(take).cast(pa.int64()),
         "factor": rows / np.maximum(distinct, 1)}
    )  # fmt: skip
    return table.select(schema.names).cast(schema)


def host_records(lanes: pa.Table) -> pa.Table:
    """Records per host (``host``, ``n_rows``) from ``definitions.lanes``."""
    per_host = lanes.group_by("host", use_threads=False).aggregate([("n_rows", "sum")])
    return per_host.select(["host", "n_rows_sum"]).rename_columns(["host", "n_rows"])


def rates_table(raw: pa.Table, width_us: int) -> pa.Table:
    """``RATES`` from a ``definitions.rates`` result: every lane's buckets from its first to its
    last, empty ones as zeros, lane by lane in time order."""
    schema = with_runs(RATES, "run" in raw.column_names)
    if not raw.num_rows:
        return schema.empty_table()
    keys = _keys(raw, RATE_KEYS)
    order, rank = _lane_order(raw, keys)
    take = pa.array(order)
    bucket = raw.column("bucket_us").combine_chunks().take(take).to_numpy().astype(np.int64)
    n = raw.column("n_rows").combine_chunks().take(take).to_numpy()
    lane, buckets, counts = zero_filled(rank, bucket, n, int(width_us))
    first_of_lane = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1]])
    pick = pa.array(order[first_of_lane][lane])
    table = pa.table(
        {**{k: _text(raw, k).take(pick) for k in keys},
         "bucket": pa.array(buckets, pa.int64()).cast(TIMESTAMP), "rows": counts}
    )  # fmt: skip
    return table.select(schema.names).cast(schema)


def query_runs_table(raw: pa.Table) -> pa.Table:
    """``QUERY_RUNS`` from a ``definitions.query_runs`` result."""
    runs = "run" in raw.column_names  # per run of a host given in several: a run column last
    schema = with_runs(QUERY_RUNS, runs)
    if not raw.num_rows:
        return schema.empty_table()
    return pa.table(
        {
            "host": _text(raw, "host"),
            "query": _text(raw, "query"),
            "log_time": raw.column("log_us").cast(pa.int64()).cast(TIMESTAMP),
            "epoch": raw.column("epoch").cast(pa.int64()),
            "counter": raw.column("counter").cast(pa.int64()),
            "rows": raw.column("n_rows").cast(pa.int64()),
            **({"run": _text(raw, "run")} if runs else {}),
        },
        schema=schema,
    )


def markers_table(raw: pa.Table) -> pa.Table:
    """Status rows of ``definitions.markers`` with ``log_time`` as a UTC timestamp again."""
    log_time = raw.column("log_us").cast(pa.int64()).cast(TIMESTAMP)
    return raw.drop_columns(["log_us"]).append_column("log_time", log_time)
