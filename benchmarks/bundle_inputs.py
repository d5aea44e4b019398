"""Inputs of the bundle benchmarks: a demo host folder, plain copies of its rotated results set,
and a log-pipeline bucket of many one-line files.

Everything is written by the project's demo generator (in a child process, see ``demo_run``).
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import shutil

from benchmarks.inputs import RESULTS, _read, _rotation, demo_run

_UNIX_TIME = re.compile(rb'"unixTime":"?(\d+)')
# A demo run's results lines average ~680 bytes: a pipeline object of one line is ~700 bytes.
BYTES_PER_LINE = 800  # generous, so that a run of N × this holds N complete lines


def host_folder(folder: str, size: int, hours: float = 6.0) -> str:
    """The host folder of ``osquery-inspector demo OUT --size SIZE`` (rotated + zstd results
    logs, glog, snapshots, osquery.db, config), written under ``folder``."""
    run = os.path.join(folder, "demo")
    demo_run(run, size, hours=hours)
    hosts = [p for p in glob.glob(os.path.join(run, "*")) if os.path.isdir(p)]
    if len(hosts) != 1:
        raise RuntimeError(f"the demo run in {run} has {len(hosts)} host folders, not one")
    return hosts[0]


def rotated_set(host_dir: str) -> list[str]:
    """The folder's results logs (``.N.zst`` … ``.1``, the live file), oldest first."""
    logs = glob.glob(os.path.join(host_dir, RESULTS + "*"))
    return sorted(logs, key=_rotation, reverse=True)


def complete_lines(path: str) -> list[bytes]:
    """The lines of ``path`` (decompressed) that every JSON reader can read: starting with
    ``{``, ending with ``}``, without a NUL byte (demo runs hold deliberate damage — cut lines,
    NUL padding — that only the app's loader is meant to survive)."""
    return [
        line
        for line in _read(path).split(b"\n")
        if line.startswith(b"{") and line.endswith(b"}") and b"\x00" not in line
    ]


def plain_copies(paths: list[str], out_dir: str) -> tuple[list[str], int, int]:
    """Decompressed copies of ``paths`` (complete lines only) in ``out_dir``: the copies, their
    lines and bytes — what a bare DuckDB baseline reads."""
    os.makedirs(out_dir, exist_ok=True)
    copies, lines, nbytes = [], 0, 0
    for path in paths:
        kept = complete_lines(path)
        copy = os.path.join(out_dir, os.path.basename(path).removesuffix(".zst"))
        with open(copy, "wb") as out:
            for line in kept:
                out.write(line + b"\n")
        copies.append(copy)
        lines += len(kept)
        nbytes += os.path.getsize(copy)
    return copies, lines, nbytes


def joined_copy(copies: list[str], out_path: str) -> str:
    """``copies`` joined in order into one file (DuckDB reads one file ~3× faster than the same
    lines as a list of files: the stricter baseline)."""
    with open(out_path, "wb") as out:
        for path in copies:
            with open(path, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 24)
    return out_path


def pipeline_bucket(folder: str, files: int) -> tuple[str, int]:
    """``files`` objects of one results line each (~700 bytes) under ``folder/bucket/YYYY/MM/DD/HH/``
    (the hour of the line's ``unixTime``), named as Firehose names its objects; the root and
    the bytes written. The lines are spread evenly over a 6-hour demo run, in time order."""
    host = host_folder(os.path.join(folder, "source"), max(2_000_000, files * BYTES_PER_LINE))
    lines = [line for path in rotated_set(host) for line in complete_lines(path)]
    if not lines:
        raise RuntimeError(f"the demo run in {host} has no complete results line")
    step = max(1, len(lines) // files)
    root = os.path.join(folder, "bucket")
    nbytes = 0
    made: set[str] = set()
    for k in range(files):
        line = lines[(k * step) % len(lines)]
        found = _UNIX_TIME.search(line)
        at = dt.datetime.fromtimestamp(int(found.group(1)) if found else 0, dt.UTC)
        sub = os.path.join(root, at.strftime("%Y/%m/%d/%H"))
        if sub not in made:
            os.makedirs(sub, exist_ok=True)
            made.add(sub)
        name = f"osquery-results-1-{at:%Y-%m-%d-%H-%M-%S}-{k:07d}"
        with open(os.path.join(sub, name), "wb") as out:
            nbytes += out.write(line + b"\n")
    return root, nbytes
