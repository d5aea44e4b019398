"""Timing with medians, the machine's description, and the Markdown report."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Measurement:
    """Wall times of one thing measured several times (seconds), plus notes."""

    name: str
    seconds: list[float]
    peak_rss_mb: float | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


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
        out += [
            "| what | median | min – max | runs | peak RSS | note |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for m in s.measurements:
            rss = f"{m.peak_rss_mb:,.0f} MB" if m.peak_rss_mb is not None else ""
            out.append(
                f"| {m.name} | {_fmt(m.median)} | {_fmt(min(m.seconds))} – {_fmt(max(m.seconds))} "
                f"| {len(m.seconds)} | {rss} | {m.note} |"
            )
        out.append("")
        out += [f"- {v}" for v in s.verdicts]
        out.append("")
    return "\n".join(out)


def _fmt(seconds: float) -> str:
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"
