"""Re-binning in the background when the zoom changes; only the newest request's frame arrives."""

from __future__ import annotations

import pyarrow as pa
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from inspector.analysis.binning import Binner
from inspector.timeline import Frame, build_frame


class _RebinThread(QThread):
    done = Signal(object, int)  # Frame, generation

    def __init__(self, binner, factors, width_us, lo_us, hi_us, generation, parent=None) -> None:
        super().__init__(parent)
        self.args = (binner, width_us, factors, lo_us, hi_us)
        self.generation = generation

    def run(self) -> None:
        binner, width_us, factors, lo_us, hi_us = self.args
        try:
            frame = build_frame(binner, width_us, factors, lo_us, hi_us)
        except Exception:  # a failed re-bin keeps the current picture
            return
        self.done.emit(frame, self.generation)


class Rebinner(QObject):
    """Computes frames off the GUI thread; a newer request makes older results stale."""

    frame_ready = Signal(object)  # Frame

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.binner: Binner | None = None
        self.factors: pa.Table | None = None
        self.generation = 0
        self._threads: set[_RebinThread] = set()

    def set_source(self, binner: Binner, factors: pa.Table) -> None:
        self.binner, self.factors = binner, factors
        self.generation += 1

    def request(self, width_us: int, lo_us: int | None, hi_us: int | None) -> None:
        if self.binner is None:
            return
        self.generation += 1
        # Owned by the application: a window closed mid-job must not destroy a running thread
        # (Qt aborts the process); the thread deletes itself when it ends.
        thread = _RebinThread(
            self.binner, self.factors, width_us, lo_us, hi_us, self.generation,
            QCoreApplication.instance(),
        )  # fmt: skip
        thread.done.connect(self._on_done)
        thread.finished.connect(thread.deleteLater)
        thread.finished.connect(lambda t=thread: self._threads.discard(t))
        self._threads.add(thread)
        thread.start()

    def _on_done(self, frame: Frame, generation: int) -> None:
        if generation == self.generation:
            self.frame_ready.emit(frame)

    def busy(self) -> bool:
        return any(t.isRunning() for t in self._threads)

    def wait(self, ms: int = 30_000) -> bool:
        return all(t.wait(ms) for t in list(self._threads))
