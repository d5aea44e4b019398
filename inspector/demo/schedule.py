"""When things happen in a demo run, and what follows from it at any instant.

Everything is vectorised over arrays of unix seconds: the duplication factor of a doubling
subscriber, the epoch, and which resets (epoch change, wiped database) came before.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from inspector.demo.scenarios import Scenario

RESTART_GAP = 4  # seconds a watchdog restart leaves without a worker
WIPE_GAP = 15  # seconds an agent restart with a fresh database takes


@dataclass(frozen=True)
class Timeline:
    """Absolute times (unix seconds) of a scenario's events."""

    start: int
    end: int
    config_changes: tuple[int, ...]
    restarts: tuple[int, ...]
    epoch_changes: tuple[int, ...]
    db_wipes: tuple[int, ...]

    @classmethod
    def of(cls, scenario: Scenario, start: int, hours: float) -> Timeline:
        end = start + round(hours * 3600)

        def at(fractions: tuple[float, ...]) -> tuple[int, ...]:
            # On a whole second a little past the minute, as real events are.
            return tuple(start + int((end - start) * f) // 60 * 60 + 17 for f in fractions)

        return cls(
            start=start,
            end=end,
            config_changes=at(scenario.config_changes),
            restarts=at(scenario.restarts),
            epoch_changes=at(scenario.epoch_changes),
            db_wipes=at(scenario.db_wipes),
        )

    @property
    def downtimes(self) -> list[tuple[int, int]]:
        """Windows without a running worker: no events are captured, no query runs."""
        return [(t, t + RESTART_GAP) for t in self.restarts] + [
            (t, t + WIPE_GAP) for t in self.db_wipes
        ]

    def running(self, t: np.ndarray) -> np.ndarray:
        ok = np.ones(len(t), dtype=bool)
        for lo, hi in self.downtimes:
            ok &= (t < lo) | (t >= hi)
        return ok

    def factor(self, t: np.ndarray) -> np.ndarray:
        """Subscriptions of a doubling subscriber at ``t``: 1 + config changes since the process
        started (a restart or fresh agent starts again from one)."""
        resets = np.array(sorted(self.restarts + self.db_wipes), dtype=np.int64)
        changes = np.array(sorted(self.config_changes), dtype=np.int64)
        t = np.asarray(t, dtype=np.int64)
        last_reset = np.full(len(t), np.iinfo(np.int64).min)
        if len(resets):
            idx = np.searchsorted(resets, t, side="right")
            last_reset = np.where(idx > 0, resets[np.maximum(idx - 1, 0)], last_reset)
        since = np.searchsorted(changes, t, side="right") - np.searchsorted(
            changes, last_reset, side="right"
        )
        return 1 + since

    def segments(self) -> list[tuple[int, int, int]]:
        """(start, end, factor) pieces of the run for a doubling subscriber."""
        cuts = sorted({self.start, self.end, *self.config_changes, *self.restarts, *self.db_wipes})
        out: list[tuple[int, int, int]] = []
        for lo, hi in itertools.pairwise(cuts):
            f = int(self.factor(np.array([lo]))[0])
            if out and out[-1][2] == f:
                out[-1] = (out[-1][0], hi, f)
            else:
                out.append((lo, hi, f))
        return out

    def epoch(self, t: np.ndarray) -> np.ndarray:
        return np.searchsorted(
            np.array(sorted(self.epoch_changes), dtype=np.int64), t, side="right"
        )

    def reset_index(self, t: np.ndarray) -> np.ndarray:
        """How many counter resets (epoch change, wiped database) lie at or before ``t``."""
        resets = np.array(sorted(self.epoch_changes + self.db_wipes), dtype=np.int64)
        return np.searchsorted(resets, t, side="right")

    def wipe_index(self, t: np.ndarray) -> np.ndarray:
        return np.searchsorted(np.array(sorted(self.db_wipes), dtype=np.int64), t, side="right")


def diurnal(t: np.ndarray) -> np.ndarray:
    """Relative activity over the day (UTC): quiet at night, busiest in the afternoon."""
    hour = (t % 86400) / 3600.0
    return 0.3 + 0.7 * (0.5 - 0.5 * np.cos(2 * np.pi * (hour - 3.0) / 24.0))
