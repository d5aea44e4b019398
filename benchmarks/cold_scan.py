"""Whole processes as a user starts them, cold: ``osquery-inspector scan``, lnav, a bare DuckDB.

"Cold" means an empty read cache: every scan gets its own fresh ``XDG_CACHE_HOME`` (the read
cache lives in platformdirs' ``user_cache_dir``, see ``inspector.loading.read_cache``) and
``XDG_STATE_HOME`` (the log file), so no run reads what an earlier one stored, and the entries a
run wrote can be counted afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass

from benchmarks.harness import ChildRun, Measurement, child_code, from_children, run_child

_RECORDS = re.compile(r"^Records: ([\d,]+)", re.MULTILINE)
DUCKDB_ARROW = (
    "con = duckdb.connect()\n"
    "rows = con.sql('select * from read_ndjson_auto(?)', params=[{paths!r}]).to_arrow_table()"
    ".num_rows"
)


def scan_argv(paths: list[str], *options: str) -> list[str]:
    """What a user's ``osquery-inspector scan OPTIONS PATH...`` runs: the console script beside
    this interpreter (``ui.entry:main``, which hands ``scan`` to ``inspector.cli.main``), or the
    same entry through ``python -c`` when the script is not installed."""
    script = os.path.join(os.path.dirname(sys.executable), "osquery-inspector")
    if os.access(script, os.X_OK):
        return [script, "scan", *options, *paths]
    entry = "import sys\nfrom ui.entry import main\nsys.exit(main())"
    return [sys.executable, "-c", entry, "scan", *options, *paths]


@dataclass
class ScanRun:
    """One cold ``scan`` process: the run, the records it reported and the cache it left."""

    run: ChildRun
    records: int | None  # "Records: N" of the summary (None: not printed)
    cache_entries: int  # read-cache entries (folders of <cache>/osquery-inspector/reads)
    cache_files: int  # every file under the process's XDG_CACHE_HOME


def cold_scan(paths: list[str], *options: str, timeout: float = 600.0) -> ScanRun:
    """Run ``scan -q OPTIONS PATH...`` in a fresh process with an empty read cache."""
    with tempfile.TemporaryDirectory(prefix="oqi-cold-") as home:
        cache, state = os.path.join(home, "cache"), os.path.join(home, "state")
        os.makedirs(cache)
        os.makedirs(state)
        env = {**os.environ, "XDG_CACHE_HOME": cache, "XDG_STATE_HOME": state}
        run = run_child(scan_argv(paths, "-q", *options), timeout=timeout, env=env)
        reads = os.path.join(cache, "osquery-inspector", "reads")
        entries = 0
        if os.path.isdir(reads):
            entries = sum(1 for e in os.scandir(reads) if e.is_dir() and not e.name.startswith("."))
        files = sum(len(names) for _, _, names in os.walk(cache))
    found = _RECORDS.search(run.result.get("stdout", ""))
    records = int(found.group(1).replace(",", "")) if found else None
    return ScanRun(run, records, entries, files)


def scan_measurement(name: str, scans: list[ScanRun]) -> Measurement:
    """The scans as one row (figure = process wall), noting records, the cache and failures."""
    ok = [s for s in scans if not s.run.error]
    if not ok:
        error = scans[0].run.error if scans else "not run"
        return Measurement(name, [], note=f"did not finish: {error}")
    m = from_children(name, [s.run for s in ok])
    records = {s.records for s in ok}
    shown = ", ".join(f"{r:,}" if r is not None else "?" for r in sorted(records, key=str))
    entries = max(s.cache_entries for s in ok)
    m.note = f"{shown} records; read cache after the run: {entries:,} entries"
    if len(ok) < len(scans):
        m.note += f"; {len(scans) - len(ok)} run(s) failed: {scans[-1].run.error}"
    return m


def duckdb_arrow(paths: list[str], timeout: float = 600.0) -> ChildRun:
    """A bare DuckDB ``read_ndjson_auto`` of ``paths`` into Arrow, in a process of its own
    (``import duckdb`` untimed inside, included in the process wall)."""
    return run_child(child_code("import duckdb", DUCKDB_ARROW.format(paths=paths)), timeout)


def child_measurement(name: str, runs: list[ChildRun], what: str = "rows") -> Measurement:
    """Runs of a self-timing child as one row (its rows in the note, failures named)."""
    ok = [r for r in runs if not r.error]
    if not ok:
        return Measurement(name, [], note=f"failed: {runs[0].error}" if runs else "not run")
    m = from_children(name, ok)
    rows = sorted({r.result.get("rows") for r in ok}, key=str)
    m.note = ", ".join(f"{r:,}" if isinstance(r, int) else str(r) for r in rows) + f" {what}"
    return m


def lnav_runs(paths: list[str], repeat: int, folder: str) -> list[ChildRun] | None:
    """``lnav -n`` indexing ``paths`` (it opens folders and .zst files itself), ``repeat``
    times, each with a HOME of its own (lnav writes its config there); None without lnav."""
    lnav = shutil.which("lnav")
    if lnav is None:
        return None
    runs = []
    for _ in range(repeat):
        home = tempfile.mkdtemp(prefix="lnav-home-", dir=folder)
        argv = [lnav, "-n", "-c", ";SELECT sum(lines) FROM lnav_file", *paths]
        run = run_child(argv, env={**os.environ, "HOME": home})
        counted = re.findall(r"\d+", run.result.get("stdout", ""))
        run.result["rows"] = int(counted[-1]) if counted else None
        runs.append(run)
    return runs


def wall(m: Measurement) -> float:
    """The median process wall of a row (NaN when it has none)."""
    return statistics.median(m.wall_seconds) if m.wall_seconds else float("nan")


def versus(value: float, goal: float, unit: str = "s") -> str:
    """``met`` or ``missed by …`` for a figure that must stay at or under ``goal``."""
    if value <= goal:
        return "met"
    if unit == "×":
        return f"missed by {value - goal:.2f}× ({value / goal:.1f}× the goal)"
    return f"missed by {value - goal:,.2f} {unit} ({value / goal:.1f}× the goal)"
