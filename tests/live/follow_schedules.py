"""Random write/rotate/check schedules against a simulated agent, and what a follower must read.

Shared by the property test (a modest number of schedules) and the benchmark (10,000).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from inspector.demo.live_agent import RotatingLog
from inspector.live.log_follower import LogFollower

# One operation: ("write", n) lines one by one, ("burst", n) lines in one write, ("step", 0)
# one step of a rotation (a new one starts when none is under way), ("rotate", k) k whole
# rotations, ("check", 0) the follower looks.
Op = tuple[str, int]


@dataclass
class Outcome:
    written: list[str]
    read: list[str]
    dropped: list[str]
    retries: int

    def problems(self) -> list[str]:
        """What went wrong: repeated lines, lines out of order, lines lost (not dropped)."""
        out = []
        if len(set(self.read)) != len(self.read):
            out.append(f"{len(self.read) - len(set(self.read))} lines read twice")
        order = {line: i for i, line in enumerate(self.written)}
        positions = [order.get(line, -1) for line in self.read]
        if -1 in positions:
            out.append("a line read that was never written")
        elif positions != sorted(positions):
            out.append("lines read out of order")
        missing = set(self.written) - set(self.read) - set(self.dropped)
        if missing:
            out.append(f"{len(missing)} lines lost (not in a dropped file)")
        return out


def run_schedule(
    ops: list[Op], scheme: str, limit: int, folder: str | None = None, retries: int = 2
) -> Outcome:
    """Play ``ops`` against a ``RotatingLog`` and a ``LogFollower``; finish with a rotation
    completed and a last check (twice: a torn line needs none, a rotation mid-check needs one).
    The agent here is paused mid-rotation while the follower looks (a real one finishes in
    milliseconds): ``retries`` without a pause keeps the schedules fast."""
    own = folder is None
    folder = folder or tempfile.mkdtemp(prefix="follow-")
    log = RotatingLog(os.path.join(folder, "osqueryd.results.log"), scheme, limit)
    follower = LogFollower(log.path, retries=retries, retry_seconds=0.0)
    read: list[str] = []
    steps: Iterator[str] | None = None
    counter = 0

    def check() -> None:
        for piece in follower.check():
            read.extend(piece.data.decode().splitlines())
        while follower.more:
            for piece in follower.check():
                read.extend(piece.data.decode().splitlines())

    def lines(n: int) -> list[str]:
        nonlocal counter
        out = [f'{{"line":{counter + i},"pad":"{"x" * ((counter + i) % 97)}"}}' for i in range(n)]
        counter += n
        return out

    try:
        for kind, n in ops:
            if kind in ("write", "burst"):
                if steps is not None:  # the agent rotates between its writes, never during one
                    for _ in steps:
                        pass
                    steps = None
                (log.write if kind == "write" else log.write_many)(lines(n))
            elif kind == "step":
                if steps is None:
                    steps = log.rotation_steps()
                if next(steps, None) is None:
                    steps = None
            elif kind == "rotate":
                if steps is not None:
                    for _ in steps:
                        pass
                    steps = None
                for _ in range(n):
                    log.write(lines(1))
                    log.rotate()
            else:
                check()
        if steps is not None:
            for _ in steps:
                pass
        check()
        check()
    finally:
        follower.close()
        if own:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)
    return Outcome(log.written, read, log.dropped, follower.stats.retries)
