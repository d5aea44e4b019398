"""Hostile inputs under an address-space limit: each loads its good records, rejects the rest with
reasons, and stays within 1 GiB of address space (and well under 1 GB resident).

Each case runs ``scan --json`` in a child process whose address space is limited (``setrlimit
RLIMIT_AS``, what ``prlimit --as`` sets). glibc's per-thread arenas and Arrow's jemalloc reserve
about 1.7 GB of address space they never touch; the child runs with ``MALLOC_ARENA_MAX=1`` and
Arrow's system allocator so that the limit measures memory that is used, not reserved. A tiny
log costs about 580 MB of address space that way (Python, Arrow, DuckDB, numpy and their
threads); the limit is 1 GiB (or that baseline plus 440 MiB on a machine where it is larger).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import zlib

import pytest
import zstandard

from tests.osquery_lines import event_line

pytestmark = pytest.mark.slow
GIB = 1 << 30
RUN = """
import sys
from ui.entry import main
try:
    code = main(sys.argv[1:])
finally:
    status = open("/proc/self/status").read()
    for line in status.splitlines():
        if line.startswith(("VmPeak", "VmHWM")):
            print(line, file=sys.stderr)
sys.exit(code)
"""


def records(first: int, last: int) -> bytes:
    lines = [
        event_line("q", {"n": str(i), "time": str(1785846000 + i)}, unix=1785846000 + i)
        for i in range(first, last)
    ]
    return ("\n".join(lines) + "\n").encode()


def _zstd(path, parts) -> None:
    c = zstandard.ZstdCompressor(level=3).compressobj()
    with open(path, "wb") as f:
        for part in parts:
            for block in part if isinstance(part, list) else [part]:
                f.write(c.compress(block))
        f.write(c.flush())


def _gzip_member(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 16 + 15)
    return c.compress(data) + c.flush()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = {name: str(folder / name) for name in (
        "nul-start.log", "blank-lines.log", "newlines.zst", "sparse-tail.log",
        "long-line.zst", "long-line.gz")}  # fmt: skip
    with open(paths["nul-start.log"], "wb") as f:
        f.write(b"\0" * (8 << 20) + records(0, 1000))
    with open(paths["blank-lines.log"], "wb") as f:
        f.write(records(0, 10) + b"\n" * (16 << 20) + records(10, 20))
    _zstd(paths["newlines.zst"], [records(0, 10), [b"\n" * (64 << 20)] * 16, records(10, 20)])
    with open(paths["sparse-tail.log"], "wb") as f:
        f.write(records(0, 10))
        f.truncate(f.tell() + GIB)  # a hole: a gigabyte of zeros that takes no disk
    _zstd(
        paths["long-line.zst"], [records(0, 10), [b"x" * (64 << 20)] * 128, b"\n", records(10, 20)]
    )
    member = _gzip_member(b"x" * (64 << 20))  # gzip members follow one another in one file
    with open(paths["long-line.gz"], "wb") as f:
        f.write(_gzip_member(records(0, 10)) + member * 64 + _gzip_member(b"\n" + records(10, 20)))
    return paths


def scan_limited(path: str, tmp_path, limit: int) -> tuple[dict, dict[str, int]]:
    env = dict(
        os.environ, MALLOC_ARENA_MAX="1", ARROW_DEFAULT_MEMORY_POOL="system",
        OPENBLAS_NUM_THREADS="1", XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_STATE_HOME=str(tmp_path / "state"),
    )  # fmt: skip

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-c", RUN, "scan", path, "--json", "--no-cache", "--tz", "UTC"],
        capture_output=True, text=True, timeout=600, env=env, preexec_fn=limit_memory,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    peaks = {
        line.split(":")[0]: int(line.split()[1]) * 1024
        for line in done.stderr.splitlines()
        if line.startswith(("VmPeak", "VmHWM"))
    }
    return json.loads(done.stdout), peaks


@pytest.fixture(scope="module")
def limit(tmp_path_factory) -> int:
    """1 GiB, unless a tiny log alone needs more than 584 MiB of address space here."""
    folder = tmp_path_factory.mktemp("tiny")
    tiny = folder / "osqueryd.results.log"
    tiny.write_bytes(records(0, 5))
    _, peaks = scan_limited(str(tiny), folder, 4 * GIB)
    return max(GIB, peaks["VmPeak"] + 440 * (1 << 20))


CASES = {
    # name: (records loaded, the rejected entries' (first line, lines, words in the reason))
    "nul-start.log": (1000, []),
    "blank-lines.log": (20, [(11, 16 << 20, "empty line")]),
    "newlines.zst": (20, [(11, GIB, "empty line")]),
    "sparse-tail.log": (10, [(11, 1, f"{GIB:,} NUL bytes")]),
    "long-line.zst": (20, [(11, 1, f"a line of {8 * GIB:,} bytes")]),
    "long-line.gz": (20, [(11, 1, f"a line of {4 * GIB:,} bytes")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input_loads_within_bounded_memory(hostile, limit, tmp_path, name) -> None:
    doc, peaks = scan_limited(hostile[name], tmp_path, limit)
    (source,) = doc["sources"]
    rows, rejected = CASES[name]
    assert source["status"] == "loaded" and source["rows"] == rows
    assert source["lines_loaded"] + source["lines_rejected"] == source["lines"]
    got = [(b["line"], b.get("lines", 1), b["reason"]) for b in source["bad_lines"]]
    assert len(got) == len(rejected)
    for (line, lines, reason), (want_line, want_lines, words) in zip(got, rejected, strict=True):
        assert (line, lines) == (want_line, want_lines) and words in reason
    assert doc["totals"]["rejected_lines"] == sum(n for _, n, _ in rejected)
    assert peaks["VmPeak"] <= limit
    assert peaks["VmHWM"] < 10**9  # resident: well under 1 GB
