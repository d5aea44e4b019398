"""A load started at launch, before Qt and the window are up.

``osquery-inspector FOLDER`` spends about a second importing Qt and building the window; the
load of FOLDER does not need either. ``start`` begins it on a plain thread right away (no Qt
here: this module imports none), and the window's loader, asked for the same paths with the
same options, takes the load under way (``take``) instead of starting another: it follows it to
its end, forwarding its progress and preview, and cancels it if the user cancels.
"""

from __future__ import annotations

import logging
import os
import threading

from inspector.model import LoadOptions
from inspector.progress import Progress
from ui.thread_priority import favour_the_gui_thread, lower_this_thread

log = logging.getLogger(__name__)

FORWARD_SECONDS = 0.05  # how often the adopting worker passes progress on


class _Recorder(Progress):
    """The early load's progress: the newest report and every posted preview, kept until a
    worker adopts the load and passes them on."""

    def __init__(self) -> None:
        super().__init__(self._record)
        self.latest: tuple[float, str] | None = None
        self.posted: list[object] = []
        self.lock = threading.Lock()

    def _record(self, fraction: float, message: str) -> None:
        with self.lock:
            self.latest = (fraction, message)

    def post(self, partial: object) -> None:
        self.check()
        with self.lock:
            self.posted.append(partial)


class EarlyLoad:
    """``ui.run_loading.load_run`` of ``paths`` on its own thread, started now."""

    def __init__(self, paths: list[str], options: LoadOptions) -> None:
        self.paths = list(paths)
        self.options = options
        self.progress = _Recorder()
        self.result: object = None
        self.error: BaseException | None = None
        self.done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="early-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        lower_this_thread()  # the window being built comes first
        try:
            from ui.run_loading import load_run

            self.result = load_run(self.paths, self.options, self.progress, wants_preview=True)
        except BaseException as exc:  # handed to the adopting worker, which reports it
            self.error = exc
        finally:
            self.done.set()

    def matches(self, paths: list[str], options: LoadOptions) -> bool:
        return _key(paths) == _key(self.paths) and options == self.options

    def adopt(self, progress: Progress) -> object:
        """Follow the load to its end from the window's worker: pass its progress and previews
        on to ``progress``, cancel it when ``progress`` is cancelled; its result or error."""
        passed = 0
        while True:
            finished = self.done.wait(FORWARD_SECONDS)
            if progress.cancelled:
                self.progress.cancel()
                progress.check()
            with self.progress.lock:
                latest = self.progress.latest
                fresh = self.progress.posted[passed:]
            passed += len(fresh)
            post = getattr(progress, "post", None)
            for partial in fresh:
                if post is not None:
                    post(partial)
            if latest is not None:
                progress.report(*latest)
            if finished:
                break
        if self.error is not None:
            raise self.error
        return self.result


_pending: EarlyLoad | None = None
_lock = threading.Lock()


def start(paths: list[str], options: LoadOptions) -> EarlyLoad:
    """Begin loading ``paths`` now; the window's first load of the same paths takes it."""
    global _pending
    favour_the_gui_thread()  # the window is built while this load runs Python
    early = EarlyLoad(paths, options)
    with _lock:
        _pending = early
    return early


def take(paths: list[str], options: LoadOptions) -> EarlyLoad | None:
    """The load started at launch for these paths and options, once (None: start one)."""
    global _pending
    with _lock:
        early, _pending = _pending, None
    if early is None:
        return None
    if early.matches(paths, options):
        return early
    early.progress.cancel()  # the window asked for something else first: not needed
    log.info("a load started at launch was not the first one asked for; cancelled")
    return None


def _key(paths: list[str]) -> tuple[str, ...]:
    return tuple(os.path.abspath(p) for p in paths)
