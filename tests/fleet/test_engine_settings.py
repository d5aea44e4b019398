"""Spark's shuffle partitions follow the cores and the input's size (no Spark needed here)."""

from __future__ import annotations

from inspector.fleet.engines import SPLIT_BYTES, _input_bytes, shuffle_partitions


def test_shuffle_partitions_keep_every_core_busy_and_grow_with_the_input():
    assert shuffle_partitions(10_000, parallelism=2, configured=200) == 4
    assert shuffle_partitions(300 * 1024 * 1024, parallelism=2, configured=200) == 4
    assert shuffle_partitions(100 * SPLIT_BYTES + 1, parallelism=2, configured=200) == 101
    assert shuffle_partitions(SPLIT_BYTES, parallelism=400, configured=200) == 800


def test_an_unknown_size_keeps_the_sessions_number():
    assert shuffle_partitions(None, parallelism=8, configured=200) == 200
    assert shuffle_partitions(None, parallelism=200, configured=200) == 400


def test_input_bytes_of_a_dataset(fleet_dataset):
    assert _input_bytes(fleet_dataset) > 0
    assert _input_bytes("s3://bucket/fleet") is None
