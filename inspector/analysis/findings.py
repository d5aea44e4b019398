"""Findings: duplicate bursts and re-baselines in the columns of the product contract.

Contract columns (product.md): kind, host, publisher, subscriber, query, start, end,
duplicate_factor, extra_rows, config_change_at, source — plus evidence columns after them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.duplicates import LINKED_MARKERS, duplicate_bursts, duplication_factors
from inspector.analysis.subscription_twins import subscription_twins
from inspector.duck import connection
from inspector.model import Workspace
from inspector.model.runs import runs_of, with_run_of_rows
from inspector.progress import Progress, report
from inspector.sql.in_memory import query_runs_of

TS = pa.timestamp("us", tz="UTC")
FINDINGS = pa.schema(
    [
        pa.field("kind", pa.string()),
        pa.field("host", pa.string()),
        pa.field("publisher", pa.string()),
        pa.field("subscriber", pa.string()),
        pa.field("query", pa.string()),
        pa.field("start", TS),
        pa.field("end", TS),
        pa.field("duplicate_factor", pa.float64()),
        pa.field("extra_rows", pa.int64()),
        pa.field("config_change_at", TS),
        pa.field("source", pa.string()),
        # evidence
        pa.field("signature", pa.string()),
        pa.field("baseline_factor", pa.float64()),
        pa.field("rows", pa.int64()),
        pa.field("marker", pa.string()),
        pa.field("marker_message", pa.string()),
        pa.field("open_start", pa.bool_()),
        # osquery_events corroboration: the subscriber's subscription count in the last snapshot
        # before the burst's cause and the highest one during the burst (null without snapshots).
        pa.field("subscriptions_before", pa.int64()),
        pa.field("subscriptions_during", pa.int64()),
        # Which run (input root) of a host given in several runs the finding is about; null
        # when the host is in one run (``inspector.model.runs``).
        pa.field("run", pa.string()),
    ]
)

# Over ``runs`` (QUERY_RUNS: ``inspector.sql.definitions.query_runs``, whichever engine made it).
REBASELINES_SQL = """
WITH ranked AS (
    SELECT *, row_number() OVER (PARTITION BY host, run, query ORDER BY log_time) AS nth,
           lag(epoch) OVER (PARTITION BY host, run, query ORDER BY log_time) AS previous_epoch
    FROM runs
)
SELECT 'rebaseline' AS kind, r.host, NULL AS publisher, NULL AS subscriber, r.query,
       r.log_time AS start, r.log_time AS "end", NULL::DOUBLE AS duplicate_factor,
       r.rows AS extra_rows, m.at AS config_change_at, 'results_log' AS source,
       CASE WHEN r.epoch IS DISTINCT FROM r.previous_epoch THEN 'new_epoch' ELSE 'full_state_again' END
           AS signature,
       NULL::DOUBLE AS baseline_factor, r.rows, m.marker, m.message AS marker_message,
       NULL::BOOLEAN AS open_start, NULL::BIGINT AS subscriptions_before,
       NULL::BIGINT AS subscriptions_during, r.run
FROM ranked r LEFT JOIN LATERAL (
    SELECT s.log_time AS at, CAST(s.marker AS VARCHAR) AS marker, s.message
    FROM status s
    WHERE CAST(s.marker AS VARCHAR) IN ('query_updated', 'database_error', 'agent_start', 'config_change')
      AND (s.host IS NULL OR CAST(s.host AS VARCHAR) = r.host) AND s.log_time <= r.log_time
      AND (r.run IS NULL OR s.run IS NULL OR s.run = r.run)
      AND s.log_time >= r.log_time - INTERVAL 1 HOUR
    ORDER BY (CAST(s.marker AS VARCHAR) = 'query_updated' AND contains(s.message, r.query)) DESC,
             s.log_time DESC
    LIMIT 1
) m ON true
WHERE r.counter = 0 AND r.nth > 1
"""


def _subscriber_counts(subscriptions: pa.Table) -> pa.Table:
    """Subscriber rows of ``osquery_events`` snapshots: (host, name, log_time, subscriptions)."""
    table = with_run_of_rows(
        subscriptions.select(["host", "name", "type", "log_time", "subscriptions",
                              *runs_of(subscriptions)])
    )  # fmt: skip
    table = table.cast(
        pa.schema([pa.field(f.name, pa.string() if pa.types.is_dictionary(f.type) else f.type)
                   for f in table.schema])
    )  # fmt: skip
    return table.filter(pc.equal(table.column("type"), "subscriber"))


@dataclass(frozen=True)
class Evidence:
    """What findings are made of: per-bucket factors and query runs (computed by an engine over
    the records: ``inspector.sql``) and a run's small tables."""

    factors: pa.Table  # FACTORS at the options' bucket size
    query_runs: pa.Table  # QUERY_RUNS
    status: pa.Table  # STATUS rows; those with a marker are all that is read
    mapping: pa.Table  # host × query → subscriber, publisher
    subscriptions: pa.Table  # SUBSCRIPTIONS (osquery_events snapshots)
    hosts: pa.Table  # HOSTS (platforms)


def find(
    ws: Workspace,
    options: BurstOptions | None = None,
    progress: Progress | None = None,
    factors: pa.Table | None = None,
    bursts: pa.Table | None = None,
) -> pa.Table:
    """Every finding of a loaded run, most extra rows first (``factors``: precomputed
    ``duplication_factors`` at the options' bucket size, and ``bursts``: their
    ``duplicate_bursts`` with the run's status, if the caller has them)."""
    options = options or BurstOptions()
    report(progress, 0.0, "looking for duplicated delivery")
    if factors is None:
        factors = duplication_factors(ws.records, options.bucket_seconds)
    evidence = Evidence(
        factors, query_runs_of(ws.records), ws.status, ws.mapping, ws.subscriptions, ws.hosts
    )
    return findings_of(evidence, options, progress, bursts)


def findings_of(
    evidence: Evidence,
    options: BurstOptions | None = None,
    progress: Progress | None = None,
    bursts: pa.Table | None = None,
) -> pa.Table:
    """Every finding in ``evidence`` (``FINDINGS``), most extra rows first: duplicate bursts with
    their markers and subscription counts, re-baselines, paths subscribed twice (``bursts``: the
    factors' ``duplicate_bursts``, when the caller has them already)."""
    options = options or BurstOptions()
    if bursts is None:
        bursts = duplicate_bursts(evidence.factors, evidence.status, options)
    con = connection()  # a cursor of the process's database (a new database: ~15 ms)
    try:
        con.register("runs", with_run_of_rows(evidence.query_runs))
        con.register("status", with_run_of_rows(evidence.status))
        con.register("mapping", evidence.mapping)
        con.register("bursts", bursts)
        con.register("subs", _subscriber_counts(evidence.subscriptions))
        report(progress, 0.6, "looking for re-baselines")
        duplicates = con.sql(
            f"""
            SELECT b.kind, b.host, b.publisher, b.subscriber,
                   CASE WHEN b.stream = 'results' THEN q.query END AS query,
                   b.start, b."end", b.duplicate_factor, b.extra_rows, b.config_change_at,
                   CASE WHEN b.stream = 'results' THEN 'results_log' ELSE 'osquery_db' END AS source,
                   b.signature, b.baseline_factor, b.rows, b.marker, b.marker_message, b.open_start,
                   (SELECT arg_max(s.subscriptions, s.log_time) FROM subs s
                    WHERE s.name = b.subscriber AND s.host IS NOT DISTINCT FROM b.host
                      AND s.run IS NOT DISTINCT FROM b.run
                      AND s.log_time < coalesce(b.config_change_at, b.start)) AS subscriptions_before,
                   -- snapshots inside the burst, before the next config change or restart:
                   -- one taken after it shows the next level, not this burst's
                   (SELECT max(s.subscriptions) FROM subs s
                    WHERE s.name = b.subscriber AND s.host IS NOT DISTINCT FROM b.host
                      AND s.run IS NOT DISTINCT FROM b.run
                      AND s.log_time >= b.start AND s.log_time <= b."end"
                      AND s.log_time < coalesce((
                          SELECT min(m.log_time) FROM status m
                          WHERE CAST(m.marker AS VARCHAR) IN {LINKED_MARKERS}
                            AND (m.host IS NULL OR CAST(m.host AS VARCHAR) = b.host)
                            AND (b.run IS NULL OR m.run IS NULL OR m.run = b.run)
                            AND m.log_time > coalesce(b.config_change_at, b.start)
                      ), b."end" + INTERVAL 1 SECOND)) AS subscriptions_during,
                   b.run
            FROM bursts b LEFT JOIN (
                SELECT host, subscriber, CASE WHEN count(*) = 1 THEN any_value(query) END AS query
                FROM mapping WHERE subscriber IS NOT NULL GROUP BY ALL
            ) q ON q.host IS NOT DISTINCT FROM b.host AND q.subscriber = b.subscriber
            """
        ).to_arrow_table()
        rebaselines = con.sql(REBASELINES_SQL).to_arrow_table()
    finally:
        con.close()
    hosts = evidence.hosts
    platforms = dict(
        zip(hosts.column("host").to_pylist(), hosts.column("platform").to_pylist(), strict=True)
    )
    twins = pa.Table.from_pylist(subscription_twins(evidence.status, platforms), schema=FINDINGS)
    table = pa.concat_tables([duplicates.cast(FINDINGS), rebaselines.cast(FINDINGS), twins])
    report(progress, 1.0, "findings ready")
    return order_findings(table)


def order_findings(table: pa.Table) -> pa.Table:
    """Findings by extra rows (most first), then start; ties broken by the lane — DuckDB returns
    grouped rows in no fixed order, and two scans of the same input must list them alike."""
    ties = [(k, "ascending") for k in ("kind", "host", "run", "publisher", "subscriber", "query",
                                       "source", "end")]  # fmt: skip
    return table.sort_by([("extra_rows", "descending"), ("start", "ascending"), *ties])
