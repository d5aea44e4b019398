"""Speed where users feel it (issue 19): a 50 MB host folder, many small files, a 1 GB rotated
set — each ``osquery-inspector scan`` a whole process started cold (empty read cache), beside its
baselines (lnav, a bare DuckDB read into Arrow, reading the bytes) measured in the same run."""

from __future__ import annotations

import os
import tempfile

from benchmarks import small_files_bench
from benchmarks.bundle_inputs import host_folder, joined_copy, plain_copies, rotated_set
from benchmarks.cold_scan import (
    child_measurement,
    cold_scan,
    duckdb_arrow,
    lnav_runs,
    scan_measurement,
    versus,
    wall,
)
from benchmarks.harness import ChildRun, Measurement, Section

TITLE = "Speed where users feel it (issue 19)"
BUNDLE_BYTES = 50_000_000  # `demo --size 50MB`: the bundle most users open
GOAL_BUNDLE_SECONDS = 1.0  # scan of a 50 MB host folder, process wall
ROTATED_BYTES = 1_000_000_000  # `demo --size 1GB` (quick mode: 20 MB)
ROTATED_BYTES_QUICK = 20_000_000
GOAL_VS_DUCKDB = 1.5  # full scan of a rotated set within 1.5× a bare DuckDB read into Arrow
GOAL_RSS = 1.3  # … with peak RSS within 1.3× the files' (decompressed) bytes
SCAN_TIMEOUT = 1800.0
JOINED = "baseline: DuckDB `read_ndjson_auto` → Arrow, the same lines joined into one file"


def run(quick: bool, repeat: int) -> list[Section]:
    """The three sections: the 50 MB host folder, folders of small files, the rotated set."""
    return [
        bundle(repeat),
        small_files_bench.run(quick),
        rotated(ROTATED_BYTES_QUICK if quick else ROTATED_BYTES, max(1, repeat - 2), not quick),
    ]


def bundle(repeat: int) -> Section:
    """``scan`` of a 50 MB demo host folder against lnav and a bare DuckDB on the same files."""
    with tempfile.TemporaryDirectory(prefix="oqi-bundle-") as folder:
        host = host_folder(folder, BUNDLE_BYTES)
        copies, lines, nbytes = plain_copies(rotated_set(host), os.path.join(folder, "plain"))
        stored = sum(
            os.path.getsize(os.path.join(d, n)) for d, _, names in os.walk(host) for n in names
        )
        joined = joined_copy(copies, os.path.join(folder, "joined.log"))
        scans, no_cache, duck, duck_one = [], [], [], []
        for _ in range(repeat):  # interleaved round by round: drift hits every row alike
            scans.append(cold_scan([host]))
            no_cache.append(cold_scan([host], "--no-cache"))
            duck.append(duckdb_arrow(copies))
            duck_one.append(duckdb_arrow([joined]))
        lnav = lnav_runs([host], repeat, folder)
    section = Section(
        f"{TITLE}: `scan` of a 50 MB host folder",
        f"`osquery-inspector demo --size 50MB`: one host folder of {stored / 1e6:,.0f} MB on disk "
        f"(results logs rotated and zstd-compressed, {nbytes / 1e6:,.0f} MB and {lines:,} "
        "complete lines decompressed; glog, snapshots, `osquery.db`, config). Every row is a "
        "whole process; *median* is the process wall for `scan` and lnav, the child's own timing "
        "(imports excluded) for DuckDB — compare the *process wall* column. `scan` runs cold: "
        "a fresh empty read cache (`XDG_CACHE_HOME`) per process. Goal: ≤ "
        f"{GOAL_BUNDLE_SECONDS:.1f} s process wall.",
    )
    app = scan_measurement("app: `osquery-inspector scan -q HOST` (cold)", scans)
    bare = scan_measurement("app: `scan --no-cache -q HOST`", no_cache)
    duck_m = child_measurement(
        "baseline: DuckDB `read_ndjson_auto` → Arrow of the results logs (decompressed)", duck
    )
    one_m = child_measurement(JOINED, duck_one)
    lnav_m = _lnav_row(lnav)
    section.measurements += [app, bare, lnav_m, duck_m, one_m]
    if not app.seconds:
        section.verdicts.append(f"the scan did not finish ({app.note}): no verdict")
        return section
    seconds = wall(app)
    section.verdicts.append(
        f"`scan` of the 50 MB host folder, cold: {seconds:.2f} s process wall; goal ≤ "
        f"{GOAL_BUNDLE_SECONDS:.1f} s: {versus(seconds, GOAL_BUNDLE_SECONDS)}"
    )
    if bare.seconds:
        section.verdicts.append(f"with `--no-cache`: {wall(bare):.2f} s process wall")
    if lnav_m.seconds:
        section.verdicts.append(
            f"beside lnav's whole process ({wall(lnav_m):.2f} s): {seconds / wall(lnav_m):.1f}× "
            "(process against process)"
        )
    for m, what in ((duck_m, "the results logs"), (one_m, "them joined into one file")):
        if m.seconds:
            section.verdicts.append(
                f"beside a bare DuckDB process reading {what} into Arrow ({wall(m):.2f} s): "
                f"{seconds / wall(m):.2f}× (process against process)"
            )
    return section


def rotated(size: int, repeat: int, whole_folder: bool) -> Section:
    """Full ``scan`` of a demo run's rotated results set against a bare DuckDB read of the same
    files into Arrow; the whole host folder's scan beside them if ``whole_folder``."""
    with tempfile.TemporaryDirectory(prefix="oqi-rotated-") as folder:
        host = host_folder(folder, size)
        logs = rotated_set(host)
        stored = sum(os.path.getsize(p) for p in logs)
        copies, lines, nbytes = plain_copies(logs, os.path.join(folder, "plain"))
        joined = joined_copy(copies, os.path.join(folder, "joined.log"))
        scans, duck, duck_one = [], [], []
        for _ in range(repeat):
            scans.append(cold_scan(logs, timeout=SCAN_TIMEOUT))
            duck.append(duckdb_arrow(copies, timeout=SCAN_TIMEOUT))
            duck_one.append(duckdb_arrow([joined], timeout=SCAN_TIMEOUT))
        whole = cold_scan([host], timeout=SCAN_TIMEOUT) if whole_folder else None
    label = f"{nbytes / 1e9:.2f} GB" if nbytes >= 5e8 else f"{nbytes / 1e6:,.0f} MB"
    section = Section(
        f"{TITLE}: full `scan` of a {label} rotated set",
        f"`osquery-inspector demo --size {size / 1e6:,.0f}MB`: its results logs, {len(logs)} "
        f"files ({stored / 1e6:,.0f} MB on disk, rotated and zstd-compressed; {nbytes / 1e6:,.0f} "
        f"MB and {lines:,} complete lines decompressed). The app: `scan` (load + analysis) of "
        "those files, a whole process, cold (empty read cache). Baselines: a bare DuckDB "
        "`read_ndjson_auto` into Arrow, a whole process, of the decompressed copies joined into "
        "one file (its fastest form: the verdict) and of the copies as they are (one file per "
        f"rotation). Goals: ≤ {GOAL_VS_DUCKDB}× the baseline's process wall; peak RSS ≤ {GOAL_RSS}× the files' "
        "decompressed bytes. The existing ingest benchmark measures the load of one joined file.",
    )
    app = scan_measurement("app: `scan -q` of the rotated set (cold)", scans)
    duck_m = child_measurement(
        "baseline: DuckDB `read_ndjson_auto` → Arrow of the files (decompressed)", duck
    )
    one_m = child_measurement(JOINED, duck_one)
    rows = [app, one_m, duck_m]
    if whole is not None:
        rows.append(
            scan_measurement("app: `scan -q` of the whole host folder (cold; + db, glog)", [whole])
        )
    for m in rows:
        if m.peak_rss_mb is not None:
            m.note += f"; RSS {m.peak_rss_mb * 1e6 / nbytes:.2f}× the decompressed logs"
    section.measurements += rows
    small = " (quick mode: small set, indicative only)" if size < ROTATED_BYTES else ""
    if not app.seconds:
        section.verdicts.append(f"the scan did not finish ({app.note}): no verdict")
        return section
    # The verdict is against DuckDB's fastest form (one file); the list of files is shown too.
    for m, what, label in ((one_m, "one joined file", "full scan vs bare DuckDB → Arrow"),
                           (duck_m, "the same files", "against DuckDB reading")):  # fmt: skip
        if m.seconds:
            ratio = wall(app) / wall(m)
            section.verdicts.append(
                f"{label} ({what}): {wall(app):.2f} s against {wall(m):.2f} s (process walls) = "
                f"{ratio:.2f}×; goal ≤ {GOAL_VS_DUCKDB}×: {versus(ratio, GOAL_VS_DUCKDB, '×')}"
                f"{small}"
            )
    rss = (app.peak_rss_mb or 0.0) * 1e6 / nbytes
    section.verdicts.append(
        f"peak RSS of the scan: {app.peak_rss_mb:,.0f} MB = {rss:.2f}× the decompressed logs "
        f"({nbytes / 1e6:,.0f} MB); goal ≤ {GOAL_RSS}×: {versus(rss, GOAL_RSS, '×')}{small}"
    )
    return section


def _lnav_row(runs: list[ChildRun] | None) -> Measurement:
    name = "baseline: lnav indexing the folder (`lnav -n`)"
    if runs is None:
        return Measurement(name, [], note="lnav not installed (apt-get install lnav): skipped")
    m = child_measurement(name, runs, "lines")
    m.note += "; wall of the whole lnav process"
    return m
