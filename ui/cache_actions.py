"""File → Clear Read Cache…: what the cache holds, and removing it (on a worker) after asking."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QWidget

from ui.latest_job import LatestJob

if TYPE_CHECKING:
    from inspector.loading.read_cache import ReadCache

# The latest clearing job of each window (by id): a Python reference, so that the job object
# outlives this function.
_jobs: dict[int, LatestJob] = {}


def clear_read_cache(window: QWidget, cache: ReadCache | None = None) -> bool:
    """Ask, then remove every cached read on a worker (it first waits for writes under way,
    which can take a second after a big load); the status bar says what was freed."""
    from inspector.loading.read_cache import ReadCache  # not needed to start the window

    cache = cache or ReadCache()
    entries, size = cache.usage(wait=False)  # a quick look: the GUI thread does not wait
    if not entries:
        QMessageBox.information(
            window, "Clear Read Cache", f"The read cache is empty.\n\n{cache.directory}"
        )
        return False
    answer = QMessageBox.question(
        window,
        "Clear Read Cache",
        f"Remove {entries:,} cached {'input' if entries == 1 else 'inputs'} "
        f"({size / 1e6:,.1f} MB)?\n\nOpening them again reads the files afresh; the files "
        f"themselves are not touched.\n\n{cache.directory}",
    )
    if answer != QMessageBox.StandardButton.Yes:
        return False
    message = getattr(window, "message", None)
    job = LatestJob(window)
    _jobs[id(window)] = job  # kept referenced while it runs (the next clear replaces it)
    if message is not None:
        message.setText("Clearing the read cache…")
        job.done.connect(
            lambda freed: message.setText(f"Read cache cleared: {freed / 1e6:,.1f} MB freed")
        )
        job.failed.connect(
            lambda error: message.setText(f"Clearing the read cache failed: {error}")
        )
    job.start(lambda progress: cache.clear())
    return True
