"""Background loading: the GUI thread never waits on I/O or parsing.

A ``LoadTask`` runs ``inspector.workspace.load`` on a QThread and reports progress; starting a
new load cancels the previous one and drops its results (the latest request wins).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, QThread, Signal

from inspector.overview import Overview, overview
from inspector.progress import Cancelled, Progress
from inspector.readers.registry import LoadOptions
from inspector.workspace import Workspace, load


@dataclass
class LoadedRun:
    """What a finished load hands to the window."""

    workspace: Workspace
    overview: Overview


class _LoadThread(QThread):
    progressed = Signal(float, str)
    loaded = Signal(object)
    failed = Signal(str)

    def __init__(self, paths: list[str], options: LoadOptions) -> None:
        super().__init__()
        self.paths = paths
        self.options = options
        self.progress = Progress(lambda f, m: self.progressed.emit(f, m))

    def run(self) -> None:
        try:
            ws = load(self.paths, self.options, self.progress)
            summary = overview(ws)
        except Cancelled:
            return
        except Exception as exc:
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.loaded.emit(LoadedRun(ws, summary))


class Loader(QObject):
    """Starts loads; only the newest one's signals reach the window."""

    progressed = Signal(float, str)
    loaded = Signal(object)  # LoadedRun
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: _LoadThread | None = None
        self._old: list[_LoadThread] = []

    def start(self, paths: list[str], options: LoadOptions) -> None:
        self.cancel()
        thread = _LoadThread(paths, options)
        thread.progressed.connect(self.progressed)
        thread.loaded.connect(self._on_loaded)
        thread.failed.connect(self._on_failed)
        thread.finished.connect(lambda t=thread: self._on_finished(t))
        self._current = thread
        self.busy_changed.emit(True)
        thread.start()

    def cancel(self) -> None:
        """Stop the running load (its results are dropped)."""
        thread = self._current
        if thread is None:
            return
        thread.progress.cancel()
        for signal in (thread.progressed, thread.loaded, thread.failed):
            signal.disconnect()
        self._old.append(thread)
        self._current = None
        self.busy_changed.emit(False)

    def is_busy(self) -> bool:
        return self._current is not None

    def wait(self, ms: int = 30_000) -> None:
        """Wait for every thread (used at shutdown)."""
        for thread in [*self._old, self._current]:
            if thread is not None:
                thread.wait(ms)

    def _on_loaded(self, run: LoadedRun) -> None:
        self.loaded.emit(run)

    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    def _on_finished(self, thread: _LoadThread) -> None:
        if thread is self._current:
            self._current = None
            self.busy_changed.emit(False)
        elif thread in self._old:
            self._old.remove(thread)
