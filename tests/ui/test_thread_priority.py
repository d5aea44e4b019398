"""Workers run at a lower CPU priority than the GUI thread (Linux: nice values per thread)."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from ui.latest_job import LatestJob
from ui.thread_priority import BACKGROUND_NICE

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="nice is per thread on Linux"
)


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_a_job_runs_nicer_than_the_gui_thread(qtbot):
    gui = _nice()
    job = LatestJob()
    with qtbot.waitSignal(job.done, timeout=10_000) as done:
        job.start(lambda _progress: _nice())
    assert done.args[0] == min(19, gui + BACKGROUND_NICE)
    assert _nice() == gui  # the GUI thread itself is untouched


def test_threads_a_worker_starts_inherit_its_priority(qtbot):
    def work(_progress) -> int:
        seen: list[int] = []
        child = threading.Thread(target=lambda: seen.append(_nice()))
        child.start()
        child.join()
        return seen[0]

    gui = _nice()
    job = LatestJob()
    with qtbot.waitSignal(job.done, timeout=10_000) as done:
        job.start(work)
    assert done.args[0] == min(19, gui + BACKGROUND_NICE)
