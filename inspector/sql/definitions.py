"""The duplication analysis written once, as SQL over a relation ``records`` (LOADED_RECORDS).

Each function returns the query text for one engine's ``Dialect``; the engine binds ``records``
(an Arrow table in memory, a Parquet dataset, a Spark view) and runs it. What counts follows
``inspector.analysis.binning``:

- a record's time is its event time, else its log time (µs); rows with neither are left out;
- its delivery lane is host × publisher → subscriber × stream (``database`` for rows read from
  osquery.db, ``results`` for everything logged);
- deliveries are the rows of a subscriber, neither stored query results (``database_stored``)
  nor ``removed`` rows;
- its content is the ``content`` column (the hash of its columns without ``eid``);
- with ``runs`` (the relation has a ``run`` column: a host seen in several runs of one load,
  ``inspector.model.runs``), the run is part of every lane: two runs of a host never share a
  bucket, and the results carry a ``run`` column (null for hosts in one run).

Results come back unordered with the bucket as µs (``bucket_us``); ``inspector.sql.shaping``
orders them and gives them the analysis schemas, whichever engine ran them.
"""

from __future__ import annotations

from inspector.sql.dialect import Dialect


def stream(d: Dialect, format_expr: str = "format") -> str:
    """SQL: ``database`` for rows read from osquery.db, ``results`` for logged ones (NULL format
    stays NULL, as ``stream_of_formats`` leaves it)."""
    fmt = d.text(format_expr)
    return f"CASE WHEN {fmt} IS NULL THEN NULL WHEN {fmt} LIKE 'database%' THEN 'database' ELSE 'results' END"


def event_time(d: Dialect) -> str:
    """SQL: a record's time in µs, its event time, else its log time."""
    return f"coalesce({d.micros('event_time')}, {d.micros('log_time')})"


def _run(d: Dialect, runs: bool, alias: str = "run") -> str:
    """SQL select item: the run as text (only when the relation has one)."""
    return f"{d.text('run')} AS {alias}, " if runs else ""


def deliveries(d: Dialect, runs: bool = False) -> str:
    """The event deliveries of ``records``: lane, time (µs), content and eid."""
    return f"""
    SELECT {d.text("host")} AS host, {_run(d, runs)}{d.text("publisher")} AS publisher,
           {d.text("subscriber")} AS subscriber, {stream(d)} AS stream,
           {event_time(d)} AS t, content, {d.text("eid")} AS eid
    FROM records
    WHERE subscriber IS NOT NULL
      AND coalesce({d.text("format")}, '') <> 'database_stored'
      AND coalesce({d.text("action")}, '') <> 'removed'
      AND {event_time(d)} IS NOT NULL
    """


def _lane_columns(runs: bool) -> tuple[str, ...]:
    """The values a delivery lane is told apart by (``Dialect.lane_key`` hashes them)."""
    return ("host", "publisher", "subscriber", "stream", *(("run",) if runs else ()))


def factor_counts(d: Dialect, width_us: int, runs: bool = False) -> str:
    """Per delivery lane (its 64-bit key, ``Dialect.lane_key``) and bucket: rows, distinct
    contents and the eid evidence. ``lanes`` gives each key's values; ``shaping.factors_table``
    joins the two into ``FACTORS``.

    Two stages: the copies of one content within a bucket first (with the spread of their eids),
    then per bucket. A content whose copies all carry one eid is that eid seen again (counts 1);
    copies with different eids each count (the two signatures of osquery's duplication bugs);
    ``eids`` is NULL for a bucket where no row selected an eid. Both stages group on the lane's
    key (a third of the time of grouping on four strings); its values — the few distinct ones
    of the records — come from ``lanes``, a pass over the records that the fleet scan needs
    anyway (it also gives the records per host). Rows are spread by lane and bucket before the first
    stage (``Dialect.repartition_hint``), so an engine that distributes them (Spark) moves them
    once for both stages; the eid key is taken before that, a number moving instead of a
    string."""
    width = int(width_us)
    lane = d.lane_key(*_lane_columns(runs))
    return f"""
    WITH deliveries AS (
        SELECT {d.repartition_hint("lane", "bucket_us")} lane, bucket_us, content, eid_key
        FROM (SELECT {lane} AS lane, {d.div("t", width)} * {width} AS bucket_us, content,
                     CASE WHEN eid IS NOT NULL THEN {d.eid_key("eid")} END AS eid_key
              FROM ({deliveries(d, runs)}) delivered) keyed
    ),
    copies AS (
        SELECT lane, bucket_us, content, count(*) AS n,
               min(eid_key) AS eid_lo, max(eid_key) AS eid_hi
        FROM deliveries
        GROUP BY lane, bucket_us, content
    )
    SELECT lane, bucket_us,
           CAST(sum(n) AS BIGINT) AS n_rows, CAST(count(*) AS BIGINT) AS distinct_rows,
           CASE WHEN count(eid_lo) > 0
                THEN CAST(sum(CASE WHEN eid_lo IS NULL THEN 0 WHEN eid_lo = eid_hi THEN 1
                                   ELSE n END) AS BIGINT)
           END AS eids
    FROM copies
    GROUP BY lane, bucket_us
    """


def lanes(d: Dialect, runs: bool = False) -> str:
    """Records per lane — host (× run) × publisher → subscriber × stream, every row whatever
    its kind (rows of no subscriber make lanes of their own) — with the lane's key as
    ``factor_counts`` takes it. One pass gives both the values of the factors' lanes and the
    records per host; the key is taken per lane, not per row."""
    run = "run, " if runs else ""
    return f"""
    SELECT host, {run}publisher, subscriber, stream,
           {d.lane_key(*_lane_columns(runs))} AS lane, n_rows
    FROM (SELECT host, {run}publisher, subscriber, stream, CAST(count(*) AS BIGINT) AS n_rows
          FROM (SELECT {d.text("host")} AS host, {_run(d, runs)}{d.text("publisher")} AS publisher,
                       {d.text("subscriber")} AS subscriber, {stream(d)} AS stream
                FROM records) valued
          GROUP BY host, {run}publisher, subscriber, stream) counted
    """


def rates(d: Dialect, width_us: int, runs: bool = False) -> str:
    """Rows per rate lane and bucket (gaps are filled after): host × publisher → subscriber ×
    query (only for rows of no subscriber) × stream (× run); stored query results are not
    events."""
    width = int(width_us)
    bucket = f"{d.div('t', width)} * {width}"
    run = "run, " if runs else ""
    return f"""
    WITH timed AS (
        SELECT {d.text("host")} AS host, {_run(d, runs)}{d.text("publisher")} AS publisher,
               {d.text("subscriber")} AS subscriber,
               CASE WHEN subscriber IS NULL THEN {d.text("query")} END AS query,
               {stream(d)} AS stream, {event_time(d)} AS t
        FROM records
        WHERE coalesce({d.text("format")}, '') <> 'database_stored'
    )
    SELECT host, {run}publisher, subscriber, query, stream, {bucket} AS bucket_us,
           CAST(count(*) AS BIGINT) AS n_rows
    FROM timed WHERE t IS NOT NULL
    GROUP BY host, {run}publisher, subscriber, query, stream, {bucket}
    """


def query_runs(d: Dialect, runs: bool = False) -> str:
    """Runs of differential (non-event, non-snapshot) logged queries: per host (× run) × query
    × log time × epoch, the lowest counter and the rows — what re-baselines are found in."""
    fmt = d.text("format")
    run = f"{d.text('run')}, " if runs else ""
    return f"""
    SELECT {d.text("host")} AS host, {_run(d, runs)}{d.text("query")} AS query, {d.micros("log_time")} AS log_us,
           epoch, min(counter) AS counter, CAST(count(*) AS BIGINT) AS n_rows
    FROM records
    WHERE subscriber IS NULL AND query IS NOT NULL AND log_time IS NOT NULL
      AND NOT ({fmt} LIKE 'database%') AND {fmt} <> 'snapshot'
      AND coalesce({d.text("action")}, '') <> 'snapshot'
    GROUP BY {d.text("host")}, {run}{d.text("query")}, {d.micros("log_time")}, epoch
    """


def stripped_columns(d: Dialect) -> str:
    """SQL: a record's columns JSON text without its ``"eid":"…"`` pair (osquery writes the eid
    as a quoted string, so the exact pair is removed, not a pattern)."""
    eid = d.text("eid")
    return (
        f"CASE WHEN eid IS NULL THEN columns "
        f"ELSE replace(columns, concat('\"eid\":\"', {eid}, '\"'), '') END"
    )


def stable_content(d: Dialect) -> str:
    """SQL: the content identity stored in a fleet dataset — a hash of the columns without the
    eid that DuckDB and Spark compute alike (``Dialect.stable_hash64``)."""
    return d.stable_hash64(stripped_columns(d))


def markers(d: Dialect) -> str:
    """The status rows that carry a marker (all the findings read of the status log), with the
    log time as µs (engines hand timestamps over in their own ways)."""
    return f"""
    SELECT {d.text("source")} AS source, line, {d.text("host")} AS host,
           {d.micros("log_time")} AS log_us, {d.text("marker")} AS marker, subject, message,
           file, {d.text("severity")} AS severity
    FROM status WHERE marker IS NOT NULL
    """


def spans(d: Dialect) -> str:
    """Per host × stream the first and last record time (µs): the observed span a lane's rate
    per hour is taken over (stored query results left out)."""
    return f"""
    SELECT host, stream, min(t) AS first_us, max(t) AS last_us
    FROM (SELECT {d.text("host")} AS host, {stream(d)} AS stream, {event_time(d)} AS t
          FROM records WHERE {d.text("format")} <> 'database_stored') timed
    WHERE t IS NOT NULL
    GROUP BY host, stream
    """
