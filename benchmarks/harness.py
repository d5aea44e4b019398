"""Timing with medians, the machine's description, and the Markdown report."""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Measurement:
    """Wall times of one thing measured several times (seconds), plus notes."""

    name: str
    seconds: list[float]
    peak_rss_mb: float | None = None
    note: str = ""
    wall_seconds: list[float] | None = None  # of the whole child process, when it ran in one

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


@dataclass
class Section:
    """One benchmark: its measurements, the ratios against its baselines, and the goals checked."""

    title: str
    description: str
    measurements: list[Measurement] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)


def measure(name: str, fn: Callable[[], object], repeat: int, warmup: bool = True) -> Measurement:
    """Run ``fn`` ``repeat`` times (after one unmeasured warm-up run if asked)."""
    if warmup:
        fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return Measurement(name, times)


@dataclass
class ChildRun:
    """One measured child process: its own timing of the work, its wall time and peak RSS."""

    seconds: float | None  # what the child timed itself (None if it did not finish)
    wall: float  # from spawn to exit, interpreter start and imports included
    peak_rss_mb: float
    result: dict = field(default_factory=dict)  # the JSON the child printed last
    error: str = ""  # "timeout after …", "killed by signal …", "exit 1: …"; empty when it worked


# Spawns and reaps (wait4) one measured process from a small interpreter of its own: Linux keeps
# across exec the RSS high-water mark of the image replaced (for a vfork child, its parent's), so
# a child of the big benchmark process would report at least that. From here the floor is ~12 MB.
SPAWNER = """
import json, os, subprocess, sys, threading, time
spec = json.loads(sys.argv[1])
with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
    t0 = time.perf_counter()
    proc = subprocess.Popen(spec["argv"], stdout=out, stderr=err, cwd=spec["cwd"], env=spec["env"])
    reaped = []
    def reap():
        _, status, usage = os.wait4(proc.pid, 0)
        reaped.append((status, usage.ru_maxrss, time.perf_counter()))
    waiter = threading.Thread(target=reap, daemon=True)
    waiter.start()
    waiter.join(spec["timeout"])
    timed_out = waiter.is_alive()
    if timed_out:
        proc.kill()
        waiter.join()
    status, maxrss_kb, t1 = reaped[0]
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait again
print(json.dumps({"code": proc.returncode, "maxrss_kb": maxrss_kb, "wall": t1 - t0,
                  "timed_out": timed_out}))
"""


def run_child(
    argv: list[str], timeout: float = 600.0, env: dict[str, str] | None = None
) -> ChildRun:
    """Run ``argv`` in a fresh process; its peak RSS comes from ``os.wait4`` (this child only,
    spawned by ``SPAWNER``), killed after ``timeout`` seconds.

    A Python child prints ``{"seconds": …, …}`` as its last stdout line (see ``child_code``);
    any other program is timed by its wall clock alone and its stdout is kept in ``result``."""
    with tempfile.TemporaryDirectory(prefix="oqi-child-") as folder:
        out, err = os.path.join(folder, "stdout"), os.path.join(folder, "stderr")
        spec = {"argv": argv, "stdout": out, "stderr": err, "cwd": ROOT, "env": env,
                "timeout": timeout}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", SPAWNER, json.dumps(spec)],
            capture_output=True, text=True, check=True, timeout=timeout + 120,
        )  # fmt: skip
        reaped = json.loads(done.stdout)
        with open(out, encoding="utf-8", errors="replace") as f:
            stdout = f.read()
        with open(err, encoding="utf-8", errors="replace") as f:
            stderr = f.read()
    run = ChildRun(None, reaped["wall"], reaped["maxrss_kb"] / 1024)
    code = reaped["code"]
    if reaped["timed_out"]:
        run.error = f"timeout after {timeout:.0f} s"
    elif code < 0:
        run.error = f"killed by signal {-code}" + (" (out of memory?)" if code == -9 else "")
    elif code:
        last = (stderr.strip().splitlines() or ["?"])[-1]
        run.error = f"exit {code}: {last[:160]}"
    lines = stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except ValueError:
        result = None
    run.result = result if isinstance(result, dict) else {"stdout": stdout}
    if not run.error and isinstance(run.result.get("seconds"), float | int):
        run.seconds = float(run.result["seconds"])
    return run


def child_code(imports: str, work: str) -> list[str]:
    """``python -c`` running ``imports`` untimed, then ``work`` (which sets ``rows``) timed."""
    code = (
        f"import json, time\n{imports}\nt0 = time.perf_counter()\n{work}\n"
        "print(json.dumps({'seconds': time.perf_counter() - t0, 'rows': rows}))"
    )
    return [sys.executable, "-c", code]


def from_children(name: str, runs: list[ChildRun], note: str = "") -> Measurement:
    """The runs as one measurement: the child's own timing, its process wall and the max RSS."""
    m = Measurement(name, [r.seconds if r.seconds is not None else r.wall for r in runs])
    m.wall_seconds = [r.wall for r in runs]
    m.peak_rss_mb = max(r.peak_rss_mb for r in runs)
    m.note = note
    return m


def machine() -> str:
    """CPU, cores, memory, OS and the versions that matter for the figures."""
    import duckdb
    import pandas
    import pyarrow

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = ""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages * size / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
        f"pyarrow {pyarrow.__version__}, pandas {pandas.__version__}"
    )


def markdown(sections: list[Section], header: str) -> str:
    """The report: one table per section, figures as median (min–max)."""
    out = [header, ""]
    for s in sections:
        out += [f"## {s.title}", "", s.description, ""]
        walls = any(m.wall_seconds for m in s.measurements)
        wall_head = ("| process wall ", "---:|") if walls else ("", "")
        out += [
            f"| what | median | min – max {wall_head[0]}| runs | peak RSS | note |",
            f"|---|---:|---:|{wall_head[1]}---:|---:|---|",
        ]
        for m in s.measurements:
            rss = f"{m.peak_rss_mb:,.0f} MB" if m.peak_rss_mb is not None else ""
            wall = ""
            if walls:
                wall = f"| {_fmt(statistics.median(m.wall_seconds))} " if m.wall_seconds else "| "
            span = f"{_fmt(min(m.seconds))} – {_fmt(max(m.seconds))}" if m.seconds else ""
            median = _fmt(m.median) if m.seconds else "—"
            out.append(
                f"| {m.name} | {median} | {span} {wall}| {len(m.seconds)} | {rss} | {m.note} |"
            )
        out.append("")
        out += [f"- {v}" for v in s.verdicts]
        out.append("")
    return "\n".join(out)


def _fmt(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if round(seconds * 1000) < 1000:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"
