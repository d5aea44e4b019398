"""Spark's settings — shuffle partitions follow the cores and the input's size — and what starting
a session says (no Spark needed here)."""

from __future__ import annotations

from inspector.fleet.engines import (
    LOCAL_DRIVER_JAVA_OPTIONS,
    SPLIT_BYTES,
    _input_bytes,
    local_driver_java_options,
    memory_mb,
    shuffle_partitions,
)


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


def test_a_local_driver_gets_the_throughput_collector_and_less_inlining(monkeypatch):
    monkeypatch.delenv("INSPECTOR_SPARK_DRIVER_JAVA_OPTIONS", raising=False)
    monkeypatch.delenv("INSPECTOR_SPARK_DRIVER_MEMORY", raising=False)
    assert local_driver_java_options() == LOCAL_DRIVER_JAVA_OPTIONS + " -Xms1024m"
    assert "-XX:+UseParallelGC" in LOCAL_DRIVER_JAVA_OPTIONS
    assert "-XX:FreqInlineSize=100" in LOCAL_DRIVER_JAVA_OPTIONS
    monkeypatch.setenv("INSPECTOR_SPARK_DRIVER_JAVA_OPTIONS", "-XX:+UseSerialGC")
    assert local_driver_java_options() == "-XX:+UseSerialGC"  # replaces, not adds


def test_the_initial_heap_never_exceeds_the_drivers_limit(monkeypatch):
    monkeypatch.delenv("INSPECTOR_SPARK_DRIVER_JAVA_OPTIONS", raising=False)
    monkeypatch.setenv("INSPECTOR_SPARK_DRIVER_MEMORY", "512m")
    assert local_driver_java_options().endswith(" -Xms512m")
    monkeypatch.setenv("INSPECTOR_SPARK_DRIVER_MEMORY", "16g")
    assert local_driver_java_options().endswith(" -Xms1024m")
    monkeypatch.setenv("INSPECTOR_SPARK_DRIVER_MEMORY", "lots")
    assert "-Xms" not in local_driver_java_options()


def test_memory_strings():
    assert memory_mb("4g") == 4096
    assert memory_mb("4G") == 4096
    assert memory_mb("512m") == 512
    assert memory_mb("0.5g") == 512
    assert memory_mb("1t") == 1024 * 1024
    assert memory_mb("1048576k") == 1024
    assert memory_mb(str(2 * 1024 * 1024 * 1024)) == 2048  # a bare number is bytes, as -Xmx
    for bad in ("", "g", "lots", "inf", "1e400g", "-1g", "0m", "512"):  # 512 bytes: under 1 MiB
        assert memory_mb(bad) is None, bad


def test_spark_ingest_says_when_it_starts_a_session(monkeypatch, capsys):
    """As `fleet scan` does: the start (and the word on prepare-spark) on stderr, once."""
    from inspector.fleet import spark_ingest

    said = "starting Spark on local[2] … (run 'osquery-inspector fleet prepare-spark' once …)"
    monkeypatch.setattr(spark_ingest, "spark_start_message", lambda master: said)
    started = []
    monkeypatch.setattr(spark_ingest, "spark_session", lambda master: started.append(master) or "S")
    units = spark_ingest.SparkUnits("local[2]")
    assert units.spark() == "S" and units.spark() == "S"
    assert started == ["local[2]"]
    assert capsys.readouterr().err == said + "\n"
