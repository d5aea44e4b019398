"""Status-log rows written in the agent's wall-clock time (clock "local") placed on UTC.

The rule (product.md): the agent's zone — ``--tz`` if given, else the offset inferred from the run
(``zone_evidence``), else UTC, flagged as assumed. The viewer's own zone never changes what is
read. Years that a file could only take from its modification time are moved to the run's
results when those say otherwise. The outcome per host is a ``STATUS_CLOCKS`` row with its
evidence, shown in Sources and by ``scan``.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.arrow_columns import dictionary_digits, take_rows, value_mask
from inspector.duck import arrow_query
from inspector.loading.zone_evidence import (
    QUARTER_US,
    Votes,
    best_offset,
    exec_votes,
    host_key,
    instant_votes,
)
from inspector.model import LoadOptions, SourceReport
from inspector.schema import STATUS_CLOCKS, TIMESTAMP
from inspector.timezones import local_to_utc

MINUTE_US = 60 * 1_000_000
DAY_US = 86_400 * 1_000_000
START_LINES = r"osquery initialized|osquery worker initialized|executing worker \("


def place_status_times(
    status: pa.Table,
    records: pa.Table,
    sources: list[SourceReport],
    options: LoadOptions,
) -> tuple[pa.Table, pa.Table]:
    """``status`` with local rows placed on UTC, and the ``STATUS_CLOCKS`` report."""
    if not status.num_rows:
        return status, STATUS_CLOCKS.empty_table()
    clock = pc.cast(status.column("clock"), pa.string())
    local_mask = np.asarray(
        pc.fill_null(
            pc.and_(pc.equal(clock, "local"), pc.is_valid(status.column("local_time"))), False
        )
    )
    if not local_mask.any():
        return status, STATUS_CLOCKS.empty_table()
    keys = _row_hosts(status, records)
    local_us = np.asarray(
        pc.fill_null(pc.cast(status.column("local_time"), pa.int64()), 0).to_numpy(
            zero_copy_only=False
        )
    )
    moved = _move_assumed_years(status, records, keys, local_us, local_mask, sources)
    if not np.array_equal(moved, local_us):
        local_us = np.where(local_mask, moved, local_us)
        written = pa.array(
            local_us, pa.int64(), mask=np.asarray(pc.is_null(status.column("local_time")))
        )
        index = status.schema.get_field_index("local_time")
        status = status.set_column(index, "local_time", written.cast(pa.timestamp("us")))
    row_sources = status.column("source").cast(pa.string()).to_numpy(zero_copy_only=False)
    utc_us = local_us.copy()
    reports = []
    for key in sorted({k for k, m in zip(keys, local_mask, strict=True) if m}, key=str):
        mine = local_mask & (keys == key)
        paths = sorted(set(row_sources[mine].tolist()))
        if options.tz:
            placed = local_to_utc(local_us[mine], options.tz).cast(pa.int64())
            utc_us[mine] = np.asarray(placed)
            reports.append(
                _report(
                    key, "given", options.tz, None, "--tz (or the window's setting)", paths, mine
                )
            )
            continue
        minutes, evidence = _infer(key, status, records, local_us, local_mask, keys, sources)
        if minutes is None:
            utc_us[mine] = local_us[mine]
            reports.append(_report(key, "assumed", "UTC", 0, evidence, paths, mine))
        else:
            utc_us[mine] = local_us[mine] - minutes * MINUTE_US
            reports.append(
                _report(key, "inferred", _zone_name(minutes), minutes, evidence, paths, mine)
            )
    log_time = pc.if_else(
        pa.array(local_mask),
        pa.array(utc_us, pa.int64()).cast(TIMESTAMP),
        status.column("log_time"),
    )
    status = status.set_column(status.schema.get_field_index("log_time"), "log_time", log_time)
    return status, pa.Table.from_pylist(reports, schema=STATUS_CLOCKS)


def _report(
    key: str | None,
    basis: str,
    zone: str,
    minutes: int | None,
    evidence: str,
    paths: list[str],
    rows: np.ndarray,
) -> dict[str, Any]:
    return {
        "host": key,
        "basis": basis,
        "zone": zone,
        "offset_minutes": minutes,
        "evidence": evidence,
        "sources": paths,
        "lines": int(rows.sum()),
    }


def _zone_name(minutes: int) -> str:
    if minutes == 0:
        return "UTC+00:00"
    sign = "+" if minutes > 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _row_hosts(status: pa.Table, records: pa.Table) -> np.ndarray:
    """Each status row's host key; rows without a host are the run's only host's, if it has one."""
    keys: np.ndarray = host_key(status.column("host")).to_numpy(zero_copy_only=False).astype(object)
    known = set(k for k in keys if k is not None)
    if records.num_rows:
        names = pc.unique(records.column("host").cast(pa.string())).drop_null()
        known |= set(host_key(names).to_pylist())
    if len(known) == 1:
        only = next(iter(known))
        keys = np.array([only if k is None else k for k in keys], dtype=object)
    return keys


def _runs(records: pa.Table, queries: set[str]) -> pa.Table:
    """(host, query, u_us) of every logged run of ``queries`` (distinct), from the results.
    DuckDB reads the dictionary columns in place: no string per row is built."""
    empty = pa.table({"host": pa.array([], pa.string()), "query": pa.array([], pa.string()),
                      "u_us": pa.array([], pa.int64())})  # fmt: skip
    if not records.num_rows or not queries:
        return empty
    found = arrow_query(
        "SELECT DISTINCT CAST(host AS VARCHAR) AS host, CAST(query AS VARCHAR) AS query, "
        "epoch_us(log_time) AS u_us FROM r WHERE CAST(query AS VARCHAR) IN (SELECT q FROM w) "
        "AND log_time IS NOT NULL",
        r=records.select(["host", "query", "log_time"]),
        w=pa.table({"q": pa.array(sorted(queries), pa.string())}),
    )
    return found.set_column(0, "host", host_key(found.column("host")))


# Kinds of evidence, most reliable first: unique instants beat a periodic schedule's timing.
KINDS = ("starts", "messages", "readers", "execs")


def _infer(
    key: str | None,
    status: pa.Table,
    records: pa.Table,
    local_us: np.ndarray,
    local_mask: np.ndarray,
    keys: np.ndarray,
    sources: list[SourceReport],
) -> tuple[int | None, str]:
    """The host's offset in minutes east of UTC (None: not known) and what says so.

    Each kind of evidence names its best offset, or the offsets it cannot tell apart; the
    answer is the one offset every kind allows. Where kinds disagree the most reliable wins."""
    votes = {kind: Votes() for kind in KINDS}
    mine = local_mask & (keys == key)
    _exec_votes(key, status, records, local_us, mine, votes["execs"])
    _start_votes(key, status, records, local_us, mine, votes["starts"])
    _message_votes(key, status, local_us, mine, keys, votes["messages"])
    for source in sources:
        for ev in source.zone_evidence:
            host = ev.get("host")
            if host is None or host_key(pa.array([host]))[0].as_py() == key:
                how = f"{ev['how']} ({os.path.basename(source.path)})"
                votes["readers"].add(int(ev["offset_minutes"]), float(ev["votes"]), how)
    allowed: set[int] | None = None
    deciding: list[str] = []
    for kind in KINDS:
        best, tied = best_offset(votes[kind], minimum=1.0)
        options = {best} if best is not None else set(tied)
        if not options:
            continue
        if allowed is None or allowed & options:
            allowed = options if allowed is None else allowed & options
            deciding.append(kind)
    if not allowed:
        return None, "no evidence of the agent's zone in the run (pass --tz); UTC assumed"
    if len(allowed) == 1:
        minutes = allowed.pop()
        return minutes, "; ".join(h for k in deciding for h in votes[k].how.get(minutes, []))
    tied = sorted(allowed)
    names = ", ".join(_zone_name(m) for m in tied)
    chosen = _mtime_tiebreak(key, status, local_us, mine, tied)
    if chosen is not None:
        how = "; ".join(h for k in deciding for h in votes[k].how.get(chosen, []))
        return chosen, f"{how}; tied with {names}: the status files' modification time picks it"
    return None, f"ambiguous: the evidence fits {names} alike (pass --tz); UTC assumed"


def _exec_votes(
    key: str | None,
    status: pa.Table,
    records: pa.Table,
    local_us: np.ndarray,
    mine: np.ndarray,
    votes: Votes,
) -> None:
    """'Executing scheduled query X' lines against the logged runs of X."""
    marker = pc.cast(status.column("marker"), pa.string()).to_numpy(zero_copy_only=False)
    subject = status.column("subject").to_numpy(zero_copy_only=False)
    execs = mine & (marker == "query_executed")
    if not execs.any() or not records.num_rows:
        return
    n = int(execs.sum())
    table = pa.table({"host": pa.array(["h"] * n, pa.string()),
                      "query": pa.array(subject[execs], pa.string()),
                      "local_us": pa.array(local_us[execs], pa.int64())})  # fmt: skip
    runs = _runs(records, set(subject[execs].tolist()))
    if key is not None:
        runs = runs.filter(pc.equal(runs.column("host"), key))
    runs = runs.set_column(0, "host", pa.array(["h"] * runs.num_rows, pa.string()))
    for row in exec_votes(table, runs).to_pylist():
        how = f"{row['matched']:,} of {row['runs']:,} result runs matched by exec lines"
        votes.add(row["minutes"], row["matched"], how)


def _start_votes(
    key: str | None,
    status: pa.Table,
    records: pa.Table,
    local_us: np.ndarray,
    mine: np.ndarray,
    votes: Votes,
) -> None:
    """osquery_info.start_time (UTC) against the worker's start lines."""
    starts = mine & np.asarray(
        pc.fill_null(pc.match_substring_regex(status.column("message"), START_LINES), False)
    )
    if not starts.any() or not records.num_rows:
        return
    queries = _osquery_info_queries(records)
    if not queries:
        return
    wanted = pa.array(queries, pa.string())
    keep = value_mask(records.column("query"), lambda names: pc.is_in(names, value_set=wanted))
    info = records.filter(pa.array(keep)).select(["host", "columns"])
    utc = arrow_query(
        "SELECT DISTINCT 'start' AS kind, host_key AS host, "
        "CAST(TRY_CAST(json_extract_string(columns, '$.start_time') AS BIGINT) * 1000000 AS BIGINT) AS u_us "
        "FROM i WHERE u_us IS NOT NULL",
        i=pa.table({"host_key": host_key(info.column("host")), "columns": info.column("columns")}),
    )
    if key is not None:
        utc = utc.filter(pc.equal(utc.column("host"), key))
    utc = utc.set_column(1, "host", pa.array(["h"] * utc.num_rows, pa.string()))
    local = pa.table({"kind": pa.array(["start"] * int(starts.sum())),
                      "host": pa.array(["h"] * int(starts.sum())),
                      "local_us": pa.array(local_us[starts], pa.int64())})  # fmt: skip
    for row in instant_votes(local, utc).to_pylist():
        votes.add(row["minutes"], 5.0 * row["matched"],
                  f"osquery_info.start_time matched {row['matched']:,} worker start lines")  # fmt: skip


def _osquery_info_queries(records: pa.Table) -> list[str]:
    """Queries whose rows are ``osquery_info``'s (start_time, config_hash, pid), judged by each
    query's first row: the text of every row is not scanned."""
    digits, names = dictionary_digits(records.column("query"))
    present, first = np.unique(digits, return_index=True)
    columns = take_rows(records.select(["columns"]), np.sort(first[present > 0])).column("columns")
    order = np.argsort(first[present > 0])
    found = []
    for name, text in zip(
        names.take(pa.array(present[present > 0][order] - 1)).to_pylist(),
        columns.to_pylist(),
        strict=True,
    ):
        if all(f'"{key}":' in text for key in ("start_time", "config_hash", "pid")):
            found.append(name)
    return found


def _message_votes(
    key: str | None,
    status: pa.Table,
    local_us: np.ndarray,
    mine: np.ndarray,
    keys: np.ndarray,
    votes: Votes,
) -> None:
    """The same message as a local-time line and as a UTC JSON record of the same host."""
    clock = pc.cast(status.column("clock"), pa.string()).to_numpy(zero_copy_only=False)
    utc_rows = (clock == "utc") & (keys == key)
    if not utc_rows.any() or not mine.any():
        return
    text = pc.binary_join_element_wise(
        pc.fill_null(status.column("file"), ""), pc.fill_null(pc.cast(status.column("src_line"), pa.string()), ""),
        status.column("message"), "\x1f",
    ).to_numpy(zero_copy_only=False)  # fmt: skip
    utc_us = np.asarray(pc.fill_null(pc.cast(status.column("log_time"), pa.int64()), 0))
    local = pa.table({"kind": pa.array(text[mine]), "host": pa.array(["h"] * int(mine.sum())),
                      "local_us": pa.array(local_us[mine], pa.int64())})  # fmt: skip
    utc = pa.table({"kind": pa.array(text[utc_rows]), "host": pa.array(["h"] * int(utc_rows.sum())),
                    "u_us": pa.array(utc_us[utc_rows], pa.int64())})  # fmt: skip
    for row in instant_votes(local, utc, tolerance_s=2).to_pylist():
        votes.add(row["minutes"], 2.0 * row["matched"],
                  f"{row['matched']:,} messages also logged with a UTC time (JSON status)")  # fmt: skip


def _mtime_tiebreak(
    key: str | None, status: pa.Table, local_us: np.ndarray, mine: np.ndarray, tied: list[int]
) -> int | None:
    """Among tied offsets, the one the newest line and its file's modification time give."""
    sources = status.column("source").cast(pa.string()).to_numpy(zero_copy_only=False)
    picks = set()
    for path in set(sources[mine].tolist()):
        rows = mine & (sources == path)
        try:
            mtime_us = int(os.path.getmtime(path) * 1_000_000)
        except OSError:
            continue
        newest = int(local_us[rows].max())
        residual = (newest - mtime_us) - round((newest - mtime_us) / QUARTER_US) * QUARTER_US
        if abs(residual) <= 5 * 1_000_000:
            picks.add(round((newest - mtime_us) / QUARTER_US) * 15)
    fitting = picks & set(tied)
    return fitting.pop() if len(fitting) == 1 else None


def _move_assumed_years(
    status: pa.Table,
    records: pa.Table,
    keys: np.ndarray,
    local_us: np.ndarray,
    local_mask: np.ndarray,
    reports: list[SourceReport],
) -> np.ndarray:
    """Years a file took from its modification time, moved to its host's results when the
    results lie whole years away (a bundle copied without its files' times)."""
    assumed = [s.path for s in reports if s.year_assumed]
    if not assumed or not records.num_rows:
        return local_us
    sources = status.column("source").cast(pa.string()).to_numpy(zero_copy_only=False)
    span_of: dict[Any, tuple[int, int]] = {}
    spans = arrow_query(
        "SELECT CAST(host AS VARCHAR) AS host, min(epoch_us(log_time)) AS lo, "
        "max(epoch_us(log_time)) AS hi FROM r WHERE log_time IS NOT NULL GROUP BY 1",
        r=records.select(["host", "log_time"]),
    )
    for host, lo, hi in zip(host_key(spans.column("host")).to_pylist(),
                            spans.column("lo").to_pylist(), spans.column("hi").to_pylist(),
                            strict=True):  # fmt: skip
        if host is None:
            continue  # lines of no known host: other hosts' results say nothing of their year
        old_lo, old_hi = span_of.get(host, (lo, hi))
        span_of[host] = (min(lo, old_lo), max(hi, old_hi))
    out = local_us.copy()
    by_path = {s.path: s for s in reports}
    for path in assumed:
        rows = local_mask & (sources == path)
        if not rows.any():
            continue
        key = keys[rows][0]
        lo, hi = span_of.get(key, (0, 0))
        if not hi:
            continue
        first, last = int(local_us[rows].min()), int(local_us[rows].max())
        shift = _years_towards(first, last, lo, hi)
        if shift:
            out[rows] = _add_years(local_us[rows], shift)
            report = by_path.get(path)
            note = f"years moved by {shift:+d} to the host's results ({_iso(lo)} – {_iso(hi)})"
            if report is not None and note not in report.notes:
                report.notes.append(note)
    return out


def _years_towards(first: int, last: int, lo: int, hi: int) -> int:
    """Whole years that bring the span [first, last] nearest [lo, hi] (0 if they overlap)."""

    def gap(k: int) -> int:
        a, b = first + int(k * 365.2425 * DAY_US), last + int(k * 365.2425 * DAY_US)
        return max(0, lo - b, a - hi)

    if gap(0) <= 2 * DAY_US:
        return 0
    best = min(range(-5, 6), key=lambda k: (gap(k), abs(k)))
    return best if gap(best) < gap(0) else 0


def _add_years(us: np.ndarray, years: int) -> np.ndarray:
    stamps = us.astype("datetime64[us]")
    months = stamps.astype("datetime64[M]")
    within = stamps - months.astype("datetime64[us]")
    moved = (months + np.timedelta64(12 * years, "M")).astype("datetime64[us]") + within
    moved_us: np.ndarray = moved.astype(np.int64)
    return moved_us


def _iso(us: int) -> str:
    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC).strftime("%Y-%m-%d")
