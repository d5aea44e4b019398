"""Wiring a comparison into the window: load the other run, compare, overlay, jump, swap."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QObject, QTimer

from inspector.analysis.compare import Alignment, Comparison
from inspector.model import LoadOptions
from ui.compare.panel import ComparePanel, divergence_window, run_name
from ui.compare.worker import Comparer
from ui.workers import LoadedRun, Loader


class CompareController(QObject):
    """Owns the run after (loaded in its own worker) and the comparison with the current run."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.panel = ComparePanel(window)
        self.loader = Loader(self)
        self.loader.loaded.connect(self._on_after_loaded)
        self.loader.failed.connect(self._on_failed)
        self.loader.progressed.connect(self.panel.show_progress)
        self.loader.busy_changed.connect(self.panel.show_loading)
        self.panel.cancel_requested.connect(self.cancel_loading)
        self.comparer = Comparer(self)
        self.comparer.compared.connect(self._on_compared)
        self.comparer.failed.connect(self._on_failed)
        self.after: LoadedRun | None = None
        self.alignment = Alignment()
        self.result: Comparison | None = None
        p = self.panel
        p.alignment_changed.connect(self.set_alignment)
        p.jump_requested.connect(self.jump_to)
        p.paths_dropped.connect(lambda paths: self.open(paths))
        p.swap_requested.connect(self.swap)

    @property
    def state(self) -> dict | None:
        """What a saved session needs to redo this comparison (None without one)."""
        if self.after is None:
            return None
        return {"inputs": list(self.after.paths), "align_before": self.alignment.before,
                "align_after": self.alignment.after}  # fmt: skip

    def open(self, paths: list[str], align_before: str = "start", align_after: str = "start",
             options: LoadOptions | None = None) -> None:  # fmt: skip
        """Load ``paths`` as the run after and compare the current run with it."""
        self.alignment = Alignment(align_before, align_after)
        self.panel.set_alignment(align_before, align_after)
        self.panel.runs.setText(f"Loading {run_name(paths)} to compare…")
        tabs = self.window.tabs
        tabs.setCurrentWidget(self.panel)
        self.loader.start(list(paths), options or self.window.options)

    def cancel_loading(self) -> None:
        """Stop loading the run after (the comparison shown before, if any, stays)."""
        self.loader.cancel()
        self.panel.runs.setText("Loading the run to compare was cancelled.")
        self.window.message.setText("Compare: loading cancelled")

    def _on_after_loaded(self, run: LoadedRun) -> None:
        self.after = run
        self._request()

    def set_alignment(self, before: str, after: str) -> None:
        self.alignment = Alignment(before, after)
        self._request()

    def _request(self) -> None:
        ws = self.window.workspace
        if ws is None or self.after is None:
            return
        self.window.message.setText("Comparing the two runs…")
        self.comparer.request(ws, self.after.workspace, self.alignment)

    def _on_failed(self, message: str) -> None:
        """A failed load or comparison (e.g. no such marker to align on): the error, and the
        previous comparison's overlay and table cleared — they would read as this answer."""
        self.result = None
        if self.window.timeline is not None:
            self.window.timeline.set_overlay(None, None, 0.0, False)
        self.panel.show_error(message)
        self.window.message.setText(f"Cannot compare: {message}")

    def _on_compared(self, result: Comparison) -> None:
        after = self.after
        if after is None:  # the compared run was dropped while the comparison ran
            return
        self.result = result
        current = getattr(self.window, "current_paths", []) or ["this run"]
        self.panel.show_comparison(result, run_name(current), run_name(after.paths))
        offset = _offset_s(result)
        timeline = self.window._timeline()
        timeline.set_overlay(
            after.binner, after.factors, offset, result.by_host,
            f"{run_name(after.paths)}",
        )  # fmt: skip
        rose = [r for r in result.table.to_pylist() if r["change"] == "duplication"]
        # Show the factor lanes of the subscribers whose duplication rose (the after run's
        # factor is drawn dashed in them).
        names = {r["subscriber"] for r in rose if r["subscriber"]}
        view = timeline.view
        shown = {k for k in view.hidden if k[-1] == "factor" and k[2] in names}
        if shown:
            view.set_hidden(view.hidden - shown)
            timeline._fill_tree()
        self.window.message.setText(
            f"Compared with {run_name(after.paths)}: duplication rose in "
            f"{len({r['subscriber'] or r['query'] for r in rose})} lanes"
        )

    def jump_to(self, row: dict) -> None:
        """Show a pair's divergence on the timeline (in this run's time)."""
        if row.get("divergence_before") is None:
            return
        lo, hi = divergence_window(row)
        self.window._timeline().zoom_to(lo, hi, pad=0.0)

    def swap(self) -> None:
        """The run after becomes the current run and the current one the run to compare with."""
        if self.after is None:
            return
        before = list(getattr(self.window, "current_paths", []))
        after = list(self.after.paths)
        align = (self.alignment.after, self.alignment.before)
        self.clear()
        self.window.open_paths(after)

        def then(_run) -> None:
            self.window.run_loaded.disconnect(then)
            QTimer.singleShot(0, lambda: self.open(before, *align))

        self.window.run_loaded.connect(then)

    def clear(self) -> None:
        self.after, self.result = None, None
        if self.window.timeline is not None:
            self.window.timeline.set_overlay(None, None, 0.0, False)

    def shutdown(self) -> None:
        self.loader.cancel()
        self.loader.wait(60_000)
        self.comparer.wait(60_000)


def _offset_s(result: Comparison) -> float:
    """Seconds to add to the run after's times to put them on the run before's time axis."""
    common = [h for h in result.anchors_before if h in result.anchors_after]
    if common:
        a, b = result.anchors_before[common[0]], result.anchors_after[common[0]]
    elif result.anchors_before and result.anchors_after:
        a, b = next(iter(result.anchors_before.values())), next(iter(result.anchors_after.values()))
    else:
        return 0.0
    return (a - b).total_seconds() if isinstance(a, dt.datetime) else 0.0
