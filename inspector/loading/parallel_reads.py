"""Inputs read two at a time, their results handed back in input order.

A host folder holds several logs of a few megabytes (a rotated set, the database): each
one's parse keeps one core busy, and its fixed steps (opening, the first queries, the
database) leave gaps. Two inputs in flight fill both cores. Progress is the bytes of the
finished inputs plus each running one's share, never going back.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from inspector.progress import Progress

READS_AT_ONCE = 2
T = TypeVar("T")


class SharedProgress:
    """One progress for inputs read at once: each input's fraction weighed by its size."""

    def __init__(self, progress: Progress | None, start: float, end: float, total: int) -> None:
        self._progress, self._start, self._end = progress, start, end
        self._total = max(total, 1)
        self._running: dict[int, float] = {}
        self._finished = 0.0
        self._shown = 0.0
        self._lock = threading.Lock()

    def part(self, key: int, size: int) -> Progress | None:
        """The progress one input reports to (None when nobody listens)."""
        if self._progress is None:
            return None

        def forward(fraction: float, message: str) -> None:
            with self._lock:
                self._running[key] = fraction * size
                done = (self._finished + sum(self._running.values())) / self._total
                self._shown = max(self._shown, min(done, 1.0))
                shown = self._shown
            assert self._progress is not None
            self._progress.report(self._start + (self._end - self._start) * shown, message)

        return self._progress.forwarding(forward)  # one cancel stops every input

    def finished(self, key: int, size: int) -> None:
        with self._lock:
            self._running.pop(key, None)
            self._finished += size


def in_order(
    jobs: list[Callable[[], T]], alone: list[bool] | None = None
) -> Generator[T, None, None]:
    """Run ``jobs`` ``READS_AT_ONCE`` at a time; yield their results in order. A job marked
    ``alone`` (a large file, whose parse already keeps every core busy) runs by itself, so
    the memory of one large read is never doubled. An exception (a cancel) stops the rest:
    jobs not started are dropped, running ones are waited for."""
    alone = alone if alone is not None else [False] * len(jobs)
    if len(jobs) <= 1:
        for job in jobs:
            yield job()
        return
    pool = ThreadPoolExecutor(READS_AT_ONCE, thread_name_prefix="read-input")
    pending: deque[tuple[Future[T], bool]] = deque()
    position = 0

    def top_up() -> None:  # one job ahead of the running ones: a result waits at most
        nonlocal position
        while position < len(jobs) and len(pending) < READS_AT_ONCE + 1:
            if pending and (alone[position] or pending[-1][1]):
                return  # a job that runs alone waits for the others, and they for it
            pending.append((pool.submit(jobs[position]), alone[position]))
            position += 1

    try:
        top_up()
        while pending:
            result = pending.popleft()[0].result()
            top_up()
            yield result
    finally:
        for future, _ in pending:
            future.cancel()
        pool.shutdown(wait=True)
