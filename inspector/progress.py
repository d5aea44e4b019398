"""Progress reporting and cooperative cancellation for long-running core functions.

Core functions take an optional ``Progress``; the GUI's worker passes one whose callback forwards
to a Qt signal, the command line passes one that prints, tests pass none.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class Cancelled(Exception):
    """Raised inside a core function when its ``Progress`` was cancelled."""


class Progress:
    """A progress sink with a cancel flag, safe to cancel from another thread."""

    def __init__(self, callback: Callable[[float, str], None] | None = None) -> None:
        self._callback = callback
        self._cancel = threading.Event()

    def report(self, fraction: float, message: str = "") -> None:
        """Report progress in [0, 1] with a short message; raise ``Cancelled`` if cancelled."""
        self.check()
        if self._callback is not None:
            self._callback(min(max(fraction, 0.0), 1.0), message)

    def cancel(self) -> None:
        """Ask the running function to stop at its next checkpoint."""
        self._cancel.set()

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

        child = Progress(forward)
        child._cancel = self._cancel
        return child


def report(progress: Progress | None, fraction: float, message: str = "") -> None:
    """Report to ``progress`` if there is one (helper for optional progress arguments)."""
    if progress is not None:
        progress.report(fraction, message)
