"""Progress reporting and cooperative cancellation for long-running core functions.

Core functions take an optional ``Progress``; the GUI's worker passes one whose callback forwards
to a Qt signal, the command line passes one that prints, tests pass none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable


class Cancelled(Exception):
    """Raised inside a core function when its ``Progress`` was cancelled."""


_log = logging.getLogger(__name__)


class _CancelFlag:
    """A cancel flag shared by a progress and the ones derived from it, with the functions to
    call when it is set (stopping work that has no checkpoint of its own: a running query)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._on_set: list[Callable[[], None]] = []

    def set(self) -> None:
        with self._lock:
            if self._event.is_set():  # cancelled before: its stops ran then
                return
            self._event.set()
            calls = list(self._on_set)
        for call in calls:
            try:
                call()
            except Exception:  # a cancel must not fail: the work still stops at its checkpoint
                _log.exception("stopping the cancelled work's running part failed")

    def is_set(self) -> bool:
        return self._event.is_set()

    def add(self, call: Callable[[], None]) -> Callable[[], None]:
        with self._lock:
            self._on_set.append(call)
            already = self._event.is_set()
        if already:
            call()

        def remove() -> None:
            with self._lock:
                if call in self._on_set:
                    self._on_set.remove(call)

        return remove


class Progress:
    """A progress sink with a cancel flag, safe to cancel from another thread."""

    def __init__(self, callback: Callable[[float, str], None] | None = None) -> None:
        self._callback = callback
        self._cancel = _CancelFlag()

    def report(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1] with a short message; raise ``Cancelled`` if cancelled."""
        self.check()
        if self._callback is not None:
            self._callback(min(max(fraction, 0.0), 1.0), message)

    def cancel(self) -> None:
        """Ask the running function to stop at its next checkpoint (and call what
        ``on_cancel`` registered)."""
        self._cancel.set()

    def on_cancel(self, call: Callable[[], None]) -> Callable[[], None]:
        """Call ``call`` (from the cancelling thread; at once if already cancelled) when this
        progress is cancelled, e.g. to interrupt a query; returns the function that unregisters
        it."""
        return self._cancel.add(call)

    def forwarding(self, callback: Callable[[float, str], None]) -> Progress:
        """A progress reporting to ``callback`` that shares this one's cancellation."""
        child = Progress(callback)
        child._cancel = self._cancel
        return child

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` if cancellation was requested."""
        if self._cancel.is_set():
            raise Cancelled()

    def scaled(self, start: float, end: float) -> Progress:
        """A child progress that maps its [0, 1] onto [start, end] of this one."""
        parent = self

        def forward(fraction: float, message: str) -> None:
            parent.report(start + (end - start) * fraction, message)

        return self.forwarding(forward)


def report(progress: Progress | None, fraction: float, message: str = "") -> None:
    """Report to ``progress`` if there is one (helper for optional progress arguments)."""
    if progress is not None:
        progress.report(fraction, message)
