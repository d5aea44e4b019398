"""Inputs for the ingestion and RocksDB benchmarks, written by the project's demo generator.

The generator runs in a child process: a 1 GB run needs about 3.7 GB while it is built, which
the benchmark process (the parent of every measured child) should not keep.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys

import zstandard

from benchmarks.harness import ROOT

RESULTS = "osqueryd.results.log"
# Results-log bytes per event a one-hour demo run leaves buffered in its osquery.db (measured:
# 700 MB over 1 hour buffers 1.03 M events; the database keeps the last hour of events).
BYTES_PER_BUFFERED_EVENT = 683


def demo_run(out_dir: str, size: int, hours: float, seed: int = 1) -> None:
    """``osquery-inspector demo OUT_DIR --size SIZE --hours HOURS`` (the default scenario)."""
    code = (
        "from inspector.demo.writer import write_run\n"
        f"write_run({out_dir!r}, seed={seed}, hours={hours!r}, size={size})"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def results_log(folder: str, size: int) -> tuple[str, int]:
    """One plain results log from a 24-hour demo run of about ``size`` bytes; its path and lines.

    The rotated set is decompressed in time order (``.N.zst`` with the highest N first, down to
    ``.1``, then the live file) and only complete lines are kept — starting with ``{``, ending
    with ``}``, without a NUL byte — so that every baseline can read the file: demo runs contain
    deliberate damage (cut lines, NUL padding) that only the app's loader is meant to survive.
    """
    run = os.path.join(folder, "demo")
    demo_run(run, size, hours=24)
    logs = glob.glob(os.path.join(run, "*", RESULTS + "*"))
    path = os.path.join(folder, RESULTS)
    lines = 0
    with open(path, "wb") as out:
        for name in sorted(logs, key=_rotation, reverse=True):
            for line in _read(name).split(b"\n"):
                if line.startswith(b"{") and line.endswith(b"}") and b"\x00" not in line:
                    out.write(line + b"\n")
                    lines += 1
    shutil.rmtree(run)
    return path, lines


def prefix(path: str, out_path: str, limit: int) -> int:
    """Copy the whole lines of ``path`` that fit in ``limit`` bytes to ``out_path``; the lines."""
    lines = written = 0
    with open(path, "rb") as src, open(out_path, "wb") as out:
        for line in src:
            if written + len(line) > limit:
                break
            out.write(line)
            written += len(line)
            lines += 1
    return lines


def osquery_db(folder: str, events: int) -> str:
    """The ``osquery.db`` of a one-hour demo run sized so that about ``events`` events are
    buffered in it (the events domain keeps the last hour; a one-hour run keeps them all)."""
    run = os.path.join(folder, "demo-db")
    demo_run(run, max(events, 1) * BYTES_PER_BUFFERED_EVENT, hours=1)
    found = glob.glob(os.path.join(run, "*", "osquery.db"))
    if not found:
        raise RuntimeError(f"the demo run in {run} has no osquery.db")
    return found[0]


def copy_db(path: str, out_path: str) -> str:
    """A copy of the database directory without its ``LOCK`` (rocksdict writes into what it
    opens, so the baseline opens a copy, as the app does)."""
    shutil.copytree(path, out_path, ignore=shutil.ignore_patterns("LOCK"))
    return out_path


def _rotation(path: str) -> int:
    """N of ``osqueryd.results.log.N[.zst]``; 0 for the live file."""
    m = re.search(r"\.log(?:\.(\d+))?(?:\.zst)?$", path)
    return int(m.group(1)) if m and m.group(1) else 0


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        if path.endswith(".zst"):
            return zstandard.ZstdDecompressor().stream_reader(f).read()
        return f.read()
