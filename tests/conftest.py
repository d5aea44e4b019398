"""Shared test setup: Qt runs offscreen; the real samples are read in place from ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples" / "real"


@pytest.fixture
def samples() -> Path:
    """The real osquery samples (../shared/samples/real), or skip with the reason."""
    if not SAMPLES.is_dir():
        pytest.skip(
            f"real samples not present at {SAMPLES} (they live in the shared folder beside the project)"
        )
    return SAMPLES
