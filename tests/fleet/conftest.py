"""Fleet test data, written once per session: a small demo fleet, its pipeline view, datasets."""

from __future__ import annotations

import pytest

from inspector.demo.fleet import write_fleet
from inspector.demo.pipeline import write_pipeline
from inspector.fleet.ingest import ingest


@pytest.fixture(scope="session")
def demo_fleet(tmp_path_factory) -> list[str]:
    """Four host folders: two macOS hosts that duplicate after config changes, two healthy."""
    return write_fleet(str(tmp_path_factory.mktemp("fleet")), hosts=4, size=300_000, hours=1.0)


@pytest.fixture(scope="session")
def fleet_dataset(demo_fleet, tmp_path_factory) -> str:
    """The demo fleet's host folders ingested (DuckDB engine)."""
    dataset = str(tmp_path_factory.mktemp("dataset") / "ds")
    ingest(demo_fleet, dataset)
    return dataset


@pytest.fixture(scope="session")
def pipeline_root(demo_fleet, tmp_path_factory) -> str:
    """Two hosts' logs as a log pipeline ships them: YYYY/MM/DD/HH/ gzip objects."""
    root = str(tmp_path_factory.mktemp("pipeline") / "firehose")
    write_pipeline(demo_fleet[1:3], root, objects=150, envelopes=0.2)
    return root


@pytest.fixture(scope="session")
def pipeline_dataset(pipeline_root, tmp_path_factory) -> str:
    dataset = str(tmp_path_factory.mktemp("pipeline_dataset") / "ds")
    ingest([pipeline_root], dataset)
    return dataset
