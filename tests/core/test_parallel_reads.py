"""Inputs read two at a time: results in order, large ones alone, a failure stops the rest."""

from __future__ import annotations

import threading
import time

import pytest

from inspector.loading.parallel_reads import READS_AT_ONCE, SharedProgress, in_order
from inspector.progress import Cancelled, Progress


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running: set[int] = set()
        self.together: list[set[int]] = []
        self.started: list[int] = []

    def job(self, k: int, seconds: float = 0.02, fail: bool = False):
        def run() -> int:
            with self.lock:
                self.started.append(k)
                self.running.add(k)
                self.together.append(set(self.running))
            time.sleep(seconds)
            with self.lock:
                self.running.discard(k)
            if fail:
                raise Cancelled()
            return k

        return run


def test_results_come_in_order_two_at_a_time() -> None:
    rec = Recorder()
    # The first job is slow: the others finish before it, their results still wait their turn.
    jobs = [rec.job(0, 0.15)] + [rec.job(k) for k in range(1, 8)]
    assert list(in_order(jobs)) == list(range(8))
    assert max(len(s) for s in rec.together) == READS_AT_ONCE


def test_a_large_input_is_read_alone() -> None:
    rec = Recorder()
    alone = [False, False, True, False, False]
    assert list(in_order([rec.job(k) for k in range(5)], alone)) == list(range(5))
    assert all(s == {2} for s in rec.together if 2 in s)
    assert any(len(s) == 2 for s in rec.together)  # the others did run two at a time


def test_a_failure_stops_the_inputs_not_yet_started() -> None:
    rec = Recorder()
    jobs = [rec.job(0, 0.05, fail=True)] + [rec.job(k) for k in range(1, 20)]
    with pytest.raises(Cancelled):
        list(in_order(jobs))
    assert len(rec.started) <= READS_AT_ONCE + 1  # the running ones and the one queued ahead


def test_progress_of_inputs_read_at_once_never_goes_back() -> None:
    seen: list[float] = []
    shared = SharedProgress(Progress(lambda f, _m: seen.append(f)), 0.0, 1.0, 300)
    a, b = shared.part(0, 100), shared.part(1, 200)
    assert a is not None and b is not None
    b.report(0.5)  # 100 of 300
    a.report(0.2)  # 120
    a.report(0.1)  # 110: still shown as 120
    shared.finished(1, 200)
    a.report(0.5)  # 200 + 50
    a.report(1.0)
    shared.finished(0, 100)
    assert seen == [pytest.approx(x / 300) for x in (100, 120, 120, 250, 300)]
