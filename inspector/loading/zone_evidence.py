"""Evidence of an agent's UTC offset: its wall-clock status lines set against UTC facts of the run.

glog and syslog write the agent's local time without a zone; results carry UTC. Where the same
moment shows on both sides, the difference is the offset (rounded to a quarter hour, as zones
are). Each kind of evidence gives votes per host and candidate offset:

- ``Executing scheduled query X`` lines against the unixTime of X's runs in the results: a run
  is matched when an exec line lies 0–5 s before it (the run's time is set after its SQL ran).
  A schedule repeats every interval, so offsets that differ by a multiple of 15 minutes can match
  as many runs; only the stretches where the phase changes (starts, restarts, gaps) tell them
  apart — a tie is reported, never broken by a guess.
- ``osquery_info.start_time`` (UTC) against the worker's start lines (``osquery initialized``,
  ``executing worker``): unique instants, strong evidence.
- the same status message both as a local-time glog line and as a UTC JSON record (a TLS
  logger's buffer beside the glog file).
- what the readers saw inside a file (system-log ISO timestamps, systemctl's zone name).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from inspector.duck import arrow_query

QUARTER_US = 15 * 60 * 1_000_000
MAX_OFFSET_US = 14 * 3600 * 1_000_000
RUN_SAMPLE = 5000  # runs per host looked at: plenty to vote, bounded cost


@dataclass
class Votes:
    """Per candidate offset (minutes east of UTC): how many moments agree, and from what."""

    counts: dict[int, float] = field(default_factory=dict)
    how: dict[int, list[str]] = field(default_factory=dict)

    def add(self, minutes: int, count: float, how: str) -> None:
        self.counts[minutes] = self.counts.get(minutes, 0.0) + count
        self.how.setdefault(minutes, []).append(how)


def host_key(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Host names compared loosely: lower case, the short name before the first dot."""
    text = pc.utf8_lower(pc.cast(column, pa.string()))
    return pc.replace_substring_regex(text, r"\..*$", "")


def exec_votes(local: pa.Table, runs: pa.Table) -> pa.Table:
    """(host, minutes, matched, runs) from exec lines against result runs of the same query.

    ``local``: host, query, local_us of ``query_executed`` lines; ``runs``: host, query, u_us."""
    if not local.num_rows or not runs.num_rows:
        return pa.table({"host": pa.array([], pa.string()), "minutes": pa.array([], pa.int64()),
                         "matched": pa.array([], pa.int64()), "runs": pa.array([], pa.int64())})  # fmt: skip
    return arrow_query(
        f"""
        WITH r AS (
            SELECT host, query, u_us FROM (
                SELECT *, row_number() OVER (PARTITION BY host ORDER BY hash(u_us, query)) AS k
                FROM (SELECT DISTINCT host, query, u_us FROM runs)
            ) WHERE k <= {RUN_SAMPLE}
        ), e AS (
            SELECT DISTINCT host, query, local_us,
                   CAST(floor((local_us % {QUARTER_US}) / 1000000) AS BIGINT) AS phase FROM local
        ), keyed AS (
            -- the exec line lies 0–5 s before the run's unixTime: compare seconds of the
            -- quarter hour, then the whole difference
            SELECT r.*, (CAST(floor((u_us % {QUARTER_US}) / 1000000) AS BIGINT) - d + 900) % 900
                   AS phase FROM r, range(0, 7) t(d)
        ), pairs AS (
            SELECT k.host, k.query, k.u_us,
                   CAST(round((e.local_us - k.u_us) / {QUARTER_US}) AS BIGINT) * 15 AS minutes,
                   (e.local_us - k.u_us) - round((e.local_us - k.u_us) / {QUARTER_US}) * {QUARTER_US}
                       AS residual
            FROM keyed k JOIN e USING (host, query, phase)
            WHERE abs(e.local_us - k.u_us) <= {MAX_OFFSET_US}
        )
        SELECT host, minutes, count(DISTINCT (query, u_us)) AS matched,
               (SELECT count(*) FROM r WHERE r.host = p.host) AS runs
        FROM pairs p WHERE residual BETWEEN -6000000 AND 1000000
        GROUP BY host, minutes
        """,
        local=local,
        runs=runs,
    )


def instant_votes(local: pa.Table, utc: pa.Table, tolerance_s: int = 5) -> pa.Table:
    """(host, minutes, matched) from local instants against UTC instants of the same kind and
    host (``kind`` names what the instant is; each local instant votes once per offset)."""
    if not local.num_rows or not utc.num_rows:
        return pa.table({"host": pa.array([], pa.string()), "minutes": pa.array([], pa.int64()),
                         "matched": pa.array([], pa.int64())})  # fmt: skip
    return arrow_query(
        f"""
        SELECT host, minutes, count(DISTINCT local_us) AS matched FROM (
            SELECT l.host, l.local_us,
                   CAST(round((l.local_us - u.u_us) / {QUARTER_US}) AS BIGINT) * 15 AS minutes,
                   (l.local_us - u.u_us) - round((l.local_us - u.u_us) / {QUARTER_US}) * {QUARTER_US}
                       AS residual
            FROM local l JOIN utc u ON l.host = u.host AND l.kind = u.kind
            WHERE abs(l.local_us - u.u_us) <= {MAX_OFFSET_US}
        ) WHERE abs(residual) <= {tolerance_s * 1_000_000}
        GROUP BY host, minutes
        """,
        local=local,
        utc=utc,
    )


def best_offset(votes: Votes, minimum: float = 3.0) -> tuple[int | None, list[int]]:
    """The offset with the most votes when it leads clearly; else None and the tied ones."""
    if not votes.counts:
        return None, []
    ranked = sorted(votes.counts.items(), key=lambda kv: -kv[1])
    top, top_votes = ranked[0]
    if top_votes < minimum:
        return None, []
    tied = [m for m, v in ranked if v >= 0.97 * top_votes]
    if len(tied) == 1:
        return top, tied
    return None, sorted(tied)
