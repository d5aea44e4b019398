"""``fleet scan``: the duplication findings of every host of a dataset, on DuckDB or Spark.

The engine runs the definitions (``inspector.sql.definitions``: factor counts, the lanes with
their records, query runs, marker rows) over the dataset; everything after — bursts, their markers, the
re-baselines and the subscription twins — is the same Python that ``scan`` runs
(``inspector.analysis.findings.findings_of``), on the small tables the engine hands back. So a
host's findings here are its findings from ``scan`` of its own files, whichever engine ran.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.findings import Evidence, findings_of
from inspector.fleet import layout
from inspector.fleet.engines import Engine, Scope, is_remote, open_engine, spark_start_message
from inspector.progress import Cancelled, Progress, report
from inspector.sql import definitions, shaping

HOST_SUMMARY = pa.schema(
    [
        pa.field("host", pa.string()),
        pa.field("records", pa.int64()),
        pa.field("findings", pa.int64()),
    ]
)


@dataclass
class FleetScan:
    """A fleet scan's answer."""

    engine: str
    findings: pa.Table  # FINDINGS
    hosts: pa.Table  # HOST_SUMMARY
    factors: pa.Table  # FACTORS of every host (the heat map's cells)
    markers: pa.Table  # status rows with a marker
    bucket_seconds: int


def read_small(dataset: str, name: str, hosts: tuple[str, ...] | None = None) -> pa.Table:
    """One of the dataset's small tables (every finished ingest run's), in its schema; only
    ``hosts``'s rows when given."""
    schema = layout.SMALL[name]
    files = [] if is_remote(dataset) else layout.finished_files(dataset, name)
    if not files:
        return schema.empty_table()
    table = pa.concat_tables([pq.read_table(f, schema=schema) for f in files])
    if hosts is not None and "host" in table.column_names:
        table = table.filter(pc.is_in(table.column("host"), pa.array(hosts, pa.string())))
    return table


def distinct_rows(table: pa.Table) -> pa.Table:
    """``table`` without repeated rows (small tables written again by later ingest runs)."""
    if not table.num_rows:
        return table
    return (
        table.group_by(table.column_names, use_threads=False)
        .aggregate([])
        .select(table.column_names)
    )


def one_per_host(hosts: pa.Table) -> pa.Table:
    """The latest ingest's platform of each host."""
    seen: dict[str, dict[str, Any]] = {}
    for row in hosts.to_pylist():
        seen[row["host"]] = row
    return pa.Table.from_pylist(list(seen.values()), schema=hosts.schema)


def named_hosts(hosts: pa.Table, mapping: pa.Table) -> list[str]:
    """The hosts the ``hosts`` and ``mapping`` tables name (one with status lines only too)."""
    names = hosts.column("host").to_pylist() + mapping.column("host").to_pylist()
    return sorted({h for h in names if h})


def dataset_hosts(dataset: str) -> list[str]:
    """Every host the dataset names."""
    return named_hosts(read_small(dataset, "hosts"), read_small(dataset, "mapping"))


def scope_of(
    dataset: str,
    hosts_glob: str | Sequence[str] | None,
    since_us: int | None,
    until_us: int | None,
) -> Scope:
    """The scan's scope: the hosts matching ``hosts_glob`` — a shell pattern, or several (a host
    matching any of them) — all when None, and the time range."""
    globs = (hosts_glob,) if isinstance(hosts_glob, str) else tuple(hosts_glob or ())
    globs = tuple(g for g in globs if g)
    hosts = None
    if globs:
        hosts = tuple(
            h for h in dataset_hosts(dataset) if any(fnmatch.fnmatchcase(h, g) for g in globs)
        )
    return Scope(hosts, since_us, until_us)


def fleet_scan(
    dataset: str,
    engine: str = "duckdb",
    options: BurstOptions | None = None,
    scope: Scope | None = None,
    spark_master: str | None = None,
    progress: Progress | None = None,
    engine_instance: Engine | None = None,
) -> FleetScan:
    """Findings of every host in ``dataset`` within ``scope``."""
    options = options or BurstOptions()
    scope = scope or Scope()
    starting = None
    if engine == "spark" and engine_instance is None:
        starting = spark_start_message(spark_master or "local[*]")
    report(progress, 0.02, starting or f"opening the dataset on {engine}")
    db = engine_instance or open_engine(engine, dataset, scope, spark_master)
    # Cancelling stops the queries too, not only the steps between them.
    forget = progress.on_cancel(db.interrupt) if progress is not None else None
    try:
        d = db.dialect
        report(progress, 0.1, "counting copies per bucket, query runs, markers")
        width = options.bucket_seconds * 1_000_000
        queries = [
            definitions.factor_counts(d, width),
            definitions.lanes(d),
            definitions.query_runs(d),
            definitions.markers(d),
        ]

        def finished(n: int) -> None:
            report(progress, 0.1 + 0.7 * n / len(queries), f"{n} of {len(queries)} queries done")

        raw_counts, lanes, raw_runs, raw_markers = db.sql_all(queries, finished)
        factors = shaping.factors_table(raw_counts, lanes)
        counts = shaping.host_records(lanes)
        runs = shaping.query_runs_table(raw_runs)
        markers = shaping.markers_table(raw_markers)
    except Exception:
        if progress is not None and progress.cancelled:
            raise Cancelled() from None  # the interrupted query's own error says nothing more
        raise
    finally:
        if forget is not None:
            forget()
        if engine_instance is None:
            db.close()
    report(progress, 0.8, "duplicate bursts")
    evidence = Evidence(
        factors=factors,
        query_runs=runs,
        status=markers,
        mapping=distinct_rows(read_small(dataset, "mapping", scope.hosts)),
        subscriptions=read_small(dataset, "subscriptions", scope.hosts),
        hosts=one_per_host(read_small(dataset, "hosts", scope.hosts)),
    )
    findings = findings_of(evidence, options)
    report(progress, 1.0, "findings ready")
    # Every host the scope's host patterns select, with its records and findings in the time
    # range: 0 for one that sent nothing then, or status lines only.
    summary = host_summary(counts, findings, named_hosts(evidence.hosts, evidence.mapping))
    return FleetScan(engine, findings, summary, factors, markers, options.bucket_seconds)


def host_summary(counts: pa.Table, findings: pa.Table, named: Sequence[str] = ()) -> pa.Table:
    """Per host: records and findings, hosts in name order (no host last); a host of ``named``
    with neither has a row of zeros."""
    per_host: dict[str | None, int] = {}
    for h in findings.column("host").to_pylist():
        per_host[h] = per_host.get(h, 0) + 1
    records = dict(
        zip(counts.column("host").to_pylist(), counts.column("n_rows").to_pylist(), strict=True)
    )
    names = sorted(set(records) | set(per_host) | set(named), key=lambda h: (h is None, h or ""))
    return pa.table(
        {
            "host": pa.array(names, pa.string()),
            "records": pa.array([int(records.get(h, 0)) for h in names], pa.int64()),
            "findings": pa.array([per_host.get(h, 0) for h in names], pa.int64()),
        },
        schema=HOST_SUMMARY,
    )
