"""``osquery_events`` results (snapshot or differential) as a subscriptions-over-time table.

A doubled subscription shows as inflated ``subscriptions`` counts of a publisher and its
subscribers (openbsm 9 → 18), not as extra rows: this table lets the analysis see that growth.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from inspector.schema import SUBSCRIPTIONS

_SQL = """
SELECT source, line, host, query, log_time, action,
    v[1] AS name, v[2] AS publisher, v[3] AS type,
    TRY_CAST(v[4] AS BIGINT) AS subscriptions, TRY_CAST(v[5] AS BIGINT) AS events,
    TRY_CAST(v[6] AS BIGINT) AS refreshes, TRY_CAST(v[7] AS BIGINT) AS active
FROM (
    SELECT *, json_extract_string(columns,
        ['$.name', '$.publisher', '$.type', '$.subscriptions', '$.events', '$.refreshes', '$.active']) AS v
    FROM r WHERE list_contains(?, CAST(query AS VARCHAR))
)
ORDER BY log_time, line
"""


def subscriptions_table(
    con: duckdb.DuckDBPyConnection, records: pa.Table, queries: list[str]
) -> pa.Table:
    """Rows of the ``osquery_events`` queries among ``records`` as a ``SUBSCRIPTIONS`` table."""
    if not queries or not records.num_rows:
        return SUBSCRIPTIONS.empty_table()
    con.register(
        "r", records.select(["source", "line", "host", "query", "log_time", "action", "columns"])
    )
    try:
        table = con.sql(_SQL, params=[queries]).to_arrow_table()
    finally:
        con.unregister("r")
    return table.cast(SUBSCRIPTIONS)
