"""Exports from the window: findings and the records shown to Parquet (with provenance), the
timeline as PNG or SVG.

Writing Parquet (and hashing the inputs for its provenance) runs on a worker thread
(``in_background``); the window's status line says "Exporting…" and then what was written. A
file goes to ``NAME.part`` first and replaces ``NAME`` only when complete. The dialogs are the
module functions ``choose_save_path`` and ``ask_overwrite`` (tests replace them).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pyarrow as pa
from PySide6.QtCore import QCoreApplication, QObject, QSettings, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QWidget

from inspector.atomic_file import atomic_output
from inspector.progress import Progress
from ui.failures import show_failure
from ui.latest_job import LatestJob
from ui.timeline.svg import timeline_svg

PARQUET = "Parquet files (*.parquet)"
IMAGES = {"png": "PNG images (*.png)", "svg": "SVG images (*.svg)"}


class _Relay(QObject):
    text = Signal(str)  # emitted on the worker, shown on the GUI thread


def message_label(parent: QWidget) -> QLabel | None:
    """The status text of ``parent``'s window (``MainWindow.message``), if it has one."""
    return getattr(parent, "message", None) or getattr(parent.window(), "message", None)


T = TypeVar("T")  # what a background job returns


def in_background(
    parent: QWidget, work: Callable[[Progress], T], busy: str, done: Callable[[T], str]
) -> LatestJob:
    """Run ``work(progress)`` on a worker thread, saying ``busy`` (and its progress messages)
    and then ``done(result)`` in the status line, or the error in a warning. The returned job's
    ``done``/``failed`` signals fire at the end."""
    label = message_label(parent)
    job = LatestJob(parent)
    relay = _Relay(job)
    if label is not None:
        label.setText(busy)
        relay.text.connect(label.setText)
        job.done.connect(lambda result: label.setText(done(result)))
        job.failed.connect(lambda message: label.setText(f"{busy.rstrip('…')} failed: {message}"))
    job.failed.connect(lambda message: show_failure(parent, "Failed", message))
    for signal in (job.done, job.failed):
        signal.connect(lambda _result: job.deleteLater())
    app = QCoreApplication.instance()
    if app is not None:  # a write still running at exit must end before the app does
        app.aboutToQuit.connect(job.wait)
    say = Progress(lambda _fraction, message: relay.text.emit(f"{busy} {message}"))
    job.start(lambda _progress: work(say))
    return job


# -- the dialogs (module functions so that tests can replace them) ------------------------------
def choose_save_path(parent: QWidget, caption: str, suggested: str, name_filter: str) -> str:
    """Ask where to save ("" when cancelled); overwriting is asked about separately."""
    start = str(QSettings().value("last_export_folder", os.path.expanduser("~")))
    path, _ = QFileDialog.getSaveFileName(
        parent, caption, os.path.join(start, suggested), name_filter,
        options=QFileDialog.Option.DontConfirmOverwrite,
    )  # fmt: skip
    return path


def ask_overwrite(parent: QWidget, path: str) -> bool:
    """Ask before replacing an existing file; True to replace it."""
    answer = QMessageBox.question(
        parent, "Replace file?",
        f"{os.path.basename(path)} already exists in {os.path.dirname(path)}.\nReplace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )  # fmt: skip
    return answer == QMessageBox.StandardButton.Yes


def target_path(
    parent: QWidget, caption: str, suggested: str, name_filter: str, path: str | None = None
) -> str | None:
    """Where to write: ``path`` or the user's choice (with the suggested name's extension added
    when missing); None when cancelled or when an existing file is to be kept."""
    if path is None:
        path = choose_save_path(parent, caption, suggested, name_filter)
        if not path:
            return None
        suffix = os.path.splitext(suggested)[1]
        if suffix and not path.lower().endswith(suffix):
            path += suffix
    path = os.path.abspath(path)
    if os.path.exists(path) and not ask_overwrite(parent, path):
        return None
    QSettings().setValue("last_export_folder", os.path.dirname(path))
    return path


# -- Parquet --------------------------------------------------------------------------------------
def window_parameters(window) -> dict:
    """How the window's tables were made: load time zone and year, buckets, display zone."""
    from inspector.views.timeline_frames import FACTOR_WIDTH_US

    ws, timeline = window.workspace, window.timeline
    options = ws.options if ws is not None else window.options
    out = {"tz": options.tz, "year": options.year, "bucket_seconds": FACTOR_WIDTH_US // 1_000_000}
    zone = getattr(window, "zone", None)
    out["display_zone"] = zone.name if zone is not None else "UTC"  # the times shown in the window
    if timeline is not None:
        frame = getattr(timeline, "frame", None)
        if frame is not None:
            out["timeline_bucket_seconds"] = frame.width_us / 1e6
    return out


def export_table(
    parent: QWidget,
    table: pa.Table | Callable[[Progress], pa.Table],
    runs,
    parameters: dict,
    suggested_name: str,
    path: str | None = None,
) -> LatestJob | None:
    """Write ``table`` (or what ``table(progress)`` returns, computed on the worker) to Parquet
    with the provenance of ``runs`` (a Workspace, or ``{"before": ws, "after": ws}``).

    Returns the running job (its ``done`` carries (path, rows)), None when cancelled."""
    path = target_path(parent, "Export to Parquet", suggested_name, PARQUET, path)
    if path is None:
        return None

    def work(progress: Progress) -> tuple[str, int]:
        got = table(progress) if callable(table) else table
        progress.report(0.6, f"hashing the inputs and writing {got.num_rows:,} rows")
        from inspector.export import write_parquet

        write_parquet(got, path, runs, parameters)  # atomic: a temporary file renamed at the end
        return path, got.num_rows

    return in_background(
        parent, work, "Exporting…", lambda got: f"Wrote {got[1]:,} rows to {got[0]}"
    )


def export_findings(window, path: str | None = None) -> LatestJob | None:
    """File → Export Findings…: the findings table as the window shows it."""
    if window.workspace is None:
        _nothing(window)
        return None
    table = window.findings_panel.model.table
    return export_table(
        window, table, window.workspace, window_parameters(window), "findings.parquet", path
    )


def export_filtered_records(window, path: str | None = None) -> LatestJob | None:
    """File → Export Filtered Records…: the records shown, in their order, with their content
    hash and ``duplicate_group`` (computed on these rows)."""
    if window.workspace is None:
        _nothing(window)
        return None
    panel = window.records_panel
    records, rows = panel.model.table, np.asarray(panel.model.index_array, dtype=np.int64)
    flt, sort = panel.shown_filter, panel.shown_sort
    from inspector.analysis.groups import with_duplicate_groups
    from inspector.arrow_columns import take_rows
    from inspector.session import filter_to_json

    parameters = dict(window_parameters(window), rows=len(rows), filter=filter_to_json(flt))
    parameters["sort"] = None if sort is None else {"column": sort[0], "descending": sort[1]}

    def shown(progress: Progress) -> pa.Table:
        progress.report(0.0, f"taking the {len(rows):,} rows shown")
        whole = len(rows) == records.num_rows and bool(np.all(rows == np.arange(len(rows))))
        subset = records if whole else take_rows(records, rows)
        progress.report(0.3, "grouping duplicates")
        return with_duplicate_groups(subset)

    return export_table(window, shown, window.workspace, parameters, "records.parquet", path)


def _nothing(window) -> None:
    window.message.setText("Nothing to export: open a run first")


# -- images ---------------------------------------------------------------------------------------
def export_timeline_image(window, fmt: str, path: str | None = None) -> str | None:
    """File → Export Timeline as PNG…/SVG…: the lanes as drawn. Returns the path written."""
    if fmt not in IMAGES:
        raise ValueError(f"unknown image format {fmt!r} (png or svg)")
    if window.timeline is None:
        _nothing(window)
        return None
    path = target_path(window, "Export Timeline", f"timeline.{fmt}", IMAGES[fmt], path)
    if path is None:
        return None
    try:
        with atomic_output(path) as part:  # a temporary file, renamed over ``path`` at the end
            if fmt == "png":
                # PySide6's stubs type the format as bytes; the binding takes only str.
                if not timeline_image(window.timeline).save(part, "PNG"):  # type: ignore[call-overload]
                    raise OSError(f"could not write {path}")
            else:
                with open(part, "w", encoding="utf-8") as f:
                    f.write(timeline_svg(window.timeline.view, window.timeline.caption()))
    except OSError as exc:
        window.message.setText(f"Export failed: {exc}")
        QMessageBox.warning(window, "Export failed", str(exc))
        return None
    window.message.setText(f"Wrote the timeline to {path}")
    return path


def timeline_image(panel) -> QImage:
    """The ruler and every shown lane (not only those scrolled into view), without the mouse's
    cursor line, over a caption: hosts, range, zone, bucket."""
    view = panel.view
    cursors = [p.cursor for p in view.plots.values() if p.cursor_shown()]
    for cursor in cursors:
        cursor.setVisible(False)
    try:
        ruler, lanes = view.ruler.grab(), view.graphics.grab()
    finally:
        for cursor in cursors:
            cursor.setVisible(True)
    caption = panel.caption()
    metrics = QFontMetrics(QFont())
    gap = metrics.height() + 12
    width = max(lanes.width(), ruler.width())
    image = QImage(width, ruler.height() + lanes.height() + gap, QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.drawPixmap(0, 0, ruler)
    painter.drawPixmap(0, ruler.height(), lanes)
    painter.setPen(QColor("#444444"))
    painter.drawText(8, ruler.height() + lanes.height() + metrics.ascent() + 6, caption)
    painter.end()
    return image


def connect_context_menus(window) -> None:
    """Connect the findings' and records' "Export to Parquet…" entries to the exports."""
    window.findings_panel.export_requested.connect(lambda: export_findings(window))
    window.records_panel.export_requested.connect(lambda: export_filtered_records(window))
