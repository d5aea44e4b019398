"""How a run is read: parameters that change what the readers make of the files."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoadOptions:
    """Where and when glog's year-less local times are: the agent's time zone and the year."""

    tz: str | None = None  # IANA name of the agent's zone; None: inferred from the run
    year: int | None = None  # used when a status log does not say its year
