"""The benchmarks keep working: their quick mode runs and reports against its baselines.

Timings are not asserted here (they drift ±30 % on this machine); the figures are for people.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _quick(tmp_path, *only: str) -> str:
    report = tmp_path / "BENCHMARKS.md"
    argv = [sys.executable, "-m", "benchmarks", "--quick", "--write", str(report)]
    if only:
        argv += ["--only", *only]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    text = report.read_text()
    assert text.startswith("# Benchmarks") and "Machine:" in text
    return text


def _row(text: str, name: str) -> str:
    """The table row whose first cell starts with ``name``."""
    rows = [line for line in text.splitlines() if line.startswith(f"| {name}")]
    assert rows, f"no row {name!r} in:\n{text}"
    return rows[0]


def test_quick_benchmarks_report_against_baselines(tmp_path) -> None:
    text = _quick(tmp_path, "analysis", "gui")
    assert "baseline: pandas" in text and "results agree" in text
    assert "like for like (the content hash inside both timers)" in text
    assert "old figure (the app's hash outside its timer" in text


def test_quick_ingest_measures_each_reader_in_its_own_process(tmp_path) -> None:
    text = _quick(tmp_path, "ingest")
    lines = int(re.search(r"results log \(([\d,]+) lines\)", text).group(1).replace(",", ""))
    assert lines > 10_000
    checked = f"{lines:,} rows ✓"
    for name in ("app: `inspector.loading.pipeline.load`", "baseline: DuckDB", "baseline: `pandas"):
        row = _row(text, name)
        assert checked in row and " MB |" in row, row  # every row read, a peak RSS
    assert "| process wall |" in text
    assert "full load vs DuckDB:" in text and "faster than pandas" in text
    assert "peak RSS of the load:" in text
    reopen = _row(text, "app: reopen from the cache")
    assert checked in reopen or "cache not available" in reopen, reopen
    lnav = _row(text, "baseline: lnav")
    if shutil.which("lnav"):
        assert checked in lnav and "whole process against whole process" in text
        assert "old figure (the app's in-process time" in text
    else:
        assert "lnav not installed" in lnav


def test_quick_rocksdb_reads_against_bare_iteration(tmp_path) -> None:
    text = _quick(tmp_path, "rocksdb")
    app = _row(text, "app: `read_rocksdb`")
    bare = _row(text, "baseline: bare rocksdict")
    assert re.search(r"[\d,]{6,} records, [\d,]+ records/s", app), app
    assert re.search(r"[\d,]{6,} pairs, [\d,]+ pairs/s", bare), bare
    assert "slower than iterating alone" in text
    anatomy = _row(text, "app: `db` anatomy report")
    assert re.search(r"[\d,]{5,} events, [\d,]+ events/s", anatomy), anatomy
    assert "the time of the app's read" in text


def test_quick_live_reports_latency_idle_cpu_and_rotation_schedules(tmp_path) -> None:
    text = _quick(tmp_path, "live")
    app = _row(text, "app: follow loop (watch)")
    assert re.search(r"p50 \d+ ms, p99 \d+ ms", app), app
    assert _row(text, "baseline: tail -F")
    assert "% of a core" in _row(text, "app: idle CPU")
    assert "200 random rotation schedules" in text and "no line lost or repeated" in text
    assert "every line counted once: yes" in text


def test_quick_fleet_scan_and_ingest_report_against_the_bare_query(tmp_path) -> None:
    text = _quick(tmp_path, "fleet")
    for name in ("baseline: bare DuckDB factors query", "fleet scan, DuckDB", "fleet ingest"):
        assert " MB |" in _row(text, name)  # a figure and its peak RSS
    assert "the bare query — goal" in text and "objects in" in text


def test_quick_bundles_scan_cold_processes_beside_their_baselines(tmp_path) -> None:
    text = _quick(tmp_path, "bundles")
    assert "## Speed where users feel it (issue 19): `scan` of a 50 MB host folder" in text
    scan = _row(text, "app: `osquery-inspector scan -q HOST` (cold)")
    assert re.search(r"[\d,]{5,} records; read cache after the run: \d+ entries", scan), scan
    assert " MB |" in _row(text, "baseline: DuckDB `read_ndjson_auto` → Arrow of the results")
    assert "`scan` of the 50 MB host folder, cold:" in text and "goal ≤ 1.0 s:" in text
    lnav = _row(text, "baseline: lnav indexing the folder")
    if shutil.which("lnav"):
        assert re.search(r"[\d,]{5,} lines", lnav) and "beside lnav's whole process" in text
    else:
        assert "lnav not installed" in lnav
    # Small files: the scan either finished (a figure per file) or was killed (said so).
    read = _row(text, "baseline: reading the 1,000 files' bytes")
    assert "1,000 files" in read, read
    small = _row(text, "app: `scan -q` of 1,000 files (cold)")
    if "did not finish" in small:
        assert "`scan` did not finish in 10 s (killed)" in text
    else:
        assert "1,000 records" in small, small
        assert re.search(r"1,000 files: `scan` [\d.]+ s, reading their bytes [\d.]+ s", text)
    assert re.search(r"1,000 files(, at the kill)?: read cache: [\d,]+ entries", text)
    rotated = _row(text, "app: `scan -q` of the rotated set (cold)")
    assert re.search(r"[\d,]{5,} records", rotated) and "× the decompressed logs" in rotated
    assert " MB |" in _row(
        text, "baseline: DuckDB `read_ndjson_auto` → Arrow, the same lines joined"
    )
    assert "full scan vs bare DuckDB → Arrow (one joined file):" in text
    assert "peak RSS of the scan:" in text
