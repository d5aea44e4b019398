"""The engines a fleet dataset is analysed on: DuckDB (embedded, the default) and Spark.

Both bind the same two views — ``records`` and ``status``, narrowed to the scan's hosts and
time — over the dataset's Parquet files with explicit schemas (the date partition included),
and run the definitions' SQL text in their dialect, answering Arrow tables. Paths with a URL
scheme (``s3://``, ``gs://``, ``s3a://``, ``abfss://`` …) are handed to the engine as given:
DuckDB reads them through its ``httpfs`` extension, Spark through its Hadoop file systems,
each configured the engine's own way (credentials, extension, jars).
"""

from __future__ import annotations

import glob
import math
import os
import re
import sys
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

import pyarrow as pa

from inspector.duck import new_database
from inspector.fleet import layout
from inspector.progress import Cancelled
from inspector.sql.dialect import DUCKDB, SPARK, Dialect


@dataclass(frozen=True)
class Scope:
    """Which rows a scan reads: hosts (None: all) and a time range [since, until) in µs."""

    hosts: tuple[str, ...] | None = None
    since_us: int | None = None
    until_us: int | None = None

    def records_filter(self, d: Dialect) -> str:
        return self._filter(d, "coalesce(event_time, log_time)")

    def status_filter(self, d: Dialect) -> str:
        # Markers before the range still explain bursts in it; only the end bounds them.
        return self._filter(d, "log_time", lower=False)

    def _filter(self, d: Dialect, time: str, lower: bool = True) -> str:
        parts = ["true"]
        if self.hosts is not None:
            names = ", ".join("'" + h.replace("'", "''") + "'" for h in self.hosts) or "NULL"
            parts.append(f"host IN ({names})")
        if lower and self.since_us is not None:
            day = _day(self.since_us)
            parts.append(f"date >= DATE '{day}' AND {d.micros(time)} >= {int(self.since_us)}")
        if self.until_us is not None:
            parts.append(
                f"date <= DATE '{_day(self.until_us)}' AND {d.micros(time)} < {int(self.until_us)}"
            )
        return " AND ".join(parts)


class Engine(Protocol):
    """What the fleet analysis needs of an engine: its dialect and SQL over bound views."""

    name: str
    dialect: Dialect

    def sql(self, text: str) -> pa.Table:
        """Run ``text`` over the ``records`` and ``status`` views; the answer as Arrow."""
        ...

    def sql_all(
        self, texts: Sequence[str], on_done: Callable[[int], None] | None = None
    ) -> list[pa.Table]:
        """Run every query of ``texts``; their answers in the same order. ``on_done(n)`` is
        called (on the calling thread) each time another query has finished, ``n`` of them."""
        ...

    def interrupt(self) -> None:
        """Stop the running queries, from another thread (a cancelled scan)."""
        ...

    def close(self) -> None:
        """Let go of what the engine holds for this scan."""
        ...


def _day(us: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(us / 1e6, dt.UTC).strftime("%Y-%m-%d")


def is_remote(path: str) -> bool:
    """A URL an engine reads by itself (object stores)."""
    return "://" in path


def dataset_files(dataset: str, table: str, finished: set[str] | None = None) -> list[str] | None:
    """The Parquet files of one table an engine reads (``layout.finished_files``); None for a
    URL, which the engine lists itself (``layout.parquet_glob``)."""
    return None if is_remote(dataset) else layout.finished_files(dataset, table, finished)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# The date of a part, from its partition folder (the last folder of its path).
_PART_DATE = r"'date=([0-9]{4}-[0-9]{2}-[0-9]{2})/[^/]*$'"


def duckdb_source(dataset: str, table: str, files: list[str] | None) -> str:
    """DuckDB's ``FROM`` source of one dated table with its ``date`` column.

    Listed files are named literally (DuckDB reads each name of a list as a glob: ``x[1]``
    would read ``x1``) and dated by their own partition folder: DuckDB's hive partitioning
    reads every ``key=value`` folder of a path, so a dataset kept under, say,
    ``/archive/date=2026-01-01/fleet`` would have had its rows dated by that folder. A filter
    on ``date`` still skips whole files (DuckDB evaluates it per file name)."""
    if files is None:
        return (
            f"read_parquet({_sql_text(layout.parquet_glob(dataset, table))}, "
            "hive_partitioning = true, hive_types = {'date': DATE}, union_by_name = false)"
        )
    names = ", ".join(_sql_text(glob.escape(path)) for path in files)
    return (
        "(SELECT * EXCLUDE (filename), "
        f"CAST(regexp_extract(filename, {_PART_DATE}, 1) AS DATE) AS date "
        f"FROM read_parquet([{names}], hive_partitioning = false, filename = true))"
    )


def hadoop_literal(path: str) -> str:
    """``path`` with the characters Spark's (Hadoop's) path globbing reads escaped."""
    return re.sub(r"([\\\[\]{}*?])", r"\\\1", path)


class DuckDBEngine:
    """DuckDB over the dataset's Parquet files, in this process."""

    name = "duckdb"
    dialect = DUCKDB

    def __init__(self, dataset: str, scope: Scope, threads: int | None = None) -> None:
        self.con = new_database(threads)
        self._closing = threading.Lock()  # an interrupt from another thread never meets a
        self._closed = False  # closed connection
        self._stopped = False  # interrupted: no query starts any more
        finished = layout.finished_ingests(dataset)
        for table, where in (
            ("records", scope.records_filter(DUCKDB)),
            ("status", scope.status_filter(DUCKDB)),
        ):
            files = dataset_files(dataset, table, finished)
            if files == []:
                empty = layout.DATED[table].append(pa.field("date", pa.date32())).empty_table()
                self.con.register(f"{table}_empty", empty)
                source = f"{table}_empty"
            else:
                source = duckdb_source(dataset, table, files)
            self.con.execute(f"CREATE VIEW {table} AS SELECT * FROM {source} WHERE {where}")

    def sql(self, text: str) -> pa.Table:
        """Run ``text`` (in DuckDB's dialect) over the views; the answer as Arrow."""
        self._check_stopped()
        relation = self.con.sql(text)  # bound, not run: an interrupt now would find nothing
        self._check_stopped()
        return relation.to_arrow_table()

    def _check_stopped(self) -> None:
        if self._stopped:
            raise Cancelled()

    def sql_all(
        self, texts: Sequence[str], on_done: Callable[[int], None] | None = None
    ) -> list[pa.Table]:
        """One query after another (each already uses every core)."""
        out = []
        for text in texts:
            out.append(self.sql(text))
            if on_done is not None:
                on_done(len(out))
        return out

    def interrupt(self) -> None:
        """Stop the running query (from another thread): it raises in its own, and no query
        starts after it. Nothing to stop once the scan has closed the connection."""
        self._stopped = True
        with self._closing:
            if not self._closed:
                self.con.interrupt()

    def close(self) -> None:
        with self._closing:
            self._closed = True
            self.con.close()


SPLIT_BYTES = 128 * 1024 * 1024  # input per shuffle partition (Spark's own file split size)


# Local tasks run in the driver's JVM, so its settings are theirs (executors of a cluster keep what
# the cluster sets). The throughput collector spends a tenth less CPU on a scan than G1 with its
# concurrent threads. A local session typically runs one scan (the command line) or a few (the
# window), and on two cores its JIT compilers took as much CPU as the tasks in the first one:
# inlining methods of up to 100 bytecodes into hot code, not 325, cut the C2 compiler's time by
# about a third (first scan of the fleet benchmark: ~5 → ~3.5 s CPU) without slowing the tasks
# measurably (later scans within ~5 %, inside this machine's noise). Fewer, later C2 compiles
# (twice the invocations before one, inlining already-compiled code only up to 500 bytes) and
# a heap of 1 GB from the start (``INITIAL_HEAP_MB``: no young collections while it grows) took
# another 0.4 s off the first scan and 0.2 s off later ones (three alternating pairs each, with
# and without the class archive; BENCHMARKS.md).
LOCAL_DRIVER_JAVA_OPTIONS = (
    "-XX:+UseParallelGC -XX:FreqInlineSize=100 -XX:InlineSmallCode=500 "
    "-XX:Tier4InvocationThreshold=10000 -XX:Tier4CompileThreshold=25000"
)
INITIAL_HEAP_MB = 1024
DRIVER_MEMORY = "4g"  # the driver's heap limit unless INSPECTOR_SPARK_DRIVER_MEMORY says otherwise


def driver_memory() -> str:
    """The driver's heap limit as Spark hands it to the JVM (``-Xmx`` + this: ``4g``, ``512m``)."""
    return os.environ.get("INSPECTOR_SPARK_DRIVER_MEMORY", DRIVER_MEMORY)


def memory_mb(text: str) -> int | None:
    """MiB of a JVM memory size (``4g``, ``512m``, ``1048576k``, ``1t``; a bare number is bytes,
    as ``-Xmx`` reads it), rounded down; None when it is not one or not above zero."""
    text = text.strip().lower()
    units = {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024 * 1024}
    scale = units.get(text[-1:])
    number = text[:-1] if scale is not None else text
    try:
        value = float(number) * (scale if scale is not None else 1 / (1024 * 1024))
        mb = int(value)
    except (ValueError, OverflowError):  # not a number; inf
        return None
    return mb if mb > 0 else None


def local_driver_java_options() -> str:
    """The driver JVM's options for a local master: ``INSPECTOR_SPARK_DRIVER_JAVA_OPTIONS``
    when set (it replaces them), else ``LOCAL_DRIVER_JAVA_OPTIONS`` with an initial heap of
    ``INITIAL_HEAP_MB`` (never above the driver's limit: the JVM refuses to start then)."""
    given = os.environ.get("INSPECTOR_SPARK_DRIVER_JAVA_OPTIONS")
    if given is not None:
        return given
    limit = memory_mb(driver_memory())
    initial = min(INITIAL_HEAP_MB, limit) if limit else None
    return LOCAL_DRIVER_JAVA_OPTIONS + (f" -Xms{initial}m" if initial else "")


def spark_session(
    master: str = "local[*]", shuffle_partitions: int | None = None, java_options: str | None = None
) -> Any:
    """A Spark session for fleet work (UTC, Arrow transfers; shuffle partitions as given, else
    two per local core — ``SparkEngine`` sets them from its dataset's size). A local master's
    driver JVM gets ``java_options``, by default ``local_driver_java_options()`` and the class
    archive when one was prepared (``inspector.fleet.class_archive``)."""
    from pyspark.sql import SparkSession  # optional extra: pip install '.[fleet]'

    cores = os.cpu_count() or 2
    # Python tasks run in this interpreter (its packages), not whatever python3 is on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName("osquery-inspector fleet")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or max(2, 2 * cores)))
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.parquet.datetimeRebaseModeInRead", "CORRECTED")
        .config("spark.driver.memory", driver_memory())
    )
    if master.startswith("local"):
        if java_options is None:
            from inspector.fleet import class_archive

            java_options = f"{local_driver_java_options()} {class_archive.use_options()}".strip()
        builder = builder.config("spark.driver.extraJavaOptions", java_options)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def shuffle_partitions(input_bytes: int | None, parallelism: int, configured: int) -> int:
    """Shuffle partitions for a scan of ``input_bytes`` (None: not known, an object store):
    two per core at least (every core busy, stragglers shared), one per ``SPLIT_BYTES`` of
    input beyond that, the session's ``configured`` number when the size is unknown. Spark's
    adaptive execution merges partitions that come out small."""
    by_size = math.ceil(input_bytes / SPLIT_BYTES) if input_bytes is not None else configured
    return max(2 * parallelism, by_size)


def _input_bytes(dataset: str) -> int | None:
    """Bytes of the dataset's records and status Parquet (None for a URL)."""
    if is_remote(dataset):
        return None
    finished = layout.finished_ingests(dataset)
    return sum(
        os.path.getsize(path)
        for table in layout.DATED
        for path in layout.finished_files(dataset, table, finished)
    )


def spark_schema(schema: pa.Schema) -> Any:
    """The Spark schema of an Arrow schema (the dataset's explicit types)."""
    from pyspark.sql import types as T

    def of(t: pa.DataType) -> Any:
        if pa.types.is_string(t):
            return T.StringType()
        if pa.types.is_int64(t):
            return T.LongType()
        if pa.types.is_int32(t):
            return T.IntegerType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        if pa.types.is_float64(t):
            return T.DoubleType()
        if pa.types.is_timestamp(t):
            return T.TimestampNTZType() if t.tz is None else T.TimestampType()
        if pa.types.is_date32(t):
            return T.DateType()
        if pa.types.is_list(t):
            return T.ArrayType(of(t.value_type))
        raise TypeError(f"no Spark type for {t}")

    return T.StructType([T.StructField(f.name, of(f.type), f.nullable) for f in schema])


class SparkEngine:
    """Spark SQL over the dataset (any master URL; ``local[*]`` by default)."""

    name = "spark"
    dialect = SPARK

    def __init__(
        self, dataset: str, scope: Scope, master: str = "local[*]", session: Any = None
    ) -> None:
        self.spark = session or spark_session(master)
        self.job_group = f"osquery-inspector-scan-{uuid.uuid4().hex}"
        self._stopped = False  # interrupted: no query starts any more
        if session is None:
            # Sized to this dataset (a session handed in keeps its caller's settings).
            parallelism = self.spark.sparkContext.defaultParallelism
            configured = int(self.spark.conf.get("spark.sql.shuffle.partitions"))
            self.spark.conf.set(
                "spark.sql.shuffle.partitions",
                str(shuffle_partitions(_input_bytes(dataset), parallelism, configured)),
            )
        finished = layout.finished_ingests(dataset)
        for table, where in (
            ("records", scope.records_filter(SPARK)),
            ("status", scope.status_filter(SPARK)),
        ):
            schema = spark_schema(layout.DATED[table].append(pa.field("date", pa.date32())))
            files = dataset_files(dataset, table, finished)
            if files == []:
                frame = self.spark.createDataFrame([], schema)
            else:
                # Partitions are found below basePath only, whatever folders hold the dataset.
                root = layout.table_dir(dataset, table)
                reader = self.spark.read.schema(schema).option("basePath", root)
                if files is None:
                    frame = reader.option("pathGlobFilter", "*.parquet").parquet(root)
                else:
                    frame = reader.parquet(*[hadoop_literal(f) for f in files])
            frame.createOrReplaceTempView(f"{table}_all")
            self.spark.sql(
                f"CREATE OR REPLACE TEMP VIEW {table} AS SELECT * FROM {table}_all WHERE {where}"
            )

    def sql(self, text: str) -> pa.Table:
        """Run ``text`` (in Spark's dialect) over the views; the answer as Arrow. Its jobs carry
        this engine's group (set on the thread that runs them), so that ``interrupt`` cancels
        this scan's jobs and no one else's on the shared session."""
        if self._stopped:
            raise Cancelled()
        self.spark.sparkContext.setJobGroup(self.job_group, "osquery-inspector fleet scan", True)
        if self._stopped:  # interrupted while the group was being set: its cancel came first
            raise Cancelled()
        return self.spark.sql(text).toArrow()

    def sql_all(
        self, texts: Sequence[str], on_done: Callable[[int], None] | None = None
    ) -> list[pa.Table]:
        """All queries at once, each its own Spark job: their tasks share the workers, so one
        query's last tasks no longer leave cores idle while the next waits."""
        with ThreadPoolExecutor(max(len(texts), 1), thread_name_prefix="spark-sql") as pool:
            futures = [pool.submit(self.sql, text) for text in texts]
            for n, _ in enumerate(as_completed(futures), start=1):
                if on_done is not None:
                    on_done(n)
            return [f.result() for f in futures]

    def interrupt(self) -> None:
        """Cancel this scan's jobs (from another thread): its queries raise, and none starts
        after it; other work on the same session goes on."""
        self._stopped = True
        self.spark.sparkContext.cancelJobGroup(self.job_group)

    def close(self) -> None:
        """The session stays (starting one costs seconds); ``stop_spark`` ends it."""


def spark_start_message(master: str) -> str | None:
    """What to tell while a Spark session starts on ``master`` — with a word on ``fleet
    prepare-spark`` when a local one starts without its class archive — or None when this
    process has a session already (it is reused, nothing starts)."""
    from inspector.fleet import class_archive

    if "pyspark.sql" in sys.modules:
        from pyspark.sql import SparkSession

        if SparkSession.getActiveSession() is not None:
            return None
    hint = ""
    if master.startswith("local") and not class_archive.ready_archive():
        hint = (
            " (run 'osquery-inspector fleet prepare-spark' once: local sessions start ~3 s sooner)"
        )
    return f"starting Spark on {master} …{hint}"


def require_pyspark() -> None:
    """``RuntimeError`` saying how to install the Spark engine when pyspark is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise RuntimeError(
            "the spark engine needs pyspark and a Java runtime: pip install "
            "'osquery-event-inspector[fleet]' (and e.g. openjdk-17-jre-headless)"
        ) from None


def open_engine(name: str, dataset: str, scope: Scope, spark_master: str | None = None) -> Engine:
    """The engine called ``name`` over ``dataset``."""
    if name == "duckdb":
        return DuckDBEngine(dataset, scope)
    if name == "spark":
        require_pyspark()
        master = spark_master or "local[*]"
        if message := spark_start_message(master):
            print(message, file=sys.stderr, flush=True)
        return SparkEngine(dataset, scope, master)
    raise ValueError(f"unknown engine {name!r} (duckdb or spark)")
