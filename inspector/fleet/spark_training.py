"""The training session that writes the local Spark driver's class-data archive
(``inspector.fleet.class_archive``): ``python -m inspector.fleet.spark_training PART``.

It does what a local session does — a small generated fleet (two demo hosts, an hour each) is
ingested, scanned and compared on Spark ``local[2]`` — so that the classes those load are the
ones archived; then it stops Spark and waits for its JVM, which writes ``PART`` as it exits.
Exits with the JVM's own status.
"""

from __future__ import annotations

import os
import sys
import tempfile

import pyarrow as pa
import pyarrow.compute as pc


def train(part: str) -> int:
    """Run the training session; the driver JVM's exit status (0: ``part`` is written)."""
    from inspector.demo.fleet import write_fleet
    from inspector.fleet import class_archive
    from inspector.fleet.compare import fleet_compare
    from inspector.fleet.engines import Scope, SparkEngine, local_driver_java_options, spark_session
    from inspector.fleet.ingest import ingest
    from inspector.fleet.scan import fleet_scan

    with tempfile.TemporaryDirectory(prefix="oqi-spark-training-") as folder:
        hosts = write_fleet(os.path.join(folder, "hosts"), hosts=2, size=200_000, hours=1.0)
        dataset = os.path.join(folder, "dataset")
        ingest(hosts, dataset)
        options = f"{local_driver_java_options()} {class_archive.dump_options(part)}"
        spark = spark_session("local[2]", shuffle_partitions=2, java_options=options)
        scan = fleet_scan(
            dataset, "spark", engine_instance=SparkEngine(dataset, Scope(), session=spark)
        )
        span = pc.min_max(scan.factors.column("bucket").cast(pa.int64())).as_py()
        lo, hi = span["min"], span["max"]
        middle = lo + (hi - lo) // 2
        fleet_compare(dataset, (lo, middle), (middle, hi + 1), engine="spark")
        gateway = spark.sparkContext._gateway
        jvm = gateway.proc
        spark.stop()
        gateway.shutdown()
        # The JVM exits when its standard input closes, and writes the archive as it does.
        jvm.stdin.close()
        return int(jvm.wait())


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m inspector.fleet.spark_training ARCHIVE_PART", file=sys.stderr)
        return 2
    return train(sys.argv[1])


if __name__ == "__main__":
    sys.exit(main())
