"""Opening a fleet dataset from the main window (File → Open Fleet Dataset…) or the command line."""

from __future__ import annotations

import os

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from inspector.fleet.layout import dataset_problem, is_dataset


def open_fleet(main_window: QWidget | None, dataset: str, engine: str = "duckdb"):
    """A fleet window on ``dataset`` (owned by ``main_window`` if any), scanning at once."""
    from ui.fleet.window import FleetWindow

    window = FleetWindow(dataset, main_window, engine, parent=main_window)
    window.show()
    window.scan()
    return window


def open_fleet_dialog(main_window: QWidget | None) -> None:
    """Ask for a dataset folder written by ``fleet ingest`` and open it."""
    start = str(QSettings().value("last_fleet_folder", os.path.expanduser("~")))
    path = QFileDialog.getExistingDirectory(main_window, "Open a fleet dataset", start)
    if not path:
        return
    if (problem := dataset_problem(path)) is not None:
        title = "Not a fleet dataset" if not is_dataset(path) else "Cannot open the fleet dataset"
        QMessageBox.warning(
            main_window,
            title,
            f"{problem}.\n\nA dataset is written with\n"
            "osquery-inspector fleet ingest SOURCE... --to DATASET",
        )
        return
    QSettings().setValue("last_fleet_folder", os.path.dirname(path))
    open_fleet(main_window, path)
