"""View → Go to Time… (Ctrl+G): centre the timeline on a typed time, read in the display zone."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from ui.display_zone import DisplayZone

FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%H:%M:%S", "%H:%M")


def parse_time(text: str, zone: DisplayZone, day: dt.date | None) -> dt.datetime:
    """``text`` as a time in ``zone`` (a time of day alone is on ``day``); ValueError if none."""
    text = text.strip()
    for pattern in FORMATS:
        try:
            parsed = dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
        if pattern.startswith("%H") and day is not None:
            parsed = dt.datetime.combine(day, parsed.time())
        return parsed.replace(tzinfo=zone.tz).astimezone(dt.UTC)
    raise ValueError(f"not a time: {text!r} (write e.g. 2026-11-02 03:00:00, or 03:00)")


def go_to_time(parent: QWidget, timeline, zone: DisplayZone) -> dt.datetime | None:
    """Ask for a time and centre the timeline on it (the zoom stays). Returns the time."""
    view = timeline.view.current_range()
    if view is None:
        return None
    centre = dt.datetime.fromtimestamp((view[0] + view[1]) / 2, dt.UTC)
    shown = zone.local(centre)
    text, ok = QInputDialog.getText(
        parent, "Go to Time", f"Time ({zone.label}):", text=f"{shown:%Y-%m-%d %H:%M:%S}"
    )
    if not ok:
        return None
    try:
        when = parse_time(text, zone, shown.date())
    except ValueError as exc:
        QMessageBox.warning(parent, "Go to Time", str(exc))
        return None
    timeline.centre_on(when.timestamp())
    return when
