"""Computing a comparison off the GUI thread; only the newest request's result arrives."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from inspector.analysis.compare import Alignment, compare_runs
from inspector.model import Workspace
from ui.latest_job import LatestJob


class Comparer(QObject):
    """Runs ``compare_runs`` as a ``LatestJob``: a newer request makes older results stale."""

    compared = Signal(object)  # Comparison
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # A bad alignment (no such marker) is a ValueError meant for the user, said as it is.
        self.job = LatestJob(self, plain_errors=(ValueError,))
        self.job.done.connect(self.compared)
        self.job.failed.connect(self.failed)

    def request(self, before: Workspace, after: Workspace, alignment: Alignment) -> None:
        self.job.start(lambda _p: compare_runs(before, after, alignment=alignment))

    def wait(self, ms: int = 60_000) -> bool:
        return self.job.wait(ms)
