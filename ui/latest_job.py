"""Latest request wins: the one mechanism that runs work off the GUI thread.

``LatestJob.start(work)`` runs ``work(progress)`` on a QThread. Starting another cancels the one
running (at its next progress checkpoint), and nothing of an older job — progress, partial results,
the result or its error — is ever delivered, also when it was already queued on the GUI thread.
A view that filters while the user types, a loader whose user opens another folder, a re-bin
after each zoom: all only ever show the answer to the newest question.

The work may report progress (``progress.report``) and hand over partial results on its way
(``progress.post(obj)``, e.g. a big run's preview lanes before its records). An error is logged
with its traceback (the log file says where it came from) and delivered as a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from inspector.progress import Cancelled, Progress
from ui.failures import unexpected_message
from ui.thread_priority import lower_this_thread

log = logging.getLogger(__name__)


class JobProgress(Progress):
    """A job's progress: reports go to the job's ``progressed`` signal, ``post`` to ``partial``."""

    def __init__(
        self, report: Callable[[float, str], None], post: Callable[[object], None]
    ) -> None:
        super().__init__(report)
        self._post = post

    def post(self, partial: object) -> None:
        """Hand a partial result to the GUI thread (dropped if the job is no longer the newest)."""
        self.check()
        self._post(partial)


class _Job(QThread):
    done = Signal(int, object)
    failed = Signal(int, str)
    progressed = Signal(int, float, str)
    partial = Signal(int, object)

    def __init__(
        self,
        generation: int,
        work: Callable[[Progress], object],
        plain_errors: tuple[type[Exception], ...],
    ) -> None:
        # Owned by the application, not the caller: a widget closed mid-job must not destroy a
        # running thread; the job deletes itself when it ends.
        super().__init__(QCoreApplication.instance())
        self.generation, self.work = generation, work
        self.progress = JobProgress(
            lambda f, m: self.progressed.emit(generation, f, m),
            lambda obj: self.partial.emit(generation, obj),
        )
        self.plain_errors = plain_errors

    def run(self) -> None:
        if not lower_this_thread():
            self.setPriority(QThread.Priority.LowPriority)  # the GUI thread comes first
        try:
            result = self.work(self.progress)
        except Cancelled:
            return
        except self.plain_errors as exc:
            self.failed.emit(self.generation, str(exc))
            return
        except Exception as exc:  # a worker reports, never dies silently
            during = f"background job {getattr(self.work, '__qualname__', '')}"
            self.failed.emit(self.generation, unexpected_message(exc, during))  # logs it too
            return
        self.done.emit(self.generation, result)


class LatestJob(QObject):
    """Runs one function at a time on a QThread; starting another cancels the running one, and
    only the newest one's progress, partial results, result or error are delivered.

    An error of a type in ``plain_errors`` is reported by its message alone (one meant for the
    user); any other as ``"Unexpected error: TypeName: message"``, its traceback logged (see
    ``ui.failures``)."""

    done = Signal(object)
    failed = Signal(str)
    progressed = Signal(float, str)
    partial = Signal(object)
    busy_changed = Signal(bool)

    def __init__(
        self, parent: QObject | None = None, plain_errors: tuple[type[Exception], ...] = ()
    ) -> None:
        super().__init__(parent)
        self.generation = 0
        self.plain_errors = plain_errors
        self._running: dict[int, _Job] = {}
        self._waiting = False  # the newest job has not delivered yet

    def start(self, work: Callable[[Progress], object]) -> None:
        """Run ``work(progress)`` on a new thread, cancelling the one running."""
        self.cancel()
        self.generation += 1
        job = _Job(self.generation, work, self.plain_errors)
        job.done.connect(self._on_done)
        job.failed.connect(self._on_failed)
        job.progressed.connect(self._on_progressed)
        job.partial.connect(self._on_partial)
        job.finished.connect(self._on_finished)
        job.finished.connect(job.deleteLater)
        self._running[self.generation] = job
        self._waiting = True
        self.busy_changed.emit(True)
        job.start()

    def cancel(self) -> None:
        """Stop waiting for the running job (it stops at its next checkpoint)."""
        for job in self._running.values():
            job.progress.cancel()
        if self._waiting:
            self._waiting = False
            self.busy_changed.emit(False)
        self.generation += 1

    def is_busy(self) -> bool:
        """Whether the newest job has yet to deliver its result or error."""
        return self._waiting

    def wait(self, ms: int = 30_000) -> bool:
        """Wait for running jobs to end (at shutdown)."""
        return all(job.wait(ms) for job in list(self._running.values()))

    def _on_done(self, generation: int, result: object) -> None:
        if generation == self.generation:
            self._waiting = False
            self.busy_changed.emit(False)
            self.done.emit(result)

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self._waiting = False
            self.busy_changed.emit(False)
            self.failed.emit(message)

    def _on_progressed(self, generation: int, fraction: float, message: str) -> None:
        if generation == self.generation:
            self.progressed.emit(fraction, message)

    def _on_partial(self, generation: int, partial: object) -> None:
        if generation == self.generation:
            self.partial.emit(partial)

    def _on_finished(self) -> None:
        job = self.sender()
        if isinstance(job, _Job):
            self._running.pop(job.generation, None)
