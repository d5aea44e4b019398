"""Writing a whole demo run: per host what the agent leaves on disk, and ``truth.json``.

``write_run`` is deterministic for a seed. Sizes are met by measuring a small pilot first and
then setting the event rates, so ``--size 1GB`` writes about 1 GB in one vectorised pass.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from typing import Any

import numpy as np
import pyarrow as pa

from inspector import __version__
from inspector.demo import lines as L
from inspector.demo.config_file import DECORATIONS, SNAPSHOT_INTERVAL, SNAPSHOT_QUERY, config_text
from inspector.demo.database import write_database
from inspector.demo.differential import INTERVAL as DIFF_INTERVAL
from inspector.demo.differential import DiffRows, differential_rows
from inspector.demo.events import StreamRows, run_offset, stream_rows
from inspector.demo.osquery_events import snapshot_rows
from inspector.demo.osquery_info import SQL as INFO_SQL
from inspector.demo.osquery_info import osquery_info_rows
from inspector.demo.osquery_info import run_times as info_runs
from inspector.demo.results_file import (
    Lines,
    WrittenLog,
    differential_lines,
    merge,
    stream_lines,
    write_rotated,
)
from inspector.demo.scenarios import SCENARIOS, Scenario
from inspector.demo.schedule import Timeline
from inspector.demo.status_log import WATCHER_PID, local, status_lines, worker_starts
from inspector.progress import Progress, report

# Bump when what the generator writes changes: cached demo runs are then written again.
GENERATOR_VERSION = 4
START = 1793577600  # 2026-11-02 00:00:00 UTC: a Monday
RESULTS = "osqueryd.results.log"
SNAPSHOTS = "osqueryd.snapshots.log"
MIN_ROTATE, MAX_ROTATE = 256 * 1024, 25 * 1024 * 1024  # osquery's default rotation is 25 MiB


def write_run(
    out_dir: str,
    scenario_name: str = "openbsm-double",
    *,
    seed: int = 1,
    hours: float = 6.0,
    size: int = 40_000_000,
    time_zone: str = "UTC",
    progress: Progress | None = None,
    host: str | None = None,
) -> dict[str, Any]:
    """Write the run into ``out_dir`` (replacing an earlier run there); return the truth.

    ``time_zone``: the demo host's zone, in which its glog status log is written; ``host``: a
    name for the host instead of the scenario's (a fleet of demo hosts)."""
    scenario = SCENARIOS[scenario_name]
    if host is not None:
        scenario = dataclasses.replace(scenario, host=host)
    timeline = Timeline.of(scenario, START, hours)
    host_dir = _fresh_host_dir(out_dir, scenario)
    decorations = DECORATIONS[scenario.platform] if scenario.decorations else None
    rotate = int(min(MAX_ROTATE, max(MIN_ROTATE, size // 8)))

    report(progress, 0.02, "measuring a pilot")
    rates = _calibrate(scenario, timeline, seed, size, decorations)
    rng = np.random.default_rng(seed)
    streams, diffs, parts = _generate(rng, scenario, timeline, rates, decorations, progress)
    report(progress, 0.6, "writing results logs")
    written = write_rotated(host_dir, RESULTS, merge(parts), rotate, rng)

    report(progress, 0.85, "writing snapshots, status log and config")
    snapshots = _write_snapshots(host_dir, scenario, timeline, streams, decorations)
    rebaselines = sorted((at, d.query, cause) for d in diffs for at, cause in d.rebaselines)
    executions = _executions(scenario, timeline, diffs[-1])
    markers = _write_status(host_dir, scenario, timeline, rebaselines, executions, time_zone)
    conf = config_text(scenario, rotate, epoch=int(timeline.epoch(np.array([timeline.end]))[0]))
    with open(os.path.join(host_dir, "osquery.conf"), "w", encoding="utf-8") as f:
        f.write(conf)
    report(progress, 0.92, "writing osquery.db")
    database = write_database(
        os.path.join(host_dir, "osquery.db"), scenario, timeline, streams, diffs, _sql(conf)
    )
    truth = _truth(scenario, timeline, seed, hours, size, streams, diffs, snapshots, markers,
                   written, host_dir, out_dir, time_zone)  # fmt: skip
    truth["database"] = {"path": os.path.join(scenario.host, "osquery.db"), **database}
    truth["faults"] += _buffered_faults(
        truth["faults"], streams, database["buffered_from"], timeline.end
    )
    with open(os.path.join(out_dir, "truth.json"), "w", encoding="utf-8") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
    report(progress, 1.0, "done")
    return truth


def _fresh_host_dir(out_dir: str, scenario: Scenario) -> str:
    """The host's folder, empty (a run written here before is replaced whole)."""
    _remove_previous_run(out_dir)
    host_dir = os.path.join(out_dir, scenario.host)
    if os.path.isdir(host_dir):
        shutil.rmtree(host_dir)
    os.makedirs(host_dir)
    return host_dir


def _generate(
    rng: np.random.Generator,
    scenario: Scenario,
    timeline: Timeline,
    rates: list[float],
    decorations: dict[str, Any] | None,
    progress: Progress | None,
) -> tuple[list[StreamRows], list[DiffRows], list[Lines]]:
    """The rows of every scheduled query (event streams, differentials, osquery_info last) and
    their results-log lines."""
    streams: list[StreamRows] = []
    parts: list[Lines] = []
    for k, stream in enumerate(scenario.streams):
        report(progress, 0.05 + 0.5 * k / len(scenario.streams), f"generating {stream.table}")
        sr = stream_rows(rng, scenario, timeline, stream, k, rates[k])
        streams.append(sr)
        parts.append(stream_lines(scenario, sr, k, decorations))
    diffs: list[DiffRows] = []
    for k, spec in enumerate(scenario.differentials):
        d = differential_rows(rng, scenario, timeline, spec, k)
        diffs.append(d)
        parts.append(differential_lines(scenario, d, len(scenario.streams) + k, decorations))
    info = osquery_info_rows(scenario, timeline, worker_starts(timeline))
    diffs.append(info)
    parts.append(
        differential_lines(scenario, info, len(scenario.streams) + len(diffs), decorations)
    )
    return streams, diffs, parts


def _remove_previous_run(out_dir: str) -> None:
    """A run written here before is replaced whole: its host folders go (only those it wrote)."""
    try:
        with open(os.path.join(out_dir, "truth.json"), encoding="utf-8") as f:
            hosts = [h["dir"] for h in json.load(f).get("hosts", [])]
    except (OSError, ValueError, KeyError, TypeError):
        return
    for rel in hosts:
        path = os.path.normpath(os.path.join(out_dir, rel))
        if os.path.dirname(path) == os.path.normpath(out_dir) and os.path.isdir(path):
            shutil.rmtree(path)


def _calibrate(
    scenario: Scenario, timeline: Timeline, seed: int, size: int, decorations: dict[str, Any] | None
) -> list[float]:
    """Events per second for each stream so that the results logs come to about ``size`` bytes."""
    rng = np.random.default_rng(seed + 7919)
    seconds = timeline.end - timeline.start
    pilot_rate = 2000 / seconds
    bytes_per_event = 0.0
    for k, stream in enumerate(scenario.streams):
        sr = stream_rows(rng, scenario, timeline, stream, k, pilot_rate * stream.share / 0.25)
        text = stream_lines(scenario, sr, k, decorations).text
        written = sum(len(x) for x in text.to_pylist()) + len(text)
        events = max(float(np.sum(1.0 / sr.factor)), 1.0)  # each event's copies sum to one
        rows_per_event = len(sr.time) / events
        per_row = written / max(len(sr.time), 1)
        bytes_per_event += stream.share * per_row * rows_per_event
    total_events = max(size, 10_000) / max(bytes_per_event, 1.0)
    return [total_events * s.share / seconds for s in scenario.streams]


def _write_snapshots(
    host_dir: str,
    scenario: Scenario,
    timeline: Timeline,
    streams: list[StreamRows],
    decorations: dict[str, Any] | None,
) -> int:
    lines: list[str] = []
    for at in range(timeline.start + 23 + SNAPSHOT_INTERVAL, timeline.end + 1, SNAPSHOT_INTERVAL):
        if timeline.running(np.array([at]))[0]:
            rows = snapshot_rows(scenario, timeline, streams, at)
            lines.append(
                L.snapshot_line(
                    SNAPSHOT_QUERY, scenario.host, at, rows, decorations,
                    numerics=scenario.numerics, top_level=scenario.decorations_top_level,
                    epoch=int(timeline.epoch(np.array([at]))[0]),
                    numeric_columns=("subscriptions", "events", "refreshes", "active"),
                )
            )  # fmt: skip
    with open(os.path.join(host_dir, SNAPSHOTS), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def _executions(
    scenario: Scenario, timeline: Timeline, info: DiffRows
) -> list[tuple[float, str, str]]:
    """(time, query, SQL) of every scheduled run: the --verbose status log names each one just
    before the run's results get their time."""
    out: list[tuple[float, str, str]] = []

    def every(offset: int, interval: int, query: str, sql: str) -> None:
        runs = np.arange(timeline.start + offset, timeline.end + 1, interval, dtype=np.int64)
        for run in runs[timeline.running(runs)].tolist():
            out.append((run - 0.4, query, sql))

    for k, stream in enumerate(scenario.streams):
        select = "SELECT *, eid" if stream.select_eid else "SELECT *"
        every(run_offset(k), scenario.interval, stream.query, f"{select} FROM {stream.table};")
    for k, d in enumerate(scenario.differentials):
        every(
            (11 + 17 * k) % 60 + DIFF_INTERVAL, DIFF_INTERVAL, d.query, f"SELECT * FROM {d.table};"
        )
    every(
        23 + SNAPSHOT_INTERVAL, SNAPSHOT_INTERVAL, SNAPSHOT_QUERY, "SELECT * FROM osquery_events;"
    )
    out += [
        (run - 0.4, info.query, INFO_SQL) for run in info_runs(timeline, worker_starts(timeline))
    ]
    return out


def _write_status(
    host_dir: str,
    scenario: Scenario,
    timeline: Timeline,
    rebaselines: list[tuple[int, str, str]],
    executions: list[tuple[float, str, str]],
    time_zone: str,
) -> list[dict[str, Any]]:
    lines, markers = status_lines(
        scenario, timeline, [s.query for s in scenario.streams], rebaselines, executions, time_zone
    )
    stamp = local(timeline.start, time_zone).strftime("%Y%m%d-%H%M%S")  # glog names: local time
    name = f"osqueryd.INFO.{stamp}.{WATCHER_PID}"
    with open(os.path.join(host_dir, name), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    link = os.path.join(host_dir, "osqueryd.INFO")
    if os.path.lexists(link):
        os.remove(link)
    os.symlink(name, link)
    return markers


def _buffered_faults(
    faults: list[dict[str, Any]], streams: list[StreamRows], since: int, end: int
) -> list[dict[str, Any]]:
    """The part of each fault still held in the database's event buffer (events from ``since``).

    A fault that began before the buffer's oldest event is cut there (``open_start``): the
    database cannot show where it began, only that its oldest events are already duplicated.
    """
    out: list[dict[str, Any]] = []
    for fault in faults:
        lo, hi = max(_epoch(fault["start"]), since), min(_epoch(fault["end"]), end)
        if hi <= lo:
            continue
        sr = next(s for s in streams if s.stream.table == fault["subscriber"])
        rows = int(np.count_nonzero((sr.time >= lo) & (sr.time < hi)))
        out.append(dict(fault, source="osquery_db", query=None, start=_iso(lo), end=_iso(hi),
                        open_start=lo > _epoch(fault["start"]), rows=rows,
                        extra_rows=round(rows * (1 - 1 / fault["factor"]))))  # fmt: skip
    return out


def _epoch(iso: str) -> int:
    return int(dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z")


def _sql(conf: str) -> dict[str, str]:
    """Scheduled query name → SQL, as the config names them (what osquery stores as query.<name>)."""
    from inspector.readers.config import parse_json_document, queries_from_config

    rows, _, _ = queries_from_config(parse_json_document(conf), "osquery.conf")
    return {r["query"]: r["sql"] for r in rows if r["sql"]}


def _marker(m: dict[str, Any] | None) -> dict[str, Any] | None:
    return {"kind": m["kind"], "at": _iso(m["at"]), "message": m["message"]} if m else None


def _truth(
    scenario: Scenario,
    timeline: Timeline,
    seed: int,
    hours: float,
    size: int,
    streams: list[StreamRows],
    diffs: list[DiffRows],
    snapshots: int,
    markers: list[dict[str, Any]],
    written: WrittenLog,
    host_dir: str,
    out_dir: str,
    time_zone: str = "UTC",
) -> dict[str, Any]:
    faults = _fault_truth(scenario, timeline, streams, markers)
    rebaselines = _rebaseline_truth(scenario, diffs, markers)
    rows_per_query = {sr.stream.query: len(sr.time) for sr in streams}
    rows_per_query.update({d.query: len(d.rows) for d in diffs})
    rel = os.path.relpath(host_dir, out_dir)
    return {
        "generator": {"app_version": __version__, "generator_version": GENERATOR_VERSION,
                      "scenario": scenario.name, "seed": seed, "hours": hours,
                      "size": size, "description": scenario.description},
        "time_zone": time_zone,
        "start": _iso(timeline.start), "end": _iso(timeline.end),
        "hosts": [{"host": scenario.host, "platform": scenario.platform, "dir": rel}],
        "subscribers": [{"host": scenario.host, "query": sr.stream.query, "subscriber": sr.stream.table,
                         "publisher": sr.publisher, "doubles": sr.stream.doubles, "events": sr.events,
                         "rows": len(sr.time), "legitimate_twins": sr.twins} for sr in streams],
        "faults": faults,
        "rebaselines": rebaselines,
        "markers": [{"host": scenario.host, "kind": m["kind"], "at": _iso(m["at"]), "message": m["message"]}
                    for m in markers],
        "rows_per_query": {scenario.host: rows_per_query},
        "snapshot_lines": {scenario.host: {SNAPSHOT_QUERY: snapshots}},
        "results_files": [os.path.join(rel, os.path.basename(p)) for p in written.files],
        "damaged_lines": [dict(d, file=os.path.join(rel, d["file"])) for d in written.damaged],
        "result_lines": written.lines,
    }  # fmt: skip


def _fault_truth(
    scenario: Scenario, timeline: Timeline, streams: list[StreamRows], markers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The duplicate delivery each doubling stream suffers in each segment with a factor above 1,
    with the config change that caused it (the latest one logged before the segment)."""
    faults: list[dict[str, Any]] = []
    change_markers = [m for m in markers if m["kind"] == "config_change"]
    for sr in streams:
        if not sr.stream.doubles:
            continue
        for lo, hi, factor in timeline.segments():
            if factor <= 1:
                continue
            in_segment = (sr.time >= lo) & (sr.time < hi)
            rows = int(np.count_nonzero(in_segment))
            cause = max(
                (m for m in change_markers if m["at"] <= lo), key=lambda m: m["at"], default=None
            )
            faults.append({
                "kind": "duplicate_delivery", "source": "results_log", "open_start": False,
                "signature": "same_content_different_eid",
                "host": scenario.host, "subscriber": sr.stream.table, "publisher": sr.publisher,
                "query": sr.stream.query, "start": _iso(lo), "end": _iso(hi), "factor": float(factor),
                "rows": rows, "extra_rows": round(rows * (1 - 1 / factor)),
                "marker": _marker(cause),
            })  # fmt: skip
    return faults


def _rebaseline_truth(
    scenario: Scenario, diffs: list[DiffRows], markers: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Each differential query's full-state rerun, with the status line osquery wrote for it."""
    rebaselines: list[dict[str, Any]] = []
    for d in diffs:
        for at, cause in d.rebaselines:
            # The line osquery writes when the query runs ("New Epoch …", "Storing initial …").
            logged = max((m for m in markers if m["kind"] == "query_updated" and m["message"].endswith(d.query)
                          and m["at"] <= at), key=lambda m: m["at"], default=None)  # fmt: skip
            rebaselines.append({"host": scenario.host, "query": d.query, "at": _iso(at), "cause": cause,
                                "marker": _marker(logged)})  # fmt: skip
    return rebaselines


__all__ = ["START", "pa", "write_run"]
