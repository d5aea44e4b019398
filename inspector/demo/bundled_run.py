"""The demo run the app opens with ``--demo``: generated on first use into the user's cache."""

from __future__ import annotations

import json
import os

from platformdirs import user_cache_dir

from inspector import __version__
from inspector.demo.scenarios import DEFAULT_SCENARIO
from inspector.demo.writer import GENERATOR_VERSION, write_run
from inspector.progress import Progress

DEMO_SEED = 1
DEMO_HOURS = 6.0
DEMO_SIZE = 40_000_000


def demo_dir(scenario: str = DEFAULT_SCENARIO) -> str:
    """Where the demo run of ``scenario`` lives (it is rebuilt when the app version changes)."""
    return os.path.join(
        user_cache_dir("osquery-inspector"),
        "demo",
        f"{scenario}-{__version__}-g{GENERATOR_VERSION}",
    )


def ensure_demo_run(scenario: str = DEFAULT_SCENARIO, progress: Progress | None = None) -> str:
    """The demo run's folder, writing it first if it is missing or from another version."""
    folder = demo_dir(scenario)
    truth = os.path.join(folder, "truth.json")
    try:
        with open(truth, encoding="utf-8") as f:
            generator = json.load(f)["generator"]
            if (
                generator.get("generator_version") == GENERATOR_VERSION
                and generator["app_version"] == __version__
            ):
                return folder
    except (OSError, ValueError, KeyError):
        pass
    os.makedirs(folder, exist_ok=True)
    write_run(folder, scenario, seed=DEMO_SEED, hours=DEMO_HOURS, size=DEMO_SIZE, progress=progress)
    return folder


def demo_inputs(folder: str) -> list[str]:
    """The host folders of a demo run (what an agent left on disk; truth.json is not part of it)."""
    with open(os.path.join(folder, "truth.json"), encoding="utf-8") as f:
        truth = json.load(f)
    return [os.path.join(folder, host["dir"]) for host in truth["hosts"]]
