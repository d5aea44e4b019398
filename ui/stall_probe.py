"""How long the GUI thread went without turning its event loop (the longest "freeze").

A precise timer asks to fire every ``interval_ms``; whenever it fires late, the event loop was
held by something for the lateness. The longest lateness is the worst stall a user would have
felt (a click, a repaint waiting that long). Used by the GUI benchmark and by tests."""

from __future__ import annotations

import os
import time

from PySide6.QtCore import QObject, Qt, QTimer


class StallProbe(QObject):
    """Start it, do things, read ``longest`` (seconds) and ``stalls`` (each lateness over
    ``report_over`` seconds, with the phase it happened in)."""

    def __init__(
        self, parent: QObject | None = None, interval_ms: int = 5, report_over: float = 0.05
    ) -> None:
        super().__init__(parent)
        self.interval = interval_ms / 1000
        self.report_over = report_over
        self.phase = ""
        self.longest = 0.0
        self.longest_phase = ""
        self.stalls: list[tuple[str, float]] = []
        self.verbose = bool(os.environ.get("OSQUERY_INSPECTOR_STALLS"))  # print each stall
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self, phase: str = "") -> None:
        self.phase = phase
        self._last = time.perf_counter()
        self._timer.start()

    def set_phase(self, phase: str) -> None:
        """Name what happens from now on (stalls are reported with it)."""
        self._tick()
        self.phase = phase

    def stop(self) -> float:
        """Stop probing; return the longest stall (seconds)."""
        self._tick()
        self._timer.stop()
        return self.longest

    def _tick(self) -> None:
        now = time.perf_counter()
        late = now - self._last - self.interval
        self._last = now
        if late > self.longest:
            self.longest, self.longest_phase = late, self.phase
        if late > self.report_over:
            self.stalls.append((self.phase, late))
            if self.verbose:
                print(f"stall {late * 1000:.0f} ms in {self.phase} at {now:.3f}", flush=True)
