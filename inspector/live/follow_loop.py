"""Following until told to stop: steps on every change (or safety poll), events out.

Events are plain dicts, as ``watch --json`` prints them: ``finding`` / ``finding_update`` (from
``finding_events``), ``note``, ``progress`` (once a second, from its own thread so a long step
never silences the heartbeat) and a last ``summary``. The window's worker runs the same loop and
turns the events into signals.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from inspector.live.change_signal import ChangeSignal
from inspector.live.finding_events import FindingTracker
from inspector.live.followed_inputs import followed_inputs
from inspector.live.live_run import LiveRun

log = logging.getLogger(__name__)

Event = dict[str, Any]
HEARTBEAT_SECONDS = 1.0
STEP_SECONDS = 0.3  # at most this often a step, while lines keep coming


def watched_folders(paths: list[str]) -> list[str]:
    """Folders whose changes matter: given folders and databases, given files' folders."""
    inputs = followed_inputs(paths)
    folders = [*inputs.folders, *inputs.databases]
    folders += [os.path.dirname(os.path.abspath(f)) for f in inputs.files]
    return folders


class FollowLoop:
    """Drives a ``LiveRun``: waits for changes, steps, and reports through ``emit``."""

    def __init__(
        self,
        run: LiveRun,
        emit: Callable[[Event], None],
        on_step: Callable[[LiveRun], None] | None = None,
    ) -> None:
        self.run = run
        self.emit_unlocked = emit
        self.on_step = on_step
        self.tracker = FindingTracker()
        self.lock = threading.Lock()  # one event written at a time; counts read consistently
        self.stop = threading.Event()
        self.paused = threading.Event()
        self.lag_seconds = 0.0
        self.lines_per_second = 0.0
        self._rate_mark = (time.monotonic(), 0)
        self.signal: ChangeSignal | None = None
        self._last_step = 0.0

    def emit(self, event: Event) -> None:
        with self.lock:
            self.emit_unlocked(event)

    # -- the loop -------------------------------------------------------------------------------
    def follow(self, for_seconds: float | None = None) -> None:
        """Follow until ``stop`` is set or ``for_seconds`` elapsed; the summary is emitted last."""
        started = time.monotonic()
        deadline = None if for_seconds is None else started + for_seconds
        self.signal = ChangeSignal(watched_folders(self.run.paths))
        beat = threading.Thread(target=self._heartbeat, name="live-heartbeat", daemon=True)
        beat.start()
        try:
            self._step()
            while not self.stop.is_set():
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                wait = 0.5 if left is None else min(0.5, left)
                busy = self.run.more and not self.paused.is_set()  # a read limit was hit
                changed = busy or self.signal.wait(wait)
                if self.stop.is_set() or self.paused.is_set():
                    continue
                if changed:
                    # A steady stream changes files all the time: batch at most every
                    # STEP_SECONDS (fewer, larger steps; the latency stays well under 1 s).
                    rest = self._last_step + STEP_SECONDS - time.monotonic()
                    if rest > 0 and not busy:
                        self.stop.wait(rest)
                    if self.signal.folders_changed or self.signal.polled:
                        self.signal.folders_changed = False
                        self.run.rediscover()  # files that appeared are followed from byte 0
                    self._step()
        finally:
            self.stop.set()
            self.signal.close()
            beat.join(timeout=2.0)
            self.emit(self.summary())

    def _step(self) -> None:
        self._last_step = time.monotonic()
        now = time.time()
        try:
            result = self.run.step(now)
        except Exception:  # a broken batch must not end the follow: say so, go on
            log.exception("a live step failed")
            self.emit({"event": "note", "message": "a batch could not be analysed (see the log)"})
            return
        done = time.time()
        with self.lock:
            if result.lines or result.records:
                newest = result.newest_write
                self.lag_seconds = max(0.0, done - newest) if newest is not None else 0.0
            else:
                self.lag_seconds = 0.0
        for note in result.notes:
            self.emit({"event": "note", "message": note})
        if result.records or self.tracker.reported:
            for event in self.tracker.update(self.run.findings(now)):
                self.emit(event)
        if self.on_step is not None:
            self.on_step(self.run)

    def _heartbeat(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS):
            self.emit(self.progress())

    # -- events ---------------------------------------------------------------------------------
    def progress(self) -> Event:
        counts = self.run.counts
        now = time.monotonic()
        mark_time, mark_lines = self._rate_mark
        if now - mark_time >= 1.0:
            self.lines_per_second = (counts.lines - mark_lines) / (now - mark_time)
            self._rate_mark = (now, counts.lines)
        event: Event = {
            "event": "progress",
            "lines": counts.lines,
            "records": counts.records,
            "rejected": counts.rejected,
            "lag_seconds": round(self.lag_seconds, 3),
        }
        flush = self.run.last_flush()
        if flush is not None:
            event["database_flushed_at"] = dt.datetime.fromtimestamp(flush, dt.UTC)
        return event

    def summary(self) -> Event:
        counts = self.run.counts
        return {
            "event": "summary",
            "lines": counts.lines,
            "records": counts.records,
            "rejected": counts.rejected,
            "findings": self.tracker.count,
        }
