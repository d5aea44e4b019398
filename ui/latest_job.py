"""Latest request wins: run one function at a time on a worker thread.

Starting a new function cancels the one running (at its next progress checkpoint) and the result
or error of an older one is never delivered, so a view that filters while the user types only
ever shows the answer to the newest question.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from inspector.progress import Cancelled, Progress
from ui.failures import unexpected_message


class _Job(QThread):
    done = Signal(int, object)
    failed = Signal(int, str)

    def __init__(
        self,
        generation: int,
        work: Callable[[Progress], object],
        plain_errors: tuple[type[Exception], ...],
    ) -> None:
        # Owned by the application, not the caller: a widget closed mid-job must not destroy a
        # running thread; the job deletes itself when it ends.
        super().__init__(QCoreApplication.instance())
        self.generation, self.work, self.progress = generation, work, Progress()
        self.plain_errors = plain_errors

    def run(self) -> None:
        try:
            result = self.work(self.progress)
        except Cancelled:
            return
        except self.plain_errors as exc:
            self.failed.emit(self.generation, str(exc))
            return
        except Exception as exc:  # a worker reports, never dies silently
            self.failed.emit(self.generation, unexpected_message(exc, f"a job ({self.work!r})"))
            return
        self.done.emit(self.generation, result)


class LatestJob(QObject):
    """Runs one function at a time on a QThread; starting another cancels the running one, and
    only the newest one's result or error is delivered (older ones may still be queued).

    An error of a type in ``plain_errors`` is reported by its message alone (one meant for the
    user); any other is logged with its traceback and reported as ``"Unexpected error:
    TypeName: message"`` (see ``ui.failures``)."""

    done = Signal(object)
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(
        self, parent: QObject | None = None, plain_errors: tuple[type[Exception], ...] = ()
    ) -> None:
        super().__init__(parent)
        self.generation = 0
        self.plain_errors = plain_errors
        self._running: dict[int, _Job] = {}

    def start(self, work: Callable[[Progress], object]) -> None:
        """Run ``work(progress)`` on a new thread, cancelling the one running."""
        self.cancel()
        self.generation += 1
        job = _Job(self.generation, work, self.plain_errors)
        job.done.connect(self._on_done)
        job.failed.connect(self._on_failed)
        job.finished.connect(self._on_finished)
        job.finished.connect(job.deleteLater)
        self._running[self.generation] = job
        self.busy_changed.emit(True)
        job.start()

    def cancel(self) -> None:
        """Stop waiting for the running job (it stops at its next checkpoint)."""
        for job in self._running.values():
            job.progress.cancel()
        if self._running.get(self.generation) is not None:
            self.busy_changed.emit(False)
        self.generation += 1

    def wait(self, ms: int = 30_000) -> bool:
        """Wait for running jobs to end (at shutdown)."""
        return all(job.wait(ms) for job in list(self._running.values()))

    def _on_done(self, generation: int, result: object) -> None:
        if generation == self.generation:
            self.busy_changed.emit(False)
            self.done.emit(result)

    def _on_failed(self, generation: int, message: str) -> None:
        if generation == self.generation:
            self.busy_changed.emit(False)
            self.failed.emit(message)

    def _on_finished(self) -> None:
        job = self.sender()
        if isinstance(job, _Job):
            self._running.pop(job.generation, None)
