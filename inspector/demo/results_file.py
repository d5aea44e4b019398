"""Turning a stream's rows into result lines, and all lines into a rotated, damaged log set."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import zstandard

from inspector.demo import lines as L
from inspector.demo.differential import TYPES, DiffRows
from inspector.demo.events import StreamRows, columns_of
from inspector.demo.scenarios import Scenario

NUL_BLOCK = 4096


@dataclass
class Lines:
    """Result lines with their sort keys (log time, query order, row order)."""

    text: pa.Array
    log_time: np.ndarray
    order: np.ndarray
    seq: np.ndarray


def stream_lines(
    scenario: Scenario, sr: StreamRows, order: int, decorations: dict[str, Any] | None
) -> Lines:
    """Lines of an event query (event format: one per row; batch format: one per run)."""
    types = dict(columns_of(scenario, sr.stream.table, sr.stream.select_eid))
    rows = L.row_objects(sr.columns, types, scenario.numerics)
    deco_top = scenario.decorations_top_level
    if scenario.event_format:
        head = L.envelope_parts(sr.stream.query, scenario.host, sr.log_time, sr.epoch, sr.counter,
                                scenario.numerics, decorations, deco_top)  # fmt: skip
        text = L.event_lines(rows, "added", head)
        return Lines(text, sr.log_time, np.full(len(text), order), np.arange(len(text)))
    runs, starts = np.unique(sr.log_time, return_index=True)
    head = L.envelope_parts(sr.stream.query, scenario.host, runs, sr.epoch[starts], sr.counter[starts],
                            scenario.numerics, decorations, deco_top)  # fmt: skip
    text = L.batch_lines(rows, np.zeros(len(rows), dtype=bool), starts, head)
    return Lines(text, runs, np.full(len(text), order), np.arange(len(text)))


def differential_lines(
    scenario: Scenario, d: DiffRows, order: int, decorations: dict[str, Any] | None
) -> Lines:
    """Lines of a differential query (removed before added within a run)."""
    if not d.rows:
        return Lines(
            pa.array([], pa.string()),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
    names = sorted(d.rows[0])
    columns = {n: pa.array([r[n] for r in d.rows], pa.string()) for n in names}
    rows = L.row_objects(columns, TYPES, scenario.numerics)
    log_time = np.array(d.log_time, dtype=np.int64)
    counter = np.array(d.counter, dtype=np.int64)
    epoch = np.array(d.epoch, dtype=np.int64)
    deco_top = scenario.decorations_top_level
    if scenario.event_format:
        head = L.envelope_parts(d.query, scenario.host, log_time, epoch, counter, scenario.numerics,
                                decorations, deco_top)  # fmt: skip
        text = L.event_lines(rows, pa.array(d.action, pa.string()), head)
        return Lines(text, log_time, np.full(len(text), order), np.arange(len(text)))
    runs, starts = np.unique(log_time, return_index=True)
    head = L.envelope_parts(d.query, scenario.host, runs, epoch[starts], counter[starts], scenario.numerics,
                            decorations, deco_top)  # fmt: skip
    removed = np.array([a == "removed" for a in d.action])
    text = L.batch_lines(rows, removed, starts, head)
    return Lines(text, runs, np.full(len(text), order), np.arange(len(text)))


def merge(parts: list[Lines]) -> pa.Array:
    """All lines in log order (then query, then row order), each ending with a newline."""
    parts = [p for p in parts if len(p.text)]
    # 64-bit offsets: all the lines together pass 2 GB from --size 2GB on.
    text = pa.chunked_array([p.text.cast(pa.large_string()) for p in parts], pa.large_string())
    order = np.lexsort(
        (np.concatenate([p.seq for p in parts]), np.concatenate([p.order for p in parts]),
         np.concatenate([p.log_time for p in parts]))
    )  # fmt: skip
    ordered = text.take(pa.array(order)).combine_chunks()
    newline, empty = pa.scalar("\n", pa.large_string()), pa.scalar("", pa.large_string())
    return pc.binary_join_element_wise(ordered, newline, empty)


@dataclass
class WrittenLog:
    """The results files written, and truth about them."""

    files: list[str]  # oldest first
    damaged: list[dict[str, Any]]  # {"file", "line", "kind"}
    lines: int


def write_rotated(
    directory: str, name: str, lines: pa.Array, rotate_bytes: int, rng: np.random.Generator
) -> WrittenLog:
    """Write ``lines`` as ``name`` rotated by size: ``.N.zst`` … ``.2.zst``, ``.1``, and the live
    file; the live file gets a NUL-filled block (a crash) and a torn last line."""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[
        lines.offset : lines.offset + len(lines) + 1
    ]
    data = memoryview(lines.buffers()[2])
    total = int(offsets[-1])
    # The live file holds a part of a rotation; the rotated files hold a full one each.
    live_start = max(0, total - max(rotate_bytes // 2, 1))
    cuts = [live_start]
    while cuts[0] > 0:
        cuts.insert(0, max(0, cuts[0] - rotate_bytes))
    line_cuts = sorted({int(np.searchsorted(offsets, c, side="left")) for c in cuts} | {len(lines)})
    if line_cuts[0] != 0:
        line_cuts.insert(0, 0)
    segments = [(a, b) for a, b in itertools.pairwise(line_cuts) if b > a]
    files: list[str] = []
    count = len(segments)
    for k, (a, b) in enumerate(segments):
        chunk = data[int(offsets[a]) : int(offsets[b])]
        age = count - 1 - k  # 0 = live file
        if age == 0:
            files.append(_write_live(directory, name, lines, offsets, a, b, chunk, rng))
        elif age == 1:
            path = os.path.join(directory, f"{name}.1")
            with open(path, "wb") as f:
                f.write(chunk)
            files.append(path)
        else:
            path = os.path.join(directory, f"{name}.{age}.zst")
            with open(path, "wb") as f:
                f.write(zstandard.ZstdCompressor(level=1, threads=-1).compress(chunk))
            files.append(path)
    live = files[-1]
    n_live = segments[-1][1] - segments[-1][0]
    nul_line = n_live // 2 + 1
    damaged = [
        {"file": os.path.basename(live), "line": nul_line, "kind": "nul_block"},
        {"file": os.path.basename(live), "line": n_live + 2, "kind": "torn_last_line"},
    ]
    return WrittenLog(files, damaged, len(lines))


def _write_live(
    directory: str,
    name: str,
    lines: pa.Array,
    offsets: np.ndarray,
    a: int,
    b: int,
    chunk: memoryview,
    rng: np.random.Generator,
) -> str:
    path = os.path.join(directory, name)
    middle = a + (b - a) // 2
    split = int(offsets[middle] - offsets[a])
    last: str = lines[b - 1].as_py()
    torn = last[: max(20, int(len(last) * rng.uniform(0.3, 0.8)))].encode()  # no newline: cut off
    with open(path, "wb") as f:
        f.write(chunk[:split])
        f.write(b"\x00" * NUL_BLOCK + b"\n")
        f.write(chunk[split:])
        f.write(torn)
    return path
