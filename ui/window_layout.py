"""The main window's remembered layout, its display-zone wiring, and the lane of a finding.

Kept out of ``main_window.py`` (wiring only). The remembered size is clamped to the screen it
opens on: a window once widened past the screen (or saved on a bigger one) opens inside it."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QComboBox, QWidget

from inspector.model.runs import lane_host
from ui.display_zone import DisplayZone


def zone_box(zone: DisplayZone, parent: QWidget) -> QComboBox:
    """The "Times in" chooser: UTC, or this machine's zone."""
    box = QComboBox(parent)
    for name in zone.choices():
        box.addItem("UTC" if name == "UTC" else f"Local ({name})", name)
    box.setCurrentIndex(max(0, box.findData(zone.name)))
    box.currentIndexChanged.connect(lambda _i: zone.set_name(box.currentData()))
    zone.changed.connect(lambda name: box.setCurrentIndex(max(0, box.findData(name))))
    box.setToolTip("The time zone every view shows its times in (what was read stays the same)")
    return box


def apply_zone(window, zone: DisplayZone) -> None:
    """Every table, the overview and the detail pane show times in ``zone``."""
    panels = [window.records_panel, window.status_panel, window.findings_panel,
              window.queries_panel, window.sources_panel, window.problems_panel,
              window.compare.panel.table]  # fmt: skip
    for panel in panels:
        panel.model.set_zone(zone.tz, zone.label)
    window.records_panel.set_zone(zone.tz)
    window.overview_panel.set_zone(zone.tz)


def finding_lane(finding: dict) -> tuple:
    """The timeline lane a finding is about (its host, publisher, subscriber or query, stream)."""
    stream = "database" if finding.get("source") == "osquery_db" else "results"
    host = lane_host(finding.get("host"), finding.get("run"))  # a host's run, if in several
    if finding.get("subscriber"):
        return (host, finding.get("publisher"), finding["subscriber"], None, stream)
    return (host, None, None, finding.get("query"), stream)


def restore_layout(window) -> None:
    """The size, place and splitter of the last session, kept inside the screen."""
    settings = QSettings()
    geometry = settings.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
        clamp_to_screen(window)
    split = settings.value("window/split")
    if split is not None:
        window.split.restoreState(split)


def clamp_to_screen(window) -> None:
    """Shrink (and move) the window to fit the screen's available area."""
    screen = window.screen()
    if screen is None:
        return
    room = screen.availableGeometry()
    width, height = min(window.width(), room.width()), min(window.height(), room.height())
    if (width, height) != (window.width(), window.height()):
        window.resize(width, height)
    x = min(max(window.x(), room.left()), room.right() - width + 1)
    y = min(max(window.y(), room.top()), room.bottom() - height + 1)
    if (x, y) != (window.x(), window.y()):
        window.move(x, y)


def save_layout(window) -> None:
    """Remember the window's size and place (only while it fits the screen) and the splitter."""
    settings = QSettings()
    screen = window.screen()
    room = screen.availableGeometry() if screen is not None else None
    fits = room is None or (window.width() <= room.width() and window.height() <= room.height())
    if fits:
        settings.setValue("window/geometry", window.saveGeometry())
    settings.setValue("window/split", window.split.saveState())
