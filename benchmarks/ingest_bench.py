"""Ingesting a results log: the app's loader vs DuckDB, pandas and lnav, each in its own process.

Every run is a fresh interpreter (or lnav); the figure is the child's own timing of the work
(interpreter start and imports excluded), the process wall is shown beside it, and the peak RSS
is that child's alone (``os.wait4``).
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import statistics
import tempfile

from benchmarks.harness import ChildRun, Measurement, Section, child_code, from_children, run_child
from benchmarks.inputs import prefix, results_log

GOAL_VS_DUCKDB = 1.5  # product.md: full load within 1.5× a bare DuckDB read_ndjson_auto
GOAL_RSS = 1.5  # … with peak memory under 1.5× the file size
GOAL_VS_PANDAS = 10.0  # … and ≥ 10× faster than pandas.read_json(lines=True)
GOAL_REOPEN = 1.0  # reopen the same input from the cache in under 1 s
PANDAS_MAX_BYTES = 1_200_000_000  # pandas needs ~10× the file: beyond this it reads a 1 GB prefix
PANDAS_TIMEOUT = 600.0
LOAD = "rows = load([{path!r}]{cache}).records.num_rows"
# What the window does first for a big run: the envelope-only preview and its first lane frame.
FIRST_TIMELINE_IMPORTS = (
    "import pandas\nfrom inspector.loading.preview import preview\n"
    "from inspector.analysis.binning import FACTORS, Binner\n"
    "from inspector.views.timeline_frames import build_frame, nice_width"
)
FIRST_TIMELINE = (
    "ws = preview([{path!r}], min_bytes=0)\nb = Binner(ws.records, duplicates=False)\n"
    "lo, hi = b.span_us()\nframe = build_frame(b, nice_width(hi - lo), FACTORS.empty_table())\n"
    "rows = ws.records.num_rows"
)
# pandas is imported by the app's window long before a file is opened (and lazily by Arrow/DuckDB
# on first use): imported untimed in every child so that no row pays for it.
APP_IMPORTS = "import pandas\nfrom inspector.loading.pipeline import load"
DUCKDB = (
    "con = duckdb.connect()\n"
    "rows = con.sql('select * from read_ndjson_auto(?)', params=[{path!r}]).to_arrow_table()"
    ".num_rows"
)


def run(size: int, repeat: int) -> Section:
    """Write a results log of about ``size`` bytes and measure every reader on it."""
    with tempfile.TemporaryDirectory(prefix="oqi-ingest-") as folder:
        path, lines = results_log(folder, size)
        return _measure(folder, path, lines, repeat)


def _measure(folder: str, path: str, lines: int, repeat: int) -> Section:
    nbytes = os.path.getsize(path)
    mb = nbytes / 1e6
    section = Section(
        f"Ingesting a {mb:,.0f} MB results log ({lines:,} lines)",
        "A 24-hour demo `openbsm-double` run, its rotated logs joined oldest first into one plain "
        "file of complete lines. Each run is a fresh process: *median* is the work timed inside "
        "it (interpreter start and imports excluded), *process wall* the whole process, *peak "
        "RSS* that process's own (`wait4`). Baselines in the same run, interleaved round by round.",
    )
    load_code = child_code(APP_IMPORTS, LOAD.format(path=path, cache=""))
    first_code = child_code(FIRST_TIMELINE_IMPORTS, FIRST_TIMELINE.format(path=path))
    runs: dict[str, list[ChildRun]] = {"app": [], "first": [], "duckdb": [], "lnav": []}
    lnav = shutil.which("lnav")
    for k in range(repeat):
        runs["app"].append(run_child(load_code))
        runs["first"].append(run_child(first_code))
        duck_imports = "import pandas\nimport duckdb"
        runs["duckdb"].append(run_child(child_code(duck_imports, DUCKDB.format(path=path))))
        if lnav:
            home = os.path.join(folder, f"lnav-home-{k}")  # lnav writes its config under HOME
            os.makedirs(home)
            argv = [lnav, "-n", "-c", ";SELECT lines FROM lnav_file", path]
            runs["lnav"].append(run_child(argv, env={**os.environ, "HOME": home}))
    app = _measurement(
        "app: `inspector.loading.pipeline.load` → records", runs["app"], lines, nbytes
    )
    duck = _measurement(
        "baseline: DuckDB `read_ndjson_auto` → Arrow", runs["duckdb"], lines, nbytes
    )
    first = _measurement(
        "app: first timeline (envelope preview + lane frame)", runs["first"], lines, nbytes
    )
    section.measurements += [app, first, duck]
    if lnav:
        for r in runs["lnav"]:
            counted = re.findall(r"\d+", r.result.get("stdout", ""))
            r.result["rows"] = int(counted[-1]) if counted else None
        lnav_m = _measurement("baseline: lnav indexing as text (`lnav -n`)", runs["lnav"], lines,
                              nbytes)  # fmt: skip
        lnav_m.note += "; wall of the whole lnav process"
    else:
        lnav_m = Measurement("baseline: lnav", [], note="lnav not installed (apt-get install lnav)")
    section.measurements.append(lnav_m)
    pandas, pandas_lines, timed_out = _pandas(folder, path, lines, nbytes)
    cached = _cache(folder, path, lines, nbytes, repeat)
    section.measurements += [pandas, *cached]
    section.verdicts += _verdicts(
        app, first, duck, lnav_m, pandas, cached[-1], pandas_lines / lines, timed_out, nbytes
    )
    return section


def _measurement(name: str, runs: list[ChildRun], lines: int, nbytes: int) -> Measurement:
    """The successful runs as one row, noting rows vs lines, RSS × file size and any failure."""
    ok = [r for r in runs if not r.error]
    if not ok:
        return Measurement(name, [], note=f"failed: {runs[0].error}" if runs else "not run")
    rows = {r.result.get("rows") for r in ok}
    check = f"{lines:,} rows ✓" if rows == {lines} else f"ROWS {sorted(rows, key=str)} ≠ {lines:,}"
    m = from_children(name, ok, check)
    if m.peak_rss_mb is not None:
        m.note += f"; RSS {m.peak_rss_mb * 1e6 / nbytes:.2f}× file"
    if len(ok) < len(runs):
        m.note += f"; {len(runs) - len(ok)} run(s) failed: {runs[0].error or runs[-1].error}"
    return m


def _pandas(folder: str, path: str, lines: int, nbytes: int) -> tuple[Measurement, int, bool]:
    """``pandas.read_json(lines=True)`` once (it is slow and needs ~10× the file in memory);
    the row, the lines it read and whether it timed out."""
    target, target_lines, scope = path, lines, "whole file"
    if nbytes > PANDAS_MAX_BYTES:
        target = os.path.join(folder, "prefix.log")
        target_lines = prefix(path, target, 1_000_000_000)
        scope = f"first {target_lines:,} lines (1 GB); compared per line"
    work = f"rows = len(pd.read_json({target!r}, lines=True))"
    r = run_child(child_code("import pandas as pd", work), timeout=PANDAS_TIMEOUT)
    name = "baseline: `pandas.read_json(lines=True)`"
    m = _measurement(name, [r], target_lines, os.path.getsize(target))
    m.note = f"{scope}; {m.note}"
    return m, target_lines, "timeout" in r.error


def _cache(folder: str, path: str, lines: int, nbytes: int, repeat: int) -> list[Measurement]:
    """Load once filling a cache, then reopen from it in new processes (``inspector.loading.read_cache``)."""
    name = "app: reopen from the cache (new process)"
    if importlib.util.find_spec("inspector.loading.read_cache") is None:
        return [
            Measurement(
                name, [], note="cache not available (no `inspector.loading.read_cache` module)"
            )
        ]
    cache = os.path.join(folder, "cache")
    code = child_code(
        "from inspector.loading.read_cache import ReadCache\nfrom inspector.loading.pipeline import load",
        LOAD.format(path=path, cache=f", cache=ReadCache({cache!r})"),
    )
    fill = _measurement("app: first load, filling the cache", [run_child(code)], lines, nbytes)
    reopen = _measurement(name, [run_child(code) for _ in range(repeat)], lines, nbytes)
    return [fill, reopen]


def _verdicts(
    app: Measurement, first: Measurement, duck: Measurement, lnav: Measurement,
    pandas: Measurement,
    reopen: Measurement, pandas_share: float, pandas_timed_out: bool, nbytes: int,
) -> list[str]:  # fmt: skip
    """Ratios against the baselines and the goals of product.md ("Speed goals")."""
    out = []
    small = " (small file: indicative only)" if nbytes < 900_000_000 else ""
    if not app.seconds:
        return ["the app's load failed: no ratios"]
    if duck.seconds:
        ratio = app.median / duck.median
        walls = _wall(app) / _wall(duck)
        out.append(
            f"full load vs DuckDB: {ratio:.2f}× its time (process walls {walls:.2f}×); goal ≤ "
            f"{GOAL_VS_DUCKDB}×: {_met(ratio <= GOAL_VS_DUCKDB)}{small}"
        )
    if app.peak_rss_mb is not None:
        rss = app.peak_rss_mb * 1e6 / nbytes
        out.append(
            f"peak RSS of the load: {app.peak_rss_mb:,.0f} MB = {rss:.2f}× the file; goal < "
            f"{GOAL_RSS}×: {_met(rss < GOAL_RSS)}{small}"
        )
    if pandas.seconds:
        ratio = pandas.median / pandas_share / app.median
        out.append(
            f"the load is {ratio:.1f}× faster than pandas; goal ≥ {GOAL_VS_PANDAS:.0f}×: "
            f"{_met(ratio >= GOAL_VS_PANDAS)}{small}"
        )
    elif pandas_timed_out:
        low = PANDAS_TIMEOUT / pandas_share / app.median
        out.append(
            f"pandas timed out after {PANDAS_TIMEOUT:.0f} s: the load is ≥ {low:.0f}× faster"
        )
    if lnav.seconds and first.seconds:
        ratio = first.median / lnav.median
        walls = _wall(first) / lnav.median  # lnav is timed by its process wall alone
        out.append(
            f"first timeline vs lnav indexing, whole process against whole process: "
            f"{_wall(first):.2f} s (interpreter start and imports included) against lnav's "
            f"{lnav.median:.2f} s = {walls:.2f}×; goal ≤ 1×: {_met(walls <= 1.0)}{small}"
        )
        out.append(
            f"old figure (the app's in-process time, imports excluded, against lnav's whole "
            f"process): {first.median:.2f} s = {ratio:.2f}×"
        )
    if reopen.seconds:
        out.append(
            f"reopen from the cache: {reopen.median:.2f} s (process {_wall(reopen):.2f} s); goal "
            f"< {GOAL_REOPEN:.0f} s: {_met(reopen.median < GOAL_REOPEN)}{small}"
        )
    return out


def _wall(m: Measurement) -> float:
    return statistics.median(m.wall_seconds) if m.wall_seconds else float("nan")


def _met(ok: bool) -> str:
    return "met" if ok else "missed"
