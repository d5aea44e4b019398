"""Re-binning in the background when the zoom changes; only the newest request's frame arrives."""

from __future__ import annotations

import pyarrow as pa
from PySide6.QtCore import QObject, Signal

from inspector.analysis.binning import RateSource
from inspector.views.timeline_frames import build_frame
from ui.latest_job import LatestJob


class Rebinner(QObject):
    """Computes frames off the GUI thread (a ``LatestJob``: a newer request wins)."""

    frame_ready = Signal(object)  # Frame

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.binner: RateSource | None = None
        self.factors: pa.Table | None = None
        self.subscriptions: pa.Table | None = None
        self.job = LatestJob(self)
        self.job.done.connect(self.frame_ready)  # a failed re-bin keeps the current picture

    def set_source(
        self, binner: RateSource, factors: pa.Table, subscriptions: pa.Table | None = None
    ) -> None:
        self.job.cancel()
        self.binner, self.factors, self.subscriptions = binner, factors, subscriptions

    def clear(self) -> None:
        """No source: nothing more is computed, and a frame on its way is dropped."""
        self.job.cancel()
        self.binner = self.factors = None

    def request(self, width_us: int, lo_us: int | None, hi_us: int | None) -> None:
        binner, factors, subscriptions = self.binner, self.factors, self.subscriptions
        if binner is not None:
            self.job.start(
                lambda _p: build_frame(binner, width_us, factors, lo_us, hi_us, subscriptions)
            )

    def wait(self, ms: int = 30_000) -> bool:
        return self.job.wait(ms)
