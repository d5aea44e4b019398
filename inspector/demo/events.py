"""Event rows of one subscriber stream, as a scheduled query logs them (vectorised).

Events arrive per second at a rate that follows the time of day; a doubling subscriber delivers
each event once per subscription (identical rows, same ``time``, consecutive eids); a few file
events are legitimate twins. Each query run reports the events since its previous run, with the
run's time as ``unixTime`` and a counter that restarts after an epoch change or a wiped database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.demo.scenarios import Scenario, Stream
from inspector.demo.schedule import Timeline, diurnal
from inspector.demo.values import ARGS, FILE_ACTIONS, choose, default_value, generators


@dataclass
class StreamRows:
    """Rows a stream's query logged, in log order."""

    stream: Stream
    publisher: str
    log_time: np.ndarray  # int64 unix seconds (the run)
    time: np.ndarray  # int64 unix seconds (the event's ``time`` column)
    counter: np.ndarray  # int64
    epoch: np.ndarray  # int64
    columns: dict[str, pa.Array]  # column name -> string values (what SELECT returns)
    eid: pa.Array  # the row's event id (stored in the database whether or not SELECT asks)
    factor: np.ndarray  # int64: copies delivered of this row's event
    events: int  # distinct events before duplication (twins included)
    twins: int  # legitimately identical extra events


def columns_of(scenario: Scenario, table: str, select_eid: bool) -> list[tuple[str, str]]:
    """(name, type) of what ``SELECT *`` (plus ``eid`` when selected) returns, in key order."""
    spec = _spec_columns(table, scenario.platform)
    chosen = [
        (c["name"], c["type"])
        for c in spec
        if not c["hidden"] or (select_eid and c["name"] == "eid")
    ]
    if select_eid and all(name != "eid" for name, _ in chosen):
        chosen.append(("eid", "TEXT"))
    return sorted(chosen)  # osquery rows are std::maps: keys in byte order


def _spec_columns(table: str, platform: str) -> list[dict[str, Any]]:
    raw = json.loads(resources.files("inspector.catalog").joinpath("event_tables.json").read_text())
    columns: list[dict[str, Any]] = raw["tables"][table]["columns"][platform]
    return columns


def run_offset(index: int) -> int:
    """Second within the interval at which the index-th query runs (spread like a scheduler)."""
    return (7 + 13 * index) % 60


def stream_rows(
    rng: np.random.Generator,
    scenario: Scenario,
    timeline: Timeline,
    stream: Stream,
    index: int,
    events_per_second: float,
) -> StreamRows:
    """Generate the logged rows of ``stream`` at ``events_per_second`` on average (before copies)."""
    times = _event_seconds(rng, timeline, events_per_second)
    base = len(times)
    twin = rng.random(base) < stream.twins if stream.twins else np.zeros(base, dtype=bool)
    event_of = np.repeat(np.arange(base), 1 + twin)  # a twin is a second, identical event
    event_times = times[event_of]
    factor = (
        timeline.factor(event_times) if stream.doubles else np.ones(len(event_of), dtype=np.int64)
    )
    row_event = np.repeat(np.arange(len(event_of)), factor)
    row_time = event_times[row_event]
    columns = _columns(rng, scenario, stream, times, event_of[row_event])
    eids = _eids(timeline, row_time)
    if stream.select_eid:
        columns["eid"] = eids

    log_time = _run_times(timeline, row_time, run_offset(index), scenario.interval)
    logged = log_time <= timeline.end  # the last events wait for a run after the end
    if not logged.all():
        keep = pa.array(logged)
        columns = {k: v.filter(keep) for k, v in columns.items()}
        eids = eids.filter(keep)
        log_time, row_time, row_event = log_time[logged], row_time[logged], row_event[logged]
    counter = _counters(timeline, log_time)
    return StreamRows(
        stream=stream,
        publisher=scenario.publisher(stream.table),
        log_time=log_time,
        time=row_time,
        counter=counter,
        epoch=timeline.epoch(log_time),
        columns=columns,
        eid=eids,
        factor=factor[row_event],
        events=len(event_of),
        twins=int(twin.sum()),
    )


def _event_seconds(
    rng: np.random.Generator, timeline: Timeline, events_per_second: float
) -> np.ndarray:
    """The second of each event while the agent runs: Poisson counts around a daily rhythm."""
    seconds = np.arange(timeline.start + 2, timeline.end, dtype=np.int64)
    seconds = seconds[timeline.running(seconds)]
    rate = events_per_second * diurnal(seconds) / max(float(np.mean(diurnal(seconds))), 1e-9)
    counts = rng.poisson(rate)
    times: np.ndarray = np.repeat(seconds, counts)
    return times


def _columns(
    rng: np.random.Generator,
    scenario: Scenario,
    stream: Stream,
    times: np.ndarray,
    row_base: np.ndarray,
) -> dict[str, pa.Array]:
    """The column values (but ``eid``) of each row: generated once per base event at ``times``,
    then taken for the rows (``row_base``: each row's base event; copies repeat it)."""
    base = len(times)
    gens = generators(scenario.platform)
    columns: dict[str, pa.Array] = {}
    for name, typ in columns_of(scenario, stream.table, stream.select_eid):
        if name == "eid":
            continue
        gen = gens.get(name)
        values = (
            gen(rng, times)
            if gen
            else pa.array([default_value(typ)] * 1, pa.string()).take(
                pa.array(np.zeros(base, dtype=np.int64))
            )
        )
        columns[name] = values.take(pa.array(row_base))
    if stream.table == "file_events":
        # File events have their own actions and the config's one FIM category.
        columns["action"] = choose(rng, FILE_ACTIONS, base).take(pa.array(row_base))
        columns["category"] = pa.array(["documents"] * base, pa.string()).take(pa.array(row_base))
    if "cmdline" in columns and "path" in columns:
        # A command line starts with the program that ran.
        args = pc.take(pa.array(ARGS), pa.array(rng.integers(0, len(ARGS), base))).take(
            pa.array(row_base)
        )
        columns["cmdline"] = pc.binary_join_element_wise(columns["path"], args, "")
    return columns


def _eids(timeline: Timeline, row_time: np.ndarray) -> pa.Array:
    """Per-subscriber event ids: consecutive, zero-padded to 10 digits, restarting at 2 on a
    fresh database (``last_event_id`` starts at 1), resuming after a plain restart."""
    era = timeline.wipe_index(row_time)
    first_of_era = np.searchsorted(era, np.arange(era.max(initial=0) + 1))
    ids = np.arange(len(row_time)) - first_of_era[era] + np.where(era == 0, 1000, 2)
    return pc.utf8_lpad(pa.array(ids).cast(pa.string()), 10, "0")


def _run_times(timeline: Timeline, row_time: np.ndarray, offset: int, interval: int) -> np.ndarray:
    """The scheduled run that reports each event: the first run at or after it, skipping
    runs that fall while no worker runs."""
    base = timeline.start + offset
    runs = base + np.ceil((row_time - base) / interval).astype(np.int64) * interval
    for lo, hi in timeline.downtimes:
        inside = (runs >= lo) & (runs < hi)
        first_after = base + int(np.ceil((hi - base) / interval)) * interval
        runs[inside] = first_after
    return runs


def _counters(timeline: Timeline, log_time: np.ndarray) -> np.ndarray:
    """Event queries count non-empty runs from 1, again after each epoch change or fresh database."""
    runs, inverse = np.unique(log_time, return_inverse=True)
    segment = timeline.reset_index(runs)
    first = np.searchsorted(segment, segment, side="left")
    counter = np.arange(len(runs)) - first + 1
    return counter[inverse]
