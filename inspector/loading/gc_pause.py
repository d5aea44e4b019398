"""Pausing Python's cycle collector while loads run (any number at once, on any thread)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_paused = 0  # loads under way (the window may run two: a run and the one it is compared with)
_collector_was_enabled = True
_pause_lock = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector now and then walks every live object — the imported modules'
    hundreds of thousands — and a load's allocations trigger it again and again (~1 s per GB,
    measured). A load makes no reference cycles worth collecting: the collector waits until the
    last load under way ends (cycles made meanwhile elsewhere are collected then)."""
    global _paused, _collector_was_enabled
    with _pause_lock:
        if _paused == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _paused += 1
    try:
        yield
    finally:
        with _pause_lock:
            _paused -= 1
            if _paused == 0 and _collector_was_enabled:
                gc.enable()
