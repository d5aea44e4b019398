"""Computing a comparison off the GUI thread; only the newest request's result arrives."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from inspector.analysis.compare import Alignment, compare_runs
from inspector.workspace import Workspace


class _CompareThread(QThread):
    done = Signal(object, int)  # Comparison, generation
    failed = Signal(str, int)

    def __init__(self, before: Workspace, after: Workspace, alignment: Alignment, generation: int,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.args = (before, after, alignment)
        self.generation = generation

    def run(self) -> None:
        before, after, alignment = self.args
        try:
            result = compare_runs(before, after, alignment=alignment)
        except Exception as exc:  # a bad alignment (no such marker) is a message, not a crash
            self.failed.emit(str(exc), self.generation)
            return
        self.done.emit(result, self.generation)


class Comparer(QObject):
    """Starts comparisons; a newer request makes the older results stale."""

    compared = Signal(object)  # Comparison
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.generation = 0
        self._threads: set[_CompareThread] = set()

    def request(self, before: Workspace, after: Workspace, alignment: Alignment) -> None:
        self.generation += 1
        # Owned by the application, not this object: closing the window mid-comparison must
        # not destroy a running thread (Qt aborts); the thread deletes itself when it ends.
        thread = _CompareThread(
            before, after, alignment, self.generation, QCoreApplication.instance()
        )
        thread.done.connect(self._on_done)
        thread.failed.connect(self._on_failed)
        thread.finished.connect(thread.deleteLater)
        thread.finished.connect(lambda t=thread: self._threads.discard(t))
        self._threads.add(thread)
        thread.start()

    def _on_done(self, result, generation: int) -> None:
        if generation == self.generation:
            self.compared.emit(result)

    def _on_failed(self, message: str, generation: int) -> None:
        if generation == self.generation:
            self.failed.emit(message)

    def busy(self) -> bool:
        return any(t.isRunning() for t in self._threads)

    def wait(self, ms: int = 60_000) -> bool:
        return all(t.wait(ms) for t in list(self._threads))
