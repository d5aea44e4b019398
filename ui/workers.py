"""Background loading: the GUI thread never waits on I/O or parsing.

A load runs ``inspector.loading.pipeline.load`` (and the overview figures) as a ``LatestJob``
and reports progress; starting a new load cancels the previous one, and only the newest load's
results reach the window (the latest request wins — also for results already queued).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from inspector.model import LoadOptions
from inspector.progress import Progress
from ui import early_load
from ui.latest_job import LatestJob
from ui.run_loading import LoadedRun, PreviewRun, analyse, load_run, preview_of

__all__ = ["LoadedRun", "Loader", "PreviewRun", "analyse", "load_run", "preview_of"]


class Loader(QObject):
    """Starts loads (a ``LatestJob``): only the newest one's signals reach the window."""

    progressed = Signal(float, str)
    previewed = Signal(object)  # PreviewRun: lanes of a big run before its full load
    # LoadedRun with its findings still to come (``findings_pending``): the window shows the
    # run meanwhile; ``loaded`` follows with the same run and its findings.
    analysing = Signal(object)
    loaded = Signal(object)  # LoadedRun
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.previews = False  # big runs send ``previewed`` before ``loaded`` (the main window)
        # A disk or folder problem (the demo's folder cannot be written, an input vanished) is a
        # message; anything else is a bug, logged with its traceback (ui.failures).
        self.job = LatestJob(self, plain_errors=(OSError,))
        self.job.progressed.connect(self.progressed)
        self.job.partial.connect(self._on_partial)
        self.job.done.connect(self.loaded)
        self.job.failed.connect(self.failed)
        self.job.busy_changed.connect(self.busy_changed)

    def start(
        self,
        paths: list[str],
        options: LoadOptions,
        prepare: Callable[[Progress], list[str]] | None = None,
    ) -> None:
        """Load ``paths`` (cancelling a load under way)."""
        wants_preview = self.previews
        early = early_load.take(paths, options) if prepare is None and wants_preview else None
        if early is not None:  # the same load, started at launch: follow it
            self.job.start(early.adopt)
            return
        self.job.start(lambda progress: load_run(paths, options, progress, prepare, wants_preview))

    def _on_partial(self, partial: object) -> None:
        if isinstance(partial, LoadedRun):
            self.analysing.emit(partial)
        else:
            self.previewed.emit(partial)

    def cancel(self) -> None:
        """Stop the running load; whatever it still sends is ignored."""
        self.job.cancel()

    def is_busy(self) -> bool:
        return self.job.is_busy()

    def wait(self, ms: int = 30_000) -> bool:
        """Wait for every thread to end (at shutdown); False if one is still running."""
        return self.job.wait(ms)
