"""Following a running agent in the main window (File → Follow…, ``--follow PATH...``).

The worker steps the followed run; each snapshot refreshes the timeline (its right edge kept at
now unless the user pans away — the Live button returns), the findings (a new one is announced),
the status line (lines/s, lag, the database's last flush) and, when paused or now and then, the
records. The GUI thread only swaps tables it is handed.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication, QFileDialog

from inspector.model import LoadOptions
from ui.live.follow_worker import FollowWorker, LiveSnapshot
from ui.live.live_bar import LiveBar
from ui.live.preferences import live_memory_limit_bytes
from ui.workers import LoadedRun

if TYPE_CHECKING:
    from ui.main_window import MainWindow

DEFAULT_SPAN_S = 15 * 60.0  # what the timeline shows of the newest data when following starts
RECORDS_EVERY_S = 10.0


class LiveController(QObject):
    """One follow in one window; ``stop()`` ends it."""

    def __init__(self, window: MainWindow, paths: list[str], options: LoadOptions) -> None:
        super().__init__(window)
        self.window = window
        self.paths = list(paths)
        worker = FollowWorker(paths, options, live_memory_limit_bytes())
        worker.snapshot.connect(self._on_snapshot)
        worker.followed.connect(self._on_event)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(worker.deleteLater)
        self.worker: FollowWorker | None = worker
        self.bar = LiveBar(window)
        self.bar.live_requested.connect(self._follow_now)
        self.bar.pause_toggled.connect(self._on_pause)
        self.bar.stop_requested.connect(self.stop)
        window.statusBar().addWidget(self.bar, 3)
        self.last: LiveSnapshot | None = None
        self.shown = False
        self.following = True
        self._ours: tuple[float, float] | None = None  # the range following set last
        self._records_at = 0.0
        self._span_s = DEFAULT_SPAN_S
        self._news_id: int | None = None  # the finding the live bar announces
        window.installEventFilter(self)
        window.loader.busy_changed.connect(self._on_other_load)

    def start(self) -> None:
        names = ", ".join(os.path.basename(p.rstrip("/")) or p for p in self.paths)
        self.window.message.setText(f"Following {names}…")
        self.window.setWindowTitle(f"osquery Event Inspector — following {names}")
        if self.worker is not None:
            self.worker.start()

    def stop(self) -> None:
        """Stop following (the window keeps what it shows)."""
        if self.worker is None:
            return
        self.worker.stop()
        self.worker.wait(10_000)
        self.worker = None
        self.window.removeEventFilter(self)
        self.bar.setParent(None)
        self.bar.deleteLater()
        self.window.message.setText("Stopped following")
        if getattr(self.window, "live", None) is self:
            self.window.live = None

    # -- snapshots ------------------------------------------------------------------------------
    def _on_snapshot(self, snap: LiveSnapshot) -> None:
        if self.worker is None:
            return
        self.last = snap
        self.bar.show_counts(
            snap.lines, snap.lines_per_second, snap.lag_seconds, snap.held_rows, snap.records,
            snap.last_flush, self.bar.pause.isChecked(),
        )  # fmt: skip
        if not self.shown:
            if snap.frame is None or snap.overview is None:
                return  # nothing to show yet: an empty folder being waited on
            self._show_whole(snap)
            return
        window = self.window
        timeline = window.timeline
        if timeline is None:
            return
        window.workspace = snap.workspace
        timeline.refresh(snap.binner, snap.factors, snap.markers, snap.findings)
        window.findings_panel.show_findings(snap.findings)
        window.tabs.setTabText(
            window.tabs.indexOf(window.findings_panel), f"Findings ({snap.findings.num_rows:,})"
        )
        if snap.overview is not None:
            window.overview_panel.show_run(snap.workspace, snap.overview)
        now = time.monotonic()
        records_visible = window.tabs.currentWidget() is window.records_panel
        if now - self._records_at > RECORDS_EVERY_S and not records_visible:
            self._show_records(snap)
        if self.following:
            self._follow_now()

    def _show_whole(self, snap: LiveSnapshot) -> None:
        """The first showing: every panel, as a loaded run."""
        assert snap.frame is not None and snap.overview is not None
        run = LoadedRun(
            snap.workspace, snap.overview, snap.binner, snap.factors, snap.findings,
            snap.frame, snap.markers, paths=self.paths,
        )  # fmt: skip
        self.window._on_loaded(run)  # the window's own way of showing a run
        self.shown = True
        self._records_at = time.monotonic()
        if self.window.timeline is not None:
            self.window.timeline.view.range_changed.connect(self._on_range)
        names = ", ".join(os.path.basename(p.rstrip("/")) or p for p in self.paths)
        self.window.setWindowTitle(f"osquery Event Inspector — following {names}")
        self.window.message.setText("")  # the live bar says what is going on
        self._follow_now()

    def _show_records(self, snap: LiveSnapshot) -> None:
        self._records_at = time.monotonic()
        self.window.records_panel.show_records(snap.workspace.records)

    # -- following now ----------------------------------------------------------------------------
    def _edge(self) -> float:
        """The timeline's right edge while following: now (or, for a log replaying an old run,
        its newest event)."""
        now = time.time()
        newest = self.last.newest if self.last is not None else None
        if newest is not None and now - newest > 3600:
            return newest
        return now

    def _follow_now(self) -> None:
        timeline = self.window.timeline
        if timeline is None:
            return
        self.following = True
        self.bar.set_following(True)
        view = timeline.view.current_range()
        if view is not None and self._ours is not None:
            self._span_s = max(view[1] - view[0], 10.0)  # keep the user's zoom
        edge = self._edge()
        self._ours = (edge - self._span_s * 0.95, edge + self._span_s * 0.05)
        timeline.view.zoom_to(*self._ours)

    def _on_range(self, lo: float, hi: float, _pixels: int) -> None:
        """A range the user chose (not the one following set) away from now ends following."""
        ours = self._ours
        if not self.following or ours is None:
            return
        tolerance = 1e-3 * (ours[1] - ours[0])
        if abs(lo - ours[0]) <= tolerance and abs(hi - ours[1]) <= tolerance:
            return
        if hi < self._edge() - 0.1 * (hi - lo):
            self.following = False  # the user panned away from now
            self.bar.set_following(False)

    # -- events ---------------------------------------------------------------------------------
    def _on_event(self, event: dict) -> None:
        if event.get("event") == "finding":
            what = event.get("subscriber") or event.get("query") or "?"
            text = f"New finding: duplicate burst in {what} ×{event['duplicate_factor']:.2f}" + (
                " (provisional)" if event.get("provisional") else ""
            )
            self.bar.show_news(text)
            self._news_id = event.get("id")
            QApplication.alert(self.window, 0)
        elif event.get("withdrawn") and event.get("id") == self._news_id:
            self.bar.show_news("")  # the open buckets filled up: no burst after all
        elif event.get("event") == "note":
            self.window.message.setText(str(event.get("message")))

    def _on_failed(self, message: str) -> None:
        self.window.message.setText(f"Following stopped: {message}")

    def _on_pause(self, paused: bool) -> None:
        if self.worker is not None:
            self.worker.set_paused(paused)
        if paused and self.last is not None and self.shown:
            self._show_records(self.last)  # a still picture to browse

    def _on_other_load(self, busy: bool) -> None:
        if busy:
            self.stop()  # another run is being opened

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Close:
            self.stop()
        return False


def follow_paths(window: MainWindow, paths: list[str]) -> LiveController:
    """Follow ``paths`` in ``window`` (any follow under way ends first)."""
    current = getattr(window, "live", None)
    if current is not None:
        current.stop()
    QSettings().setValue("last_folder", os.path.dirname(os.path.abspath(paths[0])))
    controller = LiveController(window, paths, window.options)
    window.live = controller
    controller.start()
    return controller


def follow_dialog(window: MainWindow) -> None:
    """File → Follow…: choose an agent's log folder (or an osquery.db folder) to follow."""
    start = str(QSettings().value("last_folder", os.path.expanduser("~")))
    path = QFileDialog.getExistingDirectory(
        window, "Follow a running agent's folder (logs, osquery.db)", start
    )
    if path:
        follow_paths(window, [path])
