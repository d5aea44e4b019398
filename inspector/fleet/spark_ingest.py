"""``fleet ingest --engine spark``: the ingest units run in Spark tasks.

Each task reads its units with the app's readers (``run_unit``: the same parse, the same
explicit schema, the same stable content hash as the DuckDB engine), writes its dated files
straight into the dataset, and sends back its small tables and manifest rows as Arrow IPC
bytes; the driver writes those and the manifest. When what the units found about their hosts
fills publishers some units could not tell (``shared_knowledge``), Spark tasks rewrite the
records files concerned too. On a cluster the executors need this package installed and the
dataset on storage every executor can write (a shared or object-store path).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from inspector.fleet.engines import require_pyspark, spark_session, spark_start_message
from inspector.fleet.shared_knowledge import PublisherFills
from inspector.fleet.units import UnitOutput
from inspector.progress import Progress, report


def _to_ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def _from_ipc(data: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all()


def encode(out: UnitOutput) -> bytes:
    """A task's output as bytes Spark can send back."""
    return json.dumps(
        {
            "small": {
                k: [_to_ipc(t).hex() for t in v if t is not None] for k, v in out.small.items()
            },
            "manifest": out.manifest,
            "rejected": [_to_ipc(t).hex() for t in out.rejected],
        }
    ).encode()


def decode(data: bytes) -> UnitOutput:
    doc = json.loads(data)
    return UnitOutput(
        small={k: [_from_ipc(bytes.fromhex(x)) for x in v] for k, v in doc["small"].items()},
        manifest=doc["manifest"],
        rejected=[_from_ipc(bytes.fromhex(x)) for x in doc["rejected"]],
    )


class SparkUnits:
    """The Spark engine's unit runner (``UnitRunner``): units spread over Spark tasks, and the
    rewrite of the records that other units' knowledge fills (``fill_records``) too."""

    def __init__(self, master: str, session: Any = None) -> None:
        self.master, self.session = master, session

    def spark(self) -> Any:
        """The session (started on first use, said on stderr as ``open_engine`` says it)."""
        if self.session is None:
            if message := spark_start_message(self.master):
                print(message, file=sys.stderr, flush=True)
            self.session = spark_session(self.master)
        return self.session

    def __call__(
        self, units: list[dict[str, Any]], dataset: str, ingest: str, progress: Progress | None
    ) -> UnitOutput:
        out = UnitOutput()
        if not units:
            return out
        spark = self.spark()
        report(progress, 0.05, f"reading {len(units):,} units in Spark tasks")
        slices = max(1, min(len(units), spark.sparkContext.defaultParallelism * 2))
        specs = [json.dumps(u) for u in units]

        def task(index: int, part: Iterator[str]) -> Iterator[bytes]:
            from inspector.fleet.units import UnitOutput as Output
            from inspector.fleet.units import run_unit
            from inspector.fleet.writer import DatasetWriter

            writer = DatasetWriter(dataset, ingest, tag=f"t{index}")
            done = Output()
            for spec in part:
                done.merge(run_unit(json.loads(spec), dataset, ingest, writer))
            writer.flush()
            yield encode(done)

        rdd = spark.sparkContext.parallelize(specs, slices)
        for data in rdd.mapPartitionsWithIndex(task).collect():
            out.merge(decode(data))
        return out

    def fill_records(self, files: list[str], fills: PublisherFills) -> list[str]:
        """``shared_knowledge.fill_records_files`` with the files spread over Spark tasks."""
        if not files or not fills:
            return []
        spark = self.spark()
        slices = max(1, min(len(files), spark.sparkContext.defaultParallelism * 2))

        def task(part: Iterator[str]) -> Iterator[str]:
            from inspector.fleet.shared_knowledge import fill_records_files

            yield from fill_records_files(list(part), fills)

        rewritten: list[str] = (
            spark.sparkContext.parallelize(files, slices).mapPartitions(task).collect()
        )
        return rewritten


def spark_runner(master: str = "local[*]", session: Any = None) -> SparkUnits:
    """A unit runner that spreads the units over Spark tasks (RuntimeError without pyspark)."""
    require_pyspark()
    return SparkUnits(master, session)
