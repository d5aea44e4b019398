"""A simulated agent writing a results log the way osqueryd (or logrotate) does: for tests,
benchmarks, and trying ``watch`` without an agent.

Each line is its own open(O_APPEND) + write + close, as osquery's filesystem logger does, so
a renamed file is always complete. Rotations are offered as a sequence of single steps (a
generator) so a test can look at the folder between any two of them:

- ``osquery``: ``.N.zst`` → ``.N+1.zst`` oldest first (the oldest beyond the limit deleted),
  ``.1`` compressed into a new ``.2.zst`` (written in two parts), ``.1`` removed, the live log
  renamed to ``.1``; the next write creates the log again;
- ``copytruncate``: logrotate's numbered ``.N.gz`` shifted, the live log copied to ``.1``
  (``delaycompress``: the previous ``.1`` gzipped to ``.2.gz`` first), then truncated in place;
- ``dateext``: the live log renamed to ``LOG-<stamp>``, the previous one gzipped.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field

import zstandard

SCHEMES = ("osquery", "copytruncate", "dateext")


def event_line(n: int, unix_time: int, host: str = "sim-host", copy: int = 0) -> str:
    """A results-log line of the ``process_events`` event query: unique per ``n`` (``copy``
    > 0 makes a duplicated delivery of event ``n``: same columns, another eid)."""
    columns = {
        "pid": str(1000 + n),
        "path": f"/usr/bin/tool{n % 50}",
        "cmdline": f"tool{n % 50} --run {n}",
        "time": str(unix_time),
        "eid": str(n * 10 + copy),
    }
    return json.dumps(
        {
            "name": "process_events",
            "hostIdentifier": host,
            "calendarTime": "",
            "unixTime": unix_time,
            "epoch": 0,
            "counter": n,
            "numerics": False,
            "columns": columns,
            "action": "added",
        },
        separators=(",", ":"),
    )


@dataclass
class RotatingLog:
    """A log written line by line and rotated by ``scheme`` keeping ``limit`` earlier files."""

    path: str
    scheme: str = "osquery"
    limit: int = 25
    written: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # lines of files deleted past the limit
    rotations: int = 0

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"unknown rotation scheme {self.scheme!r}")
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)

    def write(self, lines: list[str]) -> None:
        """Append each line with its own open/write/close (osquery's filesystem logger)."""
        for line in lines:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line.encode() + b"\n")
            finally:
                os.close(fd)
            self.written.append(line)

    def write_many(self, lines: list[str]) -> None:
        """Append all lines at once (one write: a fast agent between two reads)."""
        if not lines:
            return
        with open(self.path, "ab") as f:
            f.write(("\n".join(lines) + "\n").encode())
        self.written.extend(lines)

    def rotate(self) -> None:
        """One whole rotation."""
        for _ in self.rotation_steps():
            pass

    def rotation_steps(self) -> Iterator[str]:
        """The rotation as single file-system steps; yields a word after each one."""
        if not os.path.exists(self.path):
            return
        self.rotations += 1
        if self.scheme == "osquery":
            yield from self._osquery_steps()
        elif self.scheme == "copytruncate":
            yield from self._copytruncate_steps()
        else:
            yield from self._dateext_steps()

    # -- osquery's filesystem logger --------------------------------------------------------------
    def _osquery_steps(self) -> Iterator[str]:
        numbers = self._numbers(".zst")
        for n in sorted(numbers, reverse=True):
            if n + 1 > self.limit:
                self._drop(f"{self.path}.{n}.zst")
                yield "drop"
            else:
                os.rename(f"{self.path}.{n}.zst", f"{self.path}.{n + 1}.zst")
                yield "shift"
        first = f"{self.path}.1"
        if os.path.exists(first):
            if self.limit >= 2:
                with open(first, "rb") as f:
                    packed = zstandard.ZstdCompressor().compress(f.read())
                target = f"{self.path}.2.zst"
                half = len(packed) // 2
                with open(target, "wb") as f:
                    f.write(packed[:half])
                yield "compress-part"
                with open(target, "ab") as f:
                    f.write(packed[half:])
                yield "compress"
            os.unlink(first)
            yield "remove-1"
        os.rename(self.path, first)
        yield "rename-live"

    def _numbers(self, ext: str) -> list[int]:
        folder, base = os.path.split(os.path.abspath(self.path))
        out = []
        for name in os.listdir(folder):
            if name.startswith(base + ".") and name.endswith(ext):
                middle = name[len(base) + 1 : len(name) - len(ext)]
                if middle.isdigit():
                    out.append(int(middle))
        return out

    def _drop(self, path: str) -> None:
        """Delete an earlier file past the limit, remembering which lines went with it."""
        with open(path, "rb") as f:
            raw = f.read()
        if path.endswith(".zst"):
            raw = zstandard.ZstdDecompressor().decompressobj().decompress(raw)
        elif path.endswith(".gz"):
            raw = gzip.decompress(raw)
        self.dropped.extend(raw.decode().splitlines())
        os.unlink(path)

    # -- logrotate ------------------------------------------------------------------------------
    def _copytruncate_steps(self) -> Iterator[str]:
        for n in sorted(self._numbers(".gz"), reverse=True):
            if n + 1 > self.limit:
                self._drop(f"{self.path}.{n}.gz")
                yield "drop"
            else:
                os.rename(f"{self.path}.{n}.gz", f"{self.path}.{n + 1}.gz")
                yield "shift"
        first = f"{self.path}.1"
        if os.path.exists(first):  # delaycompress: last rotation's copy is compressed now
            if self.limit >= 2:
                with open(first, "rb") as src, gzip.open(f"{self.path}.2.gz", "wb") as dst:
                    shutil.copyfileobj(src, dst)
                yield "compress"
            os.unlink(first)
            yield "remove-1"
        shutil.copyfile(self.path, first)
        yield "copy"
        os.truncate(self.path, 0)
        yield "truncate"

    def _dateext_steps(self) -> Iterator[str]:
        folder, base = os.path.split(os.path.abspath(self.path))
        plain = sorted(
            n for n in os.listdir(folder) if n.startswith(base + "-") and not n.endswith(".gz")
        )
        for name in plain:  # delaycompress
            src = os.path.join(folder, name)
            with open(src, "rb") as f, gzip.open(src + ".gz", "wb") as g:
                shutil.copyfileobj(f, g)
            yield "compress"
            os.unlink(src)
            yield "remove-plain"
        dated = sorted(n for n in os.listdir(folder) if n.startswith(base + "-"))
        while len(dated) >= self.limit:
            self._drop(os.path.join(folder, dated.pop(0)))
            yield "drop"
        stamp = f"2024{self.rotations:04d}"[-8:]
        os.rename(self.path, f"{self.path}-{stamp}")
        yield "rename-live"
