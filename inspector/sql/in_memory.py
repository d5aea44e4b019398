"""The definitions run on DuckDB over a records table in memory (zero copy from Arrow)."""

from __future__ import annotations

import pyarrow as pa

from inspector.content_hash import with_content
from inspector.duck import arrow_query
from inspector.model.runs import has_runs, runs_of
from inspector.sql import definitions, shaping
from inspector.sql.dialect import DUCKDB

DELIVERY_COLUMNS = (
    "host", "publisher", "subscriber", "format", "action", "event_time", "log_time", "eid",
    "content",
)  # fmt: skip
RATE_COLUMNS = ("host", "publisher", "subscriber", "query", "format", "event_time", "log_time")
RUN_COLUMNS = (
    "host", "query", "subscriber", "format", "action", "log_time", "epoch", "counter",
)  # fmt: skip


def factors_of(records: pa.Table, width_us: int) -> pa.Table:
    """``FACTORS`` of ``records`` (its content hash computed first if it has none)."""
    slim = with_content(records).select([*DELIVERY_COLUMNS, *runs_of(records)])
    runs = has_runs(records)
    counts = arrow_query(definitions.factor_counts(DUCKDB, width_us, runs), records=slim)
    lanes = arrow_query(definitions.lanes(DUCKDB, runs), records=slim)
    return shaping.factors_table(counts, lanes)


def rates_of(records: pa.Table, width_us: int) -> pa.Table:
    """``RATES`` of ``records``, gaps as zeros."""
    slim = records.select([*RATE_COLUMNS, *runs_of(records)])
    raw = arrow_query(definitions.rates(DUCKDB, width_us, has_runs(records)), records=slim)
    return shaping.rates_table(raw, width_us)


def query_runs_of(records: pa.Table) -> pa.Table:
    """``QUERY_RUNS`` of ``records``: the runs re-baselines are looked for in."""
    slim = records.select([*RUN_COLUMNS, *runs_of(records)])
    sql = definitions.query_runs(DUCKDB, has_runs(records))
    return shaping.query_runs_table(arrow_query(sql, records=slim))
