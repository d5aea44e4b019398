"""fleet ingest + scan: every line accounted for, and each host's findings are its scan's."""

from __future__ import annotations

import glob
import itertools
import os
import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.findings import find
from inspector.fleet import layout
from inspector.fleet.engines import Scope
from inspector.fleet.ingest import ingest
from inspector.fleet.scan import fleet_scan, read_small, scope_of
from inspector.loading.pipeline import load


def rows_of(table: pa.Table) -> list[dict]:
    return sorted(table.to_pylist(), key=lambda r: repr(sorted(r.items())))


def test_each_hosts_findings_are_its_scan_findings(demo_fleet, fleet_dataset):
    result = fleet_scan(fleet_dataset)
    assert result.engine == "duckdb"
    duplicating = 0
    for folder in demo_fleet:
        ws = load([folder])
        host = ws.hosts.column("host")[0].as_py()
        mine = result.findings.filter(pc.equal(result.findings.column("host"), host))
        assert rows_of(mine) == rows_of(find(ws)), host
        summary = next(h for h in result.hosts.to_pylist() if h["host"] == host)
        assert summary == {"host": host, "records": ws.records.num_rows, "findings": mine.num_rows}
        duplicating += bool(mine.num_rows)
    assert duplicating == 2  # the two macOS hosts


def test_the_bucket_size_is_passed_on(demo_fleet, fleet_dataset):
    options = BurstOptions(bucket_seconds=120)
    result = fleet_scan(fleet_dataset, options=options)
    ws = load([demo_fleet[0]])
    host = ws.hosts.column("host")[0].as_py()
    mine = result.findings.filter(pc.equal(result.findings.column("host"), host))
    assert rows_of(mine) == rows_of(find(ws, options))


def test_every_line_is_accounted_for(demo_fleet, fleet_dataset):
    manifest = read_small(fleet_dataset, "manifest")
    sources = [
        s for folder in demo_fleet for s in load([folder]).sources if s.status != "duplicate"
    ]
    assert manifest.num_rows == len(sources)
    for r in manifest.to_pylist():
        assert r["lines"] == r["lines_loaded"] + r["lines_rejected"], r["path"]
    rejected = read_small(fleet_dataset, "rejected")
    assert rejected.num_rows == sum(manifest.column("lines_rejected").to_pylist()) > 0
    assert set(rejected.column("path").to_pylist()) <= set(manifest.column("path").to_pylist())


def test_layout_partitions_by_date_and_clusters_by_host(fleet_dataset):
    files = glob.glob(os.path.join(fleet_dataset, "records", "*", "*.parquet"))
    assert all(os.path.basename(os.path.dirname(f)).startswith("date=") for f in files)
    # many hosts to a file, not one file per host
    hosts_per_file = [
        len(set(pq.read_table(f, columns=["host"]).column("host").to_pylist())) for f in files
    ]
    assert max(hosts_per_file) == 4
    biggest = max(files, key=os.path.getsize)
    hosts = pq.read_table(biggest, columns=["host"]).column("host").to_pylist()
    changes = sum(1 for a, b in itertools.pairwise(hosts) if a != b)
    assert changes == len(set(hosts)) - 1  # each host's rows together
    schema = pq.read_schema(biggest)
    assert schema.field("content").type == pa.int64() and "date" not in schema.names


def test_a_second_ingest_adds_only_new_files(demo_fleet, tmp_path):
    dataset = str(tmp_path / "ds")
    folder = str(tmp_path / "host")
    shutil.copytree(demo_fleet[0], folder)
    newest = os.path.join(folder, "osqueryd.results.log")
    held_back = str(tmp_path / "later.log")
    shutil.move(newest, held_back)
    first = ingest([folder], dataset)
    again = ingest([folder], dataset)
    assert again.manifest.num_rows == 0 and again.skipped_known == first.manifest.num_rows
    shutil.move(held_back, newest)
    third = ingest([folder], dataset)
    assert third.manifest.column("path").to_pylist() == [os.path.abspath(newest)]
    # the whole folder, ingested in three runs, gives what one scan of it gives
    result = fleet_scan(dataset)
    assert rows_of(result.findings) == rows_of(find(load([folder])))
    with open(newest, "a", encoding="utf-8") as f:
        f.write("\n")
    fourth = ingest([folder], dataset)
    assert fourth.changed == [os.path.abspath(newest)] and fourth.manifest.num_rows == 0


def test_files_of_an_unfinished_ingest_are_removed(fleet_dataset, tmp_path):
    dataset = str(tmp_path / "ds")
    shutil.copytree(fleet_dataset, dataset)
    stray = os.path.join(
        dataset, "records", "date=2026-11-02", "part-20990101T000000Zdead00-0-00001.parquet"
    )
    shutil.copy(
        glob.glob(os.path.join(dataset, "records", "date=2026-11-02", "*.parquet"))[0], stray
    )
    result = ingest([], dataset)
    assert result.removed_unfinished == [stray] and not os.path.exists(stray)


def test_pipeline_objects_give_the_scan_of_the_same_objects(pipeline_root, pipeline_dataset):
    ws = load([pipeline_root])
    result = fleet_scan(pipeline_dataset)
    assert result.findings.num_rows > 0
    assert rows_of(result.findings) == rows_of(find(ws))
    manifest = {r["path"]: r for r in read_small(pipeline_dataset, "manifest").to_pylist()}
    loaded = [s for s in ws.sources if s.status == "loaded"]
    assert len(manifest) == len(ws.sources) == 150
    for s in loaded:
        r = manifest[os.path.abspath(s.path)]
        assert (r["lines"], r["lines_rejected"]) == (s.lines_read, s.lines_rejected), s.path
    # rejected lines point at their object and line, as scan's do
    rejected = read_small(pipeline_dataset, "rejected")
    got = set(
        zip(rejected.column("path").to_pylist(), rejected.column("line").to_pylist(), strict=True)
    )
    bad = ws.bad_lines
    want = {
        (os.path.abspath(p), line)
        for p, line in zip(
            bad.column("source").to_pylist(), bad.column("line").to_pylist(), strict=True
        )
    }
    assert want and want <= got
    records = pq.read_table(os.path.join(pipeline_dataset, "records"), schema=layout.RECORDS)
    assert records.num_rows == ws.records.num_rows


def test_scope_narrows_hosts_and_time(fleet_dataset):
    scope = scope_of(fleet_dataset, "mac-*", None, None)
    assert scope.hosts == ("mac-000", "mac-001")
    result = fleet_scan(fleet_dataset, scope=scope)
    assert set(result.hosts.column("host").to_pylist()) == {"mac-000", "mac-001"}
    everything = fleet_scan(fleet_dataset).factors
    t = everything.column("bucket")
    lo, hi = pc.min(t).as_py(), pc.max(t).as_py()
    mid = lo + (hi - lo) / 2
    half = fleet_scan(fleet_dataset, scope=Scope(None, int(mid.timestamp() * 1e6), None)).factors
    assert 0 < half.num_rows < everything.num_rows
    assert pc.min(half.column("bucket")).as_py() >= mid.replace(second=0, microsecond=0)


def test_cancelling_a_scan_interrupts_its_running_query(fleet_dataset):
    """Cancel stops the query under way, not only the steps between queries."""
    import threading
    import time

    from inspector.fleet.engines import DuckDBEngine, Scope
    from inspector.progress import Cancelled, Progress

    engine = DuckDBEngine(fleet_dataset, Scope())
    slow = engine.sql_all
    engine.sql_all = lambda texts, on_done=None: slow(["SELECT count(*) FROM range(1000000000000)"])
    progress = Progress()
    outcome: list[object] = []

    def scan() -> None:
        try:
            fleet_scan(fleet_dataset, progress=progress, engine_instance=engine)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=scan, daemon=True)  # never outlives the run if it fails
    thread.start()
    time.sleep(0.5)  # the query is running (it would take hours)
    progress.cancel()
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    engine.close()
    with pytest.raises(Cancelled):  # interrupted: no query starts any more
        DuckDBEngine.sql(engine, "SELECT 1")


def test_a_scan_reports_each_query_as_it_finishes(fleet_dataset):
    from inspector.progress import Progress

    seen: list[tuple[float, str]] = []
    fleet_scan(fleet_dataset, progress=Progress(lambda f, m: seen.append((f, m))))
    done = [(f, m) for f, m in seen if "queries done" in m]
    assert [m for _, m in done] == [f"{n} of 4 queries done" for n in range(1, 5)]
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_an_engine_interrupted_after_it_closed_has_nothing_to_stop(fleet_dataset):
    from inspector.fleet.engines import DuckDBEngine, Scope

    engine = DuckDBEngine(fleet_dataset, Scope())
    engine.close()
    engine.interrupt()  # a cancel that came as the scan ended: no error
