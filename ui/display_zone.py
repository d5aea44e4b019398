"""The display zone ("Times in"): one setting that every view shows its times in.

It never changes what was read (the agent's zone places wall-clock status lines on UTC at load);
it only changes how UTC instants are written: the timeline's axis and cursor, every time column
(whose header names the zone), the detail pane, the overview, messages and export captions.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from PySide6.QtCore import QObject, QSettings, Signal

from inspector.timezones import machine_timezone

SETTING = "display/zone"


class DisplayZone(QObject):
    """The zone times are shown in (an IANA name; UTC by default), remembered in the settings."""

    changed = Signal(str)  # the new zone name

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        saved = str(QSettings().value(SETTING, "UTC"))
        self.name = saved if saved in self.choices() else "UTC"
        self.tz = ZoneInfo(self.name)

    @staticmethod
    def choices() -> list[str]:
        """UTC, and this machine's zone when it is another."""
        local = machine_timezone()
        return ["UTC"] if local in ("UTC", "") else ["UTC", local]

    def set_name(self, name: str) -> None:
        """Show times in ``name`` from now on (every view follows ``changed``)."""
        if name == self.name:
            return
        self.name, self.tz = name, ZoneInfo(name)
        QSettings().setValue(SETTING, name)
        self.changed.emit(name)

    @property
    def label(self) -> str:
        """What headers and captions say: ``UTC`` or the zone's name."""
        return self.name

    def local(self, value: dt.datetime) -> dt.datetime:
        """``value`` (UTC if naive) in the display zone."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(self.tz)

    def text(self, value: dt.datetime | float | None, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
        """A time (a datetime, or seconds since the epoch) in the display zone with its
        abbreviation: ``2026-11-02 03:00:16 UTC``, ``… 04:00:16 CET``."""
        if value is None:
            return "none"
        if not isinstance(value, dt.datetime):
            value = dt.datetime.fromtimestamp(float(value), dt.UTC)
        shown = self.local(value)
        return f"{shown.strftime(pattern)} {shown.tzname()}"
