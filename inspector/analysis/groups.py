"""Duplicate groups: an id shared by every copy of one delivered event, for the records export."""

from __future__ import annotations

import pyarrow as pa

from inspector.analysis.duplicates import delivery_lanes
from inspector.content_hash import with_content
from inspector.duck import arrow_query

DUPLICATE_GROUP = pa.field("duplicate_group", pa.int64())

_GROUPS_SQL = """
SELECT CASE WHEN lane >= 0 AND count(*) OVER (PARTITION BY lane, content) > 1
            THEN (hash(lane, content) >> 1)::BIGINT END AS duplicate_group  -- fits in int64
FROM (SELECT *, row_number() OVER () AS i FROM slim)
ORDER BY i
"""


def duplicate_groups(records: pa.Table) -> pa.ChunkedArray:
    """Per record, an id shared by every copy of its content in its source stream (host ×
    subscriber × results log or database); null for records with no copy and for rows that are
    not event deliveries (query results, stored state, 'removed' rows)."""
    if not records.num_rows:
        return pa.chunked_array([], pa.int64())
    records = with_content(records)
    slim = pa.table({"lane": delivery_lanes(records), "content": records.column("content")})
    return arrow_query(_GROUPS_SQL, slim=slim).column("duplicate_group")


def with_duplicate_groups(records: pa.Table) -> pa.Table:
    """``records`` (with their content hash) and a ``duplicate_group`` column."""
    records = with_content(records)
    return records.append_column(DUPLICATE_GROUP, duplicate_groups(records))
