"""Knowing when followed files changed: file-system notifications with a short debounce, plus
a slow safety poll (network file systems miss notifications), and nothing in between — so an
idle follower costs next to no CPU.

Notifications come from ``watchfiles`` (Rust ``notify``: measured 21/43 ms p50/p99 with a
200 ms debounce, far less CPU than a Python call per inotify event). Without it (or when the
folder cannot be watched) the signal polls every 250 ms instead.
"""

from __future__ import annotations

import logging
import os
import threading
import time

log = logging.getLogger(__name__)

DEBOUNCE_MS = 200
SAFETY_POLL_SECONDS = 2.0
FALLBACK_POLL_SECONDS = 0.25


class ChangeSignal:
    """Set when something under the watched folders changed; ``wait`` returns on it."""

    def __init__(
        self,
        folders: list[str],
        recursive: bool = True,
        debounce_ms: int = DEBOUNCE_MS,
        poll_seconds: float = SAFETY_POLL_SECONDS,
    ) -> None:
        self.folders = sorted({os.path.abspath(f) for f in folders if os.path.isdir(f)})
        self.recursive = recursive
        self.debounce_ms = debounce_ms
        self.poll_seconds = poll_seconds
        self.notifying = False  # notifications are arriving (else: polling only)
        self.folders_changed = False  # a name was added or removed (look for new logs)
        self.polled = False  # the last ``wait`` returned for the safety poll
        self._event = threading.Event()
        self._stop = threading.Event()
        self._last_poll = time.monotonic()
        self._thread: threading.Thread | None = None
        if self.folders:
            self._thread = threading.Thread(target=self._watch, name="live-changes", daemon=True)
            self._thread.start()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for a change; True on a change or when the safety poll is due."""
        interval = self.poll_seconds if self.notifying else FALLBACK_POLL_SECONDS
        due = self._last_poll + interval - time.monotonic()
        changed = self._event.wait(max(0.0, min(timeout, due)))
        self.polled = False
        if changed:
            self._event.clear()
            return True
        if time.monotonic() >= self._last_poll + interval:
            self._last_poll = time.monotonic()
            self.polled = True
            return True
        return False

    def poke(self) -> None:
        """Wake ``wait`` now (a caller that wants a step at once, e.g. to stop)."""
        self._event.set()

    def close(self) -> None:
        self._stop.set()
        self._event.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def _watch(self) -> None:
        try:
            from watchfiles import Change, watch
        except ImportError:  # pragma: no cover - a declared dependency
            log.info("watchfiles is not installed: polling every %.2f s", FALLBACK_POLL_SECONDS)
            return
        self.notifying = True
        try:
            for changes in watch(
                *self.folders,
                watch_filter=None,
                debounce=self.debounce_ms,
                step=50,
                stop_event=self._stop,
                rust_timeout=1000,
                recursive=self.recursive,
                raise_interrupt=False,
                ignore_permission_denied=True,
            ):
                if any(kind != Change.modified for kind, _ in changes):
                    self.folders_changed = True
                self._event.set()
        except Exception:  # inotify limits, a folder removed: the poll carries on
            log.warning("file-system notifications failed; polling instead", exc_info=True)
        self.notifying = False
