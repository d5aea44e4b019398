"""The status log's sign of duplicated delivery: one path subscribed twice in one configure pass.

``Added listener to: PATH`` (file_events; ``Added file event listener to:`` since 4.x) and
``Added YARA listener to: PATH`` are logged once per subscription a subscriber makes while it is
configured. Those subscribers remove their subscriptions before adding them again on a config
change, so the same lines after a config change, a worker start or a restart are normal; the same
path added twice with none of those in between means two subscriptions, and every event on that
path delivered twice (osquery issue 1374 and relatives).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from inspector.catalog.event_tables import event_tables
from inspector.duck import arrow_query
from inspector.model.runs import with_run_of_rows

# A new configure pass starts with any of these (per host and run).
PASS_BOUNDARIES = ("config_change", "agent_start", "worker_start", "worker_restart", "agent_stop")

_SQL = f"""
WITH s AS (
    SELECT CAST(host AS VARCHAR) AS host, log_time, CAST(marker AS VARCHAR) AS marker, subject,
           message, file, source, line, run,
           sum(CASE WHEN CAST(marker AS VARCHAR) IN {PASS_BOUNDARIES} THEN 1 ELSE 0 END)
               OVER (PARTITION BY CAST(host AS VARCHAR), run ORDER BY log_time, source, line
                     ROWS UNBOUNDED PRECEDING) AS pass,
           last_value(CASE WHEN CAST(marker AS VARCHAR) IN {PASS_BOUNDARIES} THEN log_time END
                      IGNORE NULLS)
               OVER (PARTITION BY CAST(host AS VARCHAR), run ORDER BY log_time, source, line
                     ROWS UNBOUNDED PRECEDING) AS pass_start,
           last_value(CASE WHEN CAST(marker AS VARCHAR) IN {PASS_BOUNDARIES}
                           THEN CAST(marker AS VARCHAR) END IGNORE NULLS)
               OVER (PARTITION BY CAST(host AS VARCHAR), run ORDER BY log_time, source, line
                     ROWS UNBOUNDED PRECEDING) AS pass_marker,
           last_value(CASE WHEN CAST(marker AS VARCHAR) IN {PASS_BOUNDARIES} THEN message END
                      IGNORE NULLS)
               OVER (PARTITION BY CAST(host AS VARCHAR), run ORDER BY log_time, source, line
                     ROWS UNBOUNDED PRECEDING) AS pass_message
    FROM status
), added AS (
    SELECT *,
        CASE WHEN regexp_matches(coalesce(file, ''), '^[a-z_]+_events\\.cpp$')
             THEN regexp_replace(file, '\\.cpp$', '')
             WHEN contains(message, 'YARA') THEN 'yara_events'
             ELSE 'file_events' END AS subscriber
    FROM s WHERE marker = 'subscription_added' AND subject IS NOT NULL
)
SELECT host, run, subscriber, subject AS path, count(*) AS adds,
       arg_min(log_time, log_time) AS first_at, max(log_time) AS last_at,
       any_value(pass_start) AS pass_start, any_value(pass_marker) AS pass_marker,
       any_value(pass_message) AS pass_message, max(message) AS message
FROM added GROUP BY host, run, subscriber, subject, pass
HAVING count(*) > 1
ORDER BY first_at
"""


def subscription_twins(
    status: pa.Table, platforms: dict[str | None, str | None]
) -> list[dict[str, Any]]:
    """Findings (as dicts in the findings columns) of paths subscribed more than once in one
    configure pass; ``platforms``: host → platform, to name the publisher."""
    if not status.num_rows:
        return []
    rows = arrow_query(_SQL, status=with_run_of_rows(status)).to_pylist()
    tables = event_tables()
    out = []
    for r in rows:
        table = tables.get(r["subscriber"])
        publisher = table.publisher_for(platforms.get(r["host"])) if table else None
        out.append(
            {
                "kind": "duplicate_subscription",
                "host": r["host"],
                "publisher": publisher,
                "subscriber": r["subscriber"],
                "query": None,
                "start": r["first_at"],
                "end": r["last_at"],
                "duplicate_factor": float(r["adds"]),
                "extra_rows": None,
                "config_change_at": r["pass_start"],
                "source": "status_log",
                "signature": f"{r['path']} subscribed {r['adds']} times in one configure pass",
                "baseline_factor": 1.0,
                "rows": None,
                "marker": r["pass_marker"],
                "marker_message": r["pass_message"],
                "run": r["run"],
                "open_start": r["pass_start"] is None,
                "subscriptions_before": None,
                "subscriptions_during": r["adds"],
            }
        )
    return out
