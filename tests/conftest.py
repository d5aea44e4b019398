"""Shared test setup: Qt runs offscreen; the real samples are read in place from ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True, scope="session")
def private_cache_dir(tmp_path_factory):
    """Caches (the demo run, screenshots), settings (QSettings: recent files, window layout) and
    the log file go to private folders, not the user's."""
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))


SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "real"


@pytest.fixture
def samples() -> Path:
    """The real osquery samples (../shared/samples/real), or skip with the reason."""
    if not SAMPLES.is_dir():
        pytest.skip(
            f"real samples not present at {SAMPLES} (they live in the shared folder beside the project)"
        )
    return SAMPLES
