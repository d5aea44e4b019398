"""Background loading: the GUI thread never waits on I/O or parsing.

A load runs ``inspector.loading.pipeline.load`` (and the overview figures) on a QThread and reports
progress; starting a new load cancels the previous one, and only the newest load's results reach
the window (the latest request wins — also for results already queued when it was cancelled).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pyarrow as pa
from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal

from inspector.analysis.binning import FACTORS, Binner
from inspector.analysis.duplicates import BurstOptions, duplication_factors
from inspector.analysis.findings import find
from inspector.loading.pipeline import load
from inspector.loading.preview import preview
from inspector.loading.read_cache import ReadCache
from inspector.model import LoadOptions, Workspace
from inspector.progress import Cancelled, Progress
from inspector.views.overview import Overview, overview
from inspector.views.timeline_frames import (
    FACTOR_WIDTH_US,
    Frame,
    build_frame,
    markers_table,
    nice_width,
)


@dataclass
class LoadedRun:
    """What a finished load (and its analysis) hands to the window."""

    workspace: Workspace
    overview: Overview
    binner: Binner
    factors: pa.Table  # duplication factors per minute
    findings: pa.Table
    frame: Frame  # the whole run's lanes at a width that fits the screen
    markers: list[dict]
    paths: list[str] = field(default_factory=list)  # the inputs as opened (after any preparation)


@dataclass
class PreviewRun:
    """The rate lanes of a big run from its log envelopes, shown while the full load runs."""

    workspace: Workspace
    binner: Binner
    frame: Frame
    markers: list[dict]


def preview_of(ws: Workspace) -> PreviewRun:
    """Lanes (rates only, no duplication) and markers of an envelope-only preview."""
    binner = Binner(ws.records, duplicates=False)
    span = binner.span_us()
    width = nice_width(span[1] - span[0]) if span else FACTOR_WIDTH_US
    frame = build_frame(binner, width, FACTORS.empty_table())
    return PreviewRun(ws, binner, frame, markers_table(ws.status))


def analyse(ws: Workspace, progress: Progress) -> tuple:
    """The analysis a loaded run gets before the window shows it (in the worker thread)."""
    binner = Binner(ws.records)
    progress.report(0.1, "counting duplicated deliveries")
    # The one definition of the factors (inspector.sql), as scan and fleet scan compute them;
    # the binner re-bins for the timeline's zoom levels (a test keeps the two equal).
    factors = duplication_factors(ws.records, FACTOR_WIDTH_US // 1_000_000)
    progress.check()
    progress.report(0.5, "finding duplicate bursts and re-baselines")
    findings = find(ws, BurstOptions(bucket_seconds=FACTOR_WIDTH_US // 1_000_000), factors=factors)
    progress.check()
    progress.report(0.8, "counting events per lane")
    span = binner.span_us()
    width = nice_width(span[1] - span[0]) if span else FACTOR_WIDTH_US
    frame = build_frame(binner, width, factors)
    return binner, factors, findings, frame, markers_table(ws.status)


class _LoadThread(QThread):
    progressed = Signal(float, str)
    previewed = Signal(object)  # PreviewRun
    loaded = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        paths: list[str],
        options: LoadOptions,
        prepare: Callable[[Progress], list[str]] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.paths = paths
        self.options = options
        self.prepare = prepare  # e.g. write the demo run first; returns the paths to load
        self.wants_preview = False  # send a PreviewRun first when the inputs are big
        self.progress = Progress(self._forward)

    def _forward(self, fraction: float, message: str) -> None:
        self.progressed.emit(fraction, message)

    def run(self) -> None:
        try:
            paths, progress = self.paths, self.progress
            if self.prepare is not None:
                paths = self.prepare(self.progress.scaled(0.0, 0.4))
                progress = self.progress.scaled(0.4, 1.0)
            cache = ReadCache()
            first = None
            if self.wants_preview:
                try:
                    first = preview(paths, self.options, cache, progress.scaled(0.0, 0.15))
                except Cancelled:
                    raise
                except Exception:  # a nicety only: the full load says what is wrong, if anything
                    first = None
            if first is not None:
                self.previewed.emit(preview_of(first))
                progress = progress.scaled(0.15, 1.0)
            self.progress.check()
            load_part, analysis_part = progress.scaled(0.0, 0.8), progress.scaled(0.8, 1.0)
            ws = load(paths, self.options, load_part, cache)
            self.progress.check()
            summary = overview(ws)
            analysed = analyse(ws, analysis_part)
        except Cancelled:
            return
        except Exception as exc:  # a worker must report, never die silently
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.loaded.emit(LoadedRun(ws, summary, *analysed, paths=list(paths)))


class Loader(QObject):
    """Starts loads; only the newest one's signals reach the window."""

    progressed = Signal(float, str)
    previewed = Signal(object)  # PreviewRun: lanes of a big run before its full load
    loaded = Signal(object)  # LoadedRun
    failed = Signal(str)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.previews = False  # big runs send ``previewed`` before ``loaded`` (the main window)
        self._current: _LoadThread | None = None
        self._threads: set[_LoadThread] = set()

    def start(
        self,
        paths: list[str],
        options: LoadOptions,
        prepare: Callable[[Progress], list[str]] | None = None,
    ) -> None:
        self.cancel()
        # Owned by the application: a window closed mid-load must not destroy a running thread
        # (Qt aborts the process); _on_finished deletes it when it ends.
        thread = _LoadThread(paths, options, prepare, QCoreApplication.instance())
        thread.wants_preview = self.previews
        thread.progressed.connect(self._on_progressed)
        thread.previewed.connect(self._on_previewed)
        thread.loaded.connect(self._on_loaded)
        thread.failed.connect(self._on_failed)
        thread.finished.connect(self._on_finished)
        thread.finished.connect(thread.deleteLater)
        self._current = thread
        self._threads.add(thread)
        self.busy_changed.emit(True)
        thread.start()

    def cancel(self) -> None:
        """Stop the running load; whatever it still sends is ignored."""
        thread = self._current
        if thread is None:
            return
        thread.progress.cancel()
        self._current = None
        self.busy_changed.emit(False)

    def is_busy(self) -> bool:
        return self._current is not None

    def wait(self, ms: int = 30_000) -> bool:
        """Wait for every thread to end (at shutdown); False if one is still running."""
        return all(thread.wait(ms) for thread in list(self._threads))

    # Each slot checks that the signal comes from the current load: a cancelled or replaced
    # load may still have results queued on the GUI thread.
    def _on_progressed(self, fraction: float, message: str) -> None:
        if self.sender() is self._current:
            self.progressed.emit(fraction, message)

    def _on_previewed(self, run: PreviewRun) -> None:
        if self.sender() is self._current:
            self.previewed.emit(run)

    def _on_loaded(self, run: LoadedRun) -> None:
        if self.sender() is self._current:
            self.loaded.emit(run)

    def _on_failed(self, message: str) -> None:
        if self.sender() is self._current:
            self.failed.emit(message)

    def _on_finished(self) -> None:
        thread = self.sender()
        if thread is self._current:
            self._current = None
            self.busy_changed.emit(False)
        if isinstance(thread, _LoadThread):
            self._threads.discard(thread)
