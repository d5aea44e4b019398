"""Events per time bucket per lane (host × publisher → subscriber, or host × query), zero-filled.

A lane's empty buckets are present as zeros so gaps (restarts, downtime) show. Event time is the
row's own ``time``; rows without one count at their log time.
"""

from __future__ import annotations

import pyarrow as pa

from inspector.duck import arrow_query
from inspector.progress import Progress, report

RATES = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("query", pa.string()),  # set for lanes of queries that read no event table
        pa.field("stream", pa.string()),  # results | database
        pa.field("bucket", pa.timestamp("us", tz="UTC")),
        pa.field("rows", pa.int64()),
    ]
)

LANES_SQL = """
WITH rows AS (
    SELECT CAST(host AS VARCHAR) AS host, CAST(publisher AS VARCHAR) AS publisher,
           CAST(subscriber AS VARCHAR) AS subscriber,
           CASE WHEN subscriber IS NULL THEN CAST(query AS VARCHAR) END AS query,
           CASE WHEN starts_with(CAST(format AS VARCHAR), 'database') THEN 'database' ELSE 'results' END AS stream,
           epoch_us(coalesce(event_time, log_time)) AS t
    FROM records
    WHERE coalesce(event_time, log_time) IS NOT NULL AND CAST(format AS VARCHAR) <> 'database_stored'
), binned AS (
    SELECT host, publisher, subscriber, query, stream, (t // $width) * $width AS b, count(*) AS n
    FROM rows GROUP BY ALL
), spans AS (
    SELECT host, publisher, subscriber, query, stream, min(b) AS lo, max(b) AS hi FROM binned GROUP BY ALL
), grid AS (
    SELECT host, publisher, subscriber, query, stream, unnest(range(lo, hi + $width, $width)) AS b FROM spans
)
SELECT g.host, g.publisher, g.subscriber, g.query, g.stream, make_timestamptz(g.b) AS bucket,
       coalesce(n, 0) AS rows
FROM grid g LEFT JOIN binned n
  ON n.b = g.b AND n.host IS NOT DISTINCT FROM g.host AND n.publisher IS NOT DISTINCT FROM g.publisher
 AND n.subscriber IS NOT DISTINCT FROM g.subscriber AND n.query IS NOT DISTINCT FROM g.query
 AND n.stream = g.stream
ORDER BY g.host, g.publisher, g.subscriber, g.query, g.stream, g.b
"""


def event_rates(
    records: pa.Table, bucket_seconds: int = 60, progress: Progress | None = None
) -> pa.Table:
    """Rows per bucket of ``bucket_seconds`` (1 s … 1 day) for every lane, empty buckets as 0."""
    if not 1 <= bucket_seconds <= 86400:
        raise ValueError("bucket size must be between 1 second and 1 day")
    report(progress, 0.0, "counting events per bucket")
    table = arrow_query(
        LANES_SQL.replace("$width", str(bucket_seconds * 1_000_000)), records=records
    )
    report(progress, 1.0, "rates ready")
    return table.cast(RATES)
