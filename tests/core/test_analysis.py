"""Analysis on the demo runs: rates are complete, bursts match truth.json and nothing else."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from inspector.analysis.duplicates import duplication_factors
from inspector.analysis.findings import find
from inspector.analysis.rates import event_rates
from inspector.demo.scenarios import SCENARIOS
from inspector.demo.writer import write_run
from inspector.loading.pipeline import load
from inspector.model import LoadOptions

BUCKET = 60


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"analysis-{request.param}")
    truth = write_run(str(out), request.param, seed=11, hours=6, size=4_000_000)
    ws = load([str(out)], LoadOptions(tz="UTC"))
    return truth, ws


def _t(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_rates_cover_every_row_and_fill_gaps(run) -> None:
    _, ws = run
    rates = event_rates(ws.records, BUCKET)
    con = duckdb.connect()
    con.register("r", ws.records)
    con.register("rates", rates)
    counted = con.sql("SELECT sum(rows) FROM rates").fetchall()[0][0]
    expected = con.sql(
        "SELECT count(*) FROM r WHERE CAST(format AS VARCHAR) <> 'database_stored' "
        "AND coalesce(event_time, log_time) IS NOT NULL"
    ).fetchall()[0][0]
    assert counted == expected
    # Every lane is a gapless run of buckets (zeros included).
    gaps = con.sql(
        """SELECT count(*) FROM (
               SELECT bucket - lag(bucket) OVER (PARTITION BY host, publisher, subscriber, query, stream
                                                ORDER BY bucket) AS step FROM rates)
           WHERE step IS NOT NULL AND step <> INTERVAL 60 SECOND"""
    ).fetchall()[0][0]
    assert gaps == 0


def _assert_findings_match(truth: dict, findings: list[dict]) -> None:
    """Each fault found once (host, subscriber, source, start/end ±2 buckets, factor ±0.2, marker),
    and no other duplicate burst."""
    bursts = [f for f in findings if f["kind"] == "duplicate_burst"]
    faults = truth["faults"]
    assert len(bursts) == len(faults), [(b["source"], b["subscriber"], b["start"]) for b in bursts]
    for fault in faults:
        match = [
            b for b in bursts
            if b["subscriber"] == fault["subscriber"] and b["source"] == fault["source"]
            and abs((b["start"] - _t(fault["start"])).total_seconds()) <= 2 * BUCKET
            and abs((b["end"] - _t(fault["end"])).total_seconds()) <= 2 * BUCKET
        ]  # fmt: skip
        assert len(match) == 1, fault
        (burst,) = match
        assert abs(burst["duplicate_factor"] - fault["factor"]) <= 0.2
        assert burst["publisher"] == fault["publisher"] and burst["host"] == fault["host"]
        assert burst["signature"] == fault["signature"]
        assert burst["open_start"] == fault["open_start"]
        assert burst["marker"] == fault["marker"]["kind"]
        assert abs((burst["config_change_at"] - _t(fault["marker"]["at"])).total_seconds()) < 1


def test_findings_match_the_truth_and_nothing_else(run) -> None:
    truth, ws = run
    _assert_findings_match(truth, find(ws).to_pylist())


def test_a_fault_older_than_the_database_buffer_is_found_open_started(tmp_path) -> None:
    # 3 hours: the buffer (last hour) begins inside the factor-3 stretch before the restart.
    truth = write_run(str(tmp_path), "openbsm-double", seed=5, hours=3, size=3_000_000)
    assert any(f["open_start"] for f in truth["faults"])
    ws = load([str(tmp_path)], LoadOptions(tz="UTC"))
    _assert_findings_match(truth, find(ws).to_pylist())


def test_osquery_events_corroborates_doubled_subscriptions(run) -> None:
    truth, ws = run
    subscriptions = {s["subscriber"]: s for s in truth["subscribers"]}
    bursts = [f for f in find(ws).to_pylist() if f["kind"] == "duplicate_burst"]
    assert len(bursts) == len(truth["faults"])  # none on the control and rebaseline runs
    for f in bursts:
        # The snapshot before the config change shows the lower count, one during it the raised one.
        assert f["subscriptions_before"] is not None and f["subscriptions_during"] is not None, f
        ratio = f["subscriptions_during"] / f["subscriptions_before"]
        assert ratio > 1 and subscriptions[f["subscriber"]]["doubles"]


def test_duplication_factors_count_database_rows_apart_from_the_log(run) -> None:
    truth, ws = run
    factors = duplication_factors(ws.records, BUCKET)
    streams = set(factors.column("stream").to_pylist())
    assert streams <= {"results", "database"} and ("database" in streams) == bool(
        truth["database"]["buffered_events"]
    )


def test_rebaselines_are_findings_not_duplicates(run) -> None:
    truth, ws = run
    findings = find(ws).to_pylist()
    rebaselines = [f for f in findings if f["kind"] == "rebaseline"]
    assert sorted((f["query"], f["start"]) for f in rebaselines) == sorted(
        (r["query"], _t(r["at"])) for r in truth["rebaselines"]
    )
    for f in rebaselines:
        assert f["duplicate_factor"] is None and f["marker"] == "query_updated"
    assert len([f for f in findings if f["kind"] == "duplicate_burst"]) == len(truth["faults"])


def test_scan_findings_parquet_and_exit_status(run, tmp_path) -> None:
    truth, ws = run
    folder = (
        os.path.dirname(ws.sources[0].path)
        if not os.path.isdir(ws.sources[0].path)
        else ws.sources[0].path
    )
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    out = tmp_path / "findings.parquet"
    records = tmp_path / "records.parquet"
    done = subprocess.run(
        [sys.executable, "-c", code, "scan", folder, "--tz", "UTC", "--fail-on-findings", "--findings", str(out),
         "--json", "--records", str(records)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    expected = 1 if truth["faults"] or truth["rebaselines"] else 0
    assert done.returncode == expected, done.stderr
    doc = json.loads(done.stdout)
    table = pq.read_table(out)
    assert len(doc["findings"]) == table.num_rows == len(pd.read_parquet(out))
    assert duckdb.sql(f"SELECT count(*) FROM '{out}'").fetchall()[0][0] == table.num_rows
    assert table.schema.names[:11] == [
        "kind", "host", "publisher", "subscriber", "query", "start", "end", "duplicate_factor",
        "extra_rows", "config_change_at", "source",
    ]  # fmt: skip
    meta = json.loads(table.schema.metadata[b"osquery_inspector"])
    assert meta["parameters"]["bucket_seconds"] == 60 and meta["app_version"]
    # Records as loaded, with the content hash and the duplicate-group id of every copy.
    rows = pq.read_table(records, columns=["content", "duplicate_group"])
    assert rows.num_rows == ws.records.num_rows and rows.column("content").null_count == 0
    copies = sum(f["rows"] for f in truth["faults"])  # results log and database buffer
    grouped = rows.num_rows - rows.column("duplicate_group").null_count
    assert grouped >= copies  # every duplicated row is in a group …
    twins = sum(s["legitimate_twins"] for s in truth["subscribers"])
    # … and little else is: a legitimate twin pair is in the log and maybe again in the buffer.
    assert grouped <= copies + 4 * twins + 2 * len(truth["faults"])
    assert all("sha256" in i for i in meta["inputs"] if i["status"] == "loaded")


def test_rate_lanes_show_a_silent_host_as_a_gap_and_a_quiet_lane_as_zero() -> None:
    import numpy as np

    from inspector.views.timeline_frames import Lane, with_gaps

    busy = Lane(("h", "p", "a", None, "results"), "a", np.array([0.0, 60, 120, 1200, 1260]),
                np.array([5.0, 6, 7, 8, 9]))  # fmt: skip
    quiet = Lane(("h", "p", "b", None, "results"), "b", np.array([0.0, 1260]), np.array([1.0, 2]))
    got = {lane.label: lane for lane in with_gaps([busy, quiet], 60.0)}
    a, b = got["a"], got["b"]
    assert list(a.starts[:3]) == [0.0, 60.0, 120.0] and len(a.starts) == 22
    assert np.isnan(a.values[3:20]).all()  # 17 silent minutes of the whole host: a gap
    assert b.values[1] == 0.0 and b.values[2] == 0.0  # the host was logging: a real zero
    assert np.isnan(b.values[5]) and b.values[-1] == 2.0


def test_a_stream_that_starts_later_has_a_gap_before_its_first_row() -> None:
    import numpy as np

    from inspector.views.timeline_frames import Lane, with_gaps

    logged = Lane(("h", "p", "a", None, "results"), "a", np.arange(0.0, 600, 60), np.ones(10))
    buffered = Lane(("h", "p", "a", None, "database"), "db", np.array([480.0, 540]), np.ones(2))
    got = {lane.label: lane for lane in with_gaps([logged, buffered], 60.0)}
    assert np.isnan(got["db"].values[:8]).all() and list(got["db"].values[8:]) == [1.0, 1.0]
    assert not np.isnan(got["a"].values).any()
