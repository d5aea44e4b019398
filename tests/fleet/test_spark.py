"""The same definitions on Spark (local[2]): identical factors, findings, hashes and datasets.

Few tests on small data: one Spark session for the module (its start costs seconds)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from inspector.fleet import ingest as ingest_module
from inspector.fleet import layout
from inspector.fleet.engines import Scope, SparkEngine, spark_session
from inspector.fleet.ingest import ingest
from inspector.fleet.scan import fleet_scan
from inspector.fleet.spark_ingest import spark_runner
from inspector.sql.dialect import DUCKDB, SPARK
from tests.fleet.dataset_copies import doubled_copy, same_scan, unfinished_copy
from tests.fleet.test_ingest_inputs import write_hourly_pipeline

pytest.importorskip("pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("no Java runtime (scripts/setup.sh --test installs one)", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


def rows_of(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: repr(sorted(r.items())))


def test_spark_scan_equals_duckdb(spark, fleet_dataset):
    on_spark = fleet_scan(
        fleet_dataset, "spark", engine_instance=SparkEngine(fleet_dataset, Scope(), session=spark)
    )
    on_duckdb = fleet_scan(fleet_dataset)
    assert on_spark.factors.equals(on_duckdb.factors)
    assert on_spark.findings.num_rows > 0
    assert rows_of(on_spark.findings) == rows_of(on_duckdb.findings)
    assert on_spark.hosts.equals(on_duckdb.hosts)


def test_nothing_is_said_to_start_when_the_session_runs(spark):
    from inspector.fleet.engines import spark_start_message

    assert spark_start_message("local[2]") is None


def test_the_stable_hash_is_the_same_on_both(spark):
    texts = ["", '{"path":"/bin/ls","eid":"00001"}', "ünïcode ✓ \\u00e9", "x" * 5000]
    for text in texts:
        literal = "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
        on_spark = spark.sql(f"SELECT {SPARK.stable_hash64(literal)}").collect()[0][0]
        on_duckdb = duckdb.sql(
            f"SELECT {DUCKDB.stable_hash64(chr(39) + text.replace(chr(39), chr(39) * 2) + chr(39))}"
        ).fetchall()[0][0]
        assert on_spark == on_duckdb, text


def test_spark_ingest_writes_what_duckdb_writes(spark, demo_fleet, pipeline_root, tmp_path):
    inputs = [pipeline_root, demo_fleet[0]]
    with_spark = str(tmp_path / "spark")
    with_duckdb = str(tmp_path / "duckdb")
    ingest(inputs, with_spark, "spark", runner=spark_runner(session=spark))
    ingest(inputs, with_duckdb)

    def table(dataset: str, name: str) -> pa.Table:
        t = pq.read_table(os.path.join(dataset, name), schema=layout.DATED[name])
        return t.sort_by([(c, "ascending") for c in ("source", "line", "item")])

    for name in ("records", "status"):
        assert table(with_spark, name).equals(table(with_duckdb, name)), name
    manifests = [pq.read_table(os.path.join(d, "manifest")).drop_columns(["ingest"]).sort_by("path")
                 for d in (with_spark, with_duckdb)]  # fmt: skip
    assert manifests[0].equals(manifests[1])


@pytest.mark.parametrize("status_hour", [0, 2])
def test_spark_batches_know_what_the_other_batches_found(spark, tmp_path, monkeypatch, status_hour):
    """Spark reads a pipeline's batches side by side: the rows of batches without the status
    lines still get the publisher those lines name (first batch or last), as DuckDB's do."""
    root = str(tmp_path / "pipe")
    write_hourly_pipeline(root, status_hour)
    monkeypatch.setattr(ingest_module, "BATCH_FILES", 1)  # every object a batch of its own
    with_spark, with_duckdb = str(tmp_path / "spark"), str(tmp_path / "duckdb")
    ingest([root], with_spark, "spark", runner=spark_runner(session=spark))
    ingest([root], with_duckdb)
    records = [
        pq.read_table(os.path.join(d, "records"), schema=layout.RECORDS).sort_by(
            [("source", "ascending"), ("line", "ascending"), ("item", "ascending")]
        )
        for d in (with_spark, with_duckdb)
    ]
    assert set(records[0].column("publisher").to_pylist()) == {"inotify"}
    assert records[0].equals(records[1])
    same_scan(fleet_scan(with_spark), fleet_scan(with_duckdb))


def test_spark_scan_json_on_the_command_line_is_the_document_alone(fleet_dataset):
    done = subprocess.run(
        [sys.executable, "-m", "inspector.cli.main", "fleet", "scan", fleet_dataset,
         "--engine", "spark", "--spark-master", "local[2]", "--json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # nothing but the document on stdout
    assert doc["engine"] == "spark" and len(doc["hosts"]) == 4 and doc["findings"]
    assert "Spark" in done.stderr


def test_spark_reads_finished_ingests_only(spark, fleet_dataset, tmp_path):
    # Spark reads a listed name as a glob: b{x,y}[1] would read the look-alike bx1 beside it.
    dataset = str(tmp_path / "date=2020-05-05" / "b{x,y}[1]" / "ds")
    shutil.copytree(fleet_dataset, dataset)
    doubled_copy(fleet_dataset, str(tmp_path / "date=2020-05-05" / "bx1" / "ds"))
    unfinished_copy(dataset, "20991231T000000Zrunning")
    on_spark = fleet_scan(
        dataset, "spark", engine_instance=SparkEngine(dataset, Scope(), session=spark)
    )
    same_scan(on_spark, fleet_scan(fleet_dataset))


def test_interrupting_a_scan_stops_its_jobs_and_no_one_elses(spark, fleet_dataset):
    """Two scans on one session: cancelling one cancels its jobs only."""
    import threading
    import time

    from inspector.progress import Cancelled

    mine, other = (SparkEngine(fleet_dataset, Scope(), session=spark) for _ in range(2))
    outcome: dict[str, object] = {}

    def run(name: str, engine: SparkEngine, text: str) -> None:
        try:
            outcome[name] = engine.sql(text).column(0)[0].as_py()
        except Exception as exc:
            outcome[name] = exc

    slow = threading.Thread(
        target=run, args=("mine", mine, "SELECT sum(id % 7) FROM range(20000000000)")
    )
    slow.start()
    time.sleep(3)  # its job is running
    quick = threading.Thread(
        target=run, args=("other", other, "SELECT sum(id % 7) FROM range(300000000)")
    )
    quick.start()
    time.sleep(0.5)  # its job is running too
    mine.interrupt()
    slow.join(timeout=60)
    quick.join(timeout=60)
    assert not slow.is_alive() and isinstance(outcome["mine"], Exception)
    n = 300_000_000
    assert outcome["other"] == n // 7 * 21 + sum(range(n % 7))
    with pytest.raises(Cancelled):
        mine.sql("SELECT 1")
