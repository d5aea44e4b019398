"""Fleet scale: ``fleet scan`` on DuckDB and on Spark against a bare DuckDB query of the same
factors over the same Parquet, and ``fleet ingest`` of 10,000 small gzip objects.

Each measured run is a fresh process (peak RSS is that child's alone); its figure is the
child's own timing of the work, imports and — for Spark — the session start excluded (the
start is reported on its own).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile

from benchmarks.fleet_data import base_fleet, replicate
from benchmarks.harness import Measurement, Section, child_code, from_children, run_child
from inspector.demo.pipeline import write_pipeline

HOSTS = 40
GOAL_VS_BARE = 1.5  # product.md: fleet scan on DuckDB within 1.5× a bare DuckDB query
GOAL_SPARK = 5.0  # … Spark local[2] within 5× DuckDB after its start
GOAL_INGEST_S = 30.0  # 10,000 small gzip objects ingested in under 30 s
OBJECTS = 10_000

BARE = """\
con = duckdb.connect()
rows = con.sql('''
    SELECT host, publisher, subscriber,
           CASE WHEN starts_with(format, 'database') THEN 'database' ELSE 'results' END AS stream,
           epoch_us(coalesce(event_time, log_time)) // 60000000 AS bucket,
           count(*) AS n, count(DISTINCT content) AS distinct_rows
    FROM read_parquet('{glob}', hive_partitioning = true, hive_types = {{'date': DATE}})
    WHERE subscriber IS NOT NULL AND format <> 'database_stored'
      AND coalesce(action, '') <> 'removed' AND coalesce(event_time, log_time) IS NOT NULL
    GROUP BY ALL''').to_arrow_table().num_rows"""
# What the command line does before any command (inspector/cli/main.py): pyarrow's first look
# for pandas fails, and pandas (0.3 s) loads only when used (a DuckDB fleet scan never does).
CLI_START = "from inspector.deferred_pandas import defer_pandas\ndefer_pandas()"
SCAN = "result = fleet_scan({dataset!r}, {engine!r}{extra})\nrows = result.findings.num_rows"
SPARK_IMPORTS = (
    f"{CLI_START}\n"
    "from inspector.fleet.engines import SparkEngine, Scope, spark_session\n"
    "from inspector.fleet.scan import fleet_scan\n"
    "t_start = time.perf_counter()\nspark = spark_session('local[2]', shuffle_partitions=8)\n"
    "spark.range(1).count()\nstart_s = time.perf_counter() - t_start"
)
# The first scan after the session's start, then the same scan again (warm).
SPARK_WORK = """engine = SparkEngine({dataset!r}, Scope(), session=spark)
t1 = time.perf_counter()
first = fleet_scan({dataset!r}, 'spark', engine_instance=engine).findings.num_rows
first_s = time.perf_counter() - t1
t2 = time.perf_counter()
fleet_scan({dataset!r}, 'spark', engine_instance=engine)
warm_s = time.perf_counter() - t2
jvm_mb = None
try:  # the JVM's own high-water mark (it is the driver's child, not in the driver's RSS)
    import os, re
    pids = [spark.sparkContext._gateway.proc.pid]
    for pid in list(pids):
        with open(f'/proc/{{pid}}/task/{{pid}}/children') as f:
            pids += [int(x) for x in f.read().split()]
    for pid in pids:
        with open(f'/proc/{{pid}}/status') as f:
            hwm = re.search(r'VmHWM:\\s+(\\d+)', f.read())
        if hwm:
            jvm_mb = max(jvm_mb or 0, int(hwm.group(1)) / 1024)
except (OSError, AttributeError):
    pass
rows = {{'findings': first, 'start': start_s, 'first': first_s, 'warm': warm_s, 'jvm_mb': jvm_mb}}"""
INGEST = "result = ingest([{root!r}], {dataset!r})\nrows = result.lines"


def run(records: int, repeat: int, with_spark: bool = True) -> list[Section]:
    """Generate a fleet of ``HOSTS`` hosts with about ``records`` records; measure."""
    with tempfile.TemporaryDirectory(prefix="oqi-fleet-") as folder:
        hosts, base = base_fleet(folder, records // (HOSTS // 4))
        dataset = os.path.join(folder, "fleet")
        total = replicate(base, dataset, HOSTS // 4)
        scan = _scan_section(dataset, total, repeat, with_spark)
        root = os.path.join(folder, "firehose")
        written = write_pipeline(hosts, root, objects=OBJECTS if records >= 1_000_000 else 500)
        ingest = _ingest_section(root, written, folder, max(1, repeat - 2))
        return [scan, ingest]


def _parquet_mb(dataset: str) -> float:
    total = 0
    for root, _, files in os.walk(os.path.join(dataset, "records")):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total / 1e6


def _scan_section(dataset: str, total: int, repeat: int, with_spark: bool) -> Section:
    section = Section(
        f"fleet scan: {HOSTS} hosts, {total:,} records ({_parquet_mb(dataset):,.0f} MB Parquet)",
        "Four demo hosts (two duplicating after config changes, two healthy) ingested with "
        f"`fleet ingest`, their rows copied under new host names to {HOSTS} hosts. Baseline: a "
        "bare DuckDB query of the same factors (rows and distinct contents per host × "
        "subscriber × stream × 60 s bucket) over the same Parquet. `fleet scan` does that and "
        "the rest: eid evidence, query runs, markers, records per host, bursts and findings. "
        f"Goals: DuckDB within {GOAL_VS_BARE}× the bare query; Spark `local[2]` within "
        f"{GOAL_SPARK}× DuckDB after its start. Spark runs cold (no class archive, as on a fresh "
        "install) and with the class archive that `fleet prepare-spark` makes once, alternating.",
    )
    glob = os.path.join(dataset, "records", "*", "*.parquet")
    bare_code = child_code("import duckdb", BARE.format(glob=glob))
    scan_code = child_code(
        f"{CLI_START}\nfrom inspector.fleet.scan import fleet_scan",
        SCAN.format(dataset=dataset, engine="duckdb", extra=""),
    )
    # Alternating, so that a machine slowing down meanwhile weighs on both alike.
    pairs = [(run_child(bare_code), run_child(scan_code)) for _ in range(repeat)]
    bare = from_children("baseline: bare DuckDB factors query", [b for b, _ in pairs])
    duck = from_children("fleet scan, DuckDB", [d for _, d in pairs])
    section.measurements += [bare, duck]
    ratio = duck.median / bare.median
    section.verdicts.append(
        f"DuckDB: {ratio:.2f}× the bare query — goal ≤ {GOAL_VS_BARE}×: "
        + ("met" if ratio <= GOAL_VS_BARE else "missed")
    )
    if with_spark and importlib.util.find_spec("pyspark") and shutil.which("java"):
        for measurement, verdict in _spark_cases(dataset, duck, max(1, repeat - 1)):
            section.measurements += measurement
            section.verdicts.append(verdict)
    else:
        skipped = "skipped (quick mode, or no pyspark or Java)"
        section.measurements.append(Measurement("fleet scan, Spark", [], note=skipped))
    return section


def _spark_cases(dataset: str, duck: Measurement, runs: int) -> list[tuple[list[Measurement], str]]:
    """Spark local[2] twice over: cold (a cache without the class archive, as on a fresh
    install) and with the archive ``fleet prepare-spark`` makes (its making timed once)."""
    out = []
    with tempfile.TemporaryDirectory(prefix="oqi-spark-cache-") as caches:
        cold = os.path.join(caches, "cold")
        prepared = os.path.join(caches, "prepared")
        made = run_child(
            child_code(
                "from inspector.fleet import class_archive",
                "made = class_archive.prepare()\nrows = {'bytes': made.bytes}",
            ),
            timeout=1800,
            env={**os.environ, "XDG_CACHE_HOME": prepared},
        )
        made_bytes = (made.result.get("rows") or {}).get("bytes") if made.result else None
        prepare = from_children("`fleet prepare-spark`: making the class archive (once)", [made])
        prepare.note = f"a training session; {(made_bytes or 0) / 1e6:,.0f} MB in the user's cache"
        cases: tuple[tuple[str, str], ...] = (
            ("class archive prepared", prepared),
            ("cold: no class archive", cold),
        )
        if not made_bytes:  # no archive: a "prepared" case would run cold under the wrong name
            prepare.note = "failed: no archive; the prepared case is left out"
            cases = cases[1:]
            out.append(([prepare], "Spark with the class archive: not measured (it was not made)"))
        code = child_code(SPARK_IMPORTS, SPARK_WORK.format(dataset=dataset))
        runs_of: dict[str, list] = {label: [] for label, _ in cases}
        for _ in range(runs):  # the two cases alternate: a drifting machine weighs on both
            for label, cache in cases:
                os.makedirs(cache, exist_ok=True)
                env = {**os.environ, "XDG_CACHE_HOME": cache}
                runs_of[label].append(run_child(code, timeout=1800, env=env))
        for label, cache in cases:
            spark_runs = runs_of[label]
            done = [r.result["rows"] for r in spark_runs if isinstance(r.result.get("rows"), dict)]
            start = Measurement(
                f"Spark local[2] session start ({label})", [d["start"] for d in done]
            )
            warm = Measurement(
                f"fleet scan, Spark local[2], same scan again (warm; {label})",
                [d["warm"] for d in done],
            )
            spark = from_children(
                f"fleet scan, Spark local[2] (first scan after the start; {label})", spark_runs
            )
            spark.seconds = [d["first"] for d in done]
            jvm = max((d["jvm_mb"] or 0 for d in done), default=0)
            spark.note = (
                "session start excluded; peak RSS of the Python driver; "
                f"the JVM's own: {jvm:,.0f} MB"
            )
            sratio = spark.median / duck.median
            verdict = (
                f"Spark ({label}): {sratio:.1f}× DuckDB after its start — goal ≤ {GOAL_SPARK}×: "
                + ("met" if sratio <= GOAL_SPARK else "missed")
            )
            measurements = [start, spark, warm]
            if cache == prepared:
                measurements.insert(0, prepare)
            out.append((measurements, verdict))
    return out


def _ingest_section(root: str, written: dict, folder: str, repeat: int) -> Section:
    section = Section(
        f"fleet ingest: {written['objects']:,} small gzip objects ({written['lines']:,} lines)",
        "The four demo hosts' results and status as a log pipeline ships them: "
        "`YYYY/MM/DD/HH/` gzip objects of a few KB, hosts mixed, JSON status records, a tenth "
        f"in TLS envelopes. A fresh dataset each run. Goal: {OBJECTS:,} objects in under "
        f"{GOAL_INGEST_S:.0f} s.",
    )
    runs = []
    for k in range(repeat):
        dataset = os.path.join(folder, f"ingested-{k}")
        runs.append(run_child(child_code(f"{CLI_START}\nfrom inspector.fleet.ingest import ingest",
                                         INGEST.format(root=root, dataset=dataset))))  # fmt: skip
    m = from_children("fleet ingest, DuckDB engine", runs)
    per_file = m.median / max(written["objects"], 1) * 1000
    m.note = f"{per_file:.2f} ms per object"
    section.measurements.append(m)
    section.verdicts.append(
        f"{written['objects']:,} objects in {m.median:.1f} s — goal < {GOAL_INGEST_S:.0f} s: "
        + ("met" if m.median < GOAL_INGEST_S else "missed")
    )
    return section
