"""Runs: two inputs holding the same host stay two runs — never one lane, never false duplicates.

A run is what one input root given to the load holds. Where a host appears in more than one,
its rows carry their run and every lane (factors, bursts, re-baselines, rates, the timeline, the
records filter) keeps the runs apart; a host in one run looks exactly as it did before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow as pa
import pytest

from inspector.analysis.binning import Binner
from inspector.analysis.duplicates import duplication_factors
from inspector.analysis.findings import find
from inspector.demo.writer import write_run
from inspector.loading.pipeline import load
from inspector.model import LoadOptions, Workspace
from inspector.model.runs import RUN_SEPARATOR, run_names
from inspector.views.record_filter import RecordFilter, distinct_values, filter_rows
from inspector.views.timeline_frames import build_frame, markers_table

UTC = LoadOptions(tz="UTC")
MINUTE = 60_000_000
KEYS = ("kind", "host", "publisher", "subscriber", "query", "start", "end", "duplicate_factor",
        "extra_rows", "config_change_at", "source", "signature", "marker")  # fmt: skip


def _copies(base, scenario: str) -> tuple[str, str]:
    """The same host's logs collected twice (two folders, identical content, same times)."""
    paths = []
    for name in ("before", "after"):
        write_run(str(base / name), scenario, seed=1, hours=1, size=300_000)
        paths.append(str(base / name / _host_dir(base / name)))
    return paths[0], paths[1]


def _host_dir(folder) -> str:
    return next(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))


def _rows(findings: pa.Table) -> list[tuple]:
    return sorted(tuple(str(f[k]) for k in KEYS) for f in findings.to_pylist())


@pytest.fixture(scope="module")
def doubled(tmp_path_factory):
    """openbsm-double (real bursts) written twice: (before, after, two-run load, one-run load)."""
    before, after = _copies(tmp_path_factory.mktemp("doubled"), "openbsm-double")
    return before, after, load([before, after], UTC), load([before], UTC)


def test_run_names_say_what_tells_the_roots_apart() -> None:
    assert run_names(["/cases/before/mbp-01", "/cases/after/mbp-01/"]) == ["before", "after"]
    assert run_names(["/x/day1", "/x/day2"]) == ["day1", "day2"]
    assert run_names(["/logs/mbp-01"]) == ["mbp-01"]
    assert run_names(["/a/h1", "/a/h2", "/b/h1"]) == ["a/h1", "a/h2", "b/h1"]
    assert len(set(run_names(["/a/b", "/a/b/c", "/a/b/../b"]))) == 3


def test_overlapping_copies_of_a_host_give_no_false_duplicates(tmp_path) -> None:
    before, after = _copies(tmp_path, "linux-control")
    one, two = load([before], UTC), load([before, after], UTC)
    assert two.run_names == ["before", "after"] and two.split_runs
    # Merged into one lane every row of one copy would be a duplicate of the other's (×2.0).
    assert _rows(find(two)) == _rows(find(one))
    factors = duplication_factors(two.records, 60)
    assert float(pa.compute.max(factors.column("factor")).as_py()) == pytest.approx(
        float(pa.compute.max(duplication_factors(one.records, 60).column("factor")).as_py())
    )
    assert set(factors.column("run").to_pylist()) == {"before", "after"}


def test_each_run_keeps_its_own_bursts(doubled) -> None:
    _, _, two, one = doubled
    alone = find(one)
    assert alone.num_rows  # the scenario's injected bursts
    both = find(two)
    assert set(both.column("host").to_pylist()) == set(alone.column("host").to_pylist())
    for run in ("before", "after"):
        mine = both.filter(pa.compute.equal(both.column("run"), run))
        assert _rows(mine) == _rows(alone), run
    assert both.num_rows == 2 * alone.num_rows


def test_two_runs_of_a_host_are_two_sets_of_lanes(doubled) -> None:
    _, _, two, one = doubled
    host = one.hosts.column("host")[0].as_py()
    factors = duplication_factors(two.records, 60)
    frame = build_frame(Binner(two.records), 5 * MINUTE, factors, subscriptions=two.subscriptions)
    single = build_frame(
        Binner(one.records), 5 * MINUTE, duplication_factors(one.records, 60),
        subscriptions=one.subscriptions,
    )  # fmt: skip
    hosts = {lane.host for lane in frame.lanes + frame.factor_lanes + frame.subscription_lanes}
    assert hosts == {f"{host}{RUN_SEPARATOR}before", f"{host}{RUN_SEPARATOR}after"}
    assert len(frame.lanes) == 2 * len(single.lanes)
    assert len(frame.factor_lanes) == 2 * len(single.factor_lanes)
    # Each run's lane is the single run's lane, value for value (no merged counts).
    by_key = {lane.key: lane for lane in frame.lanes}
    for lane in single.lanes:
        twin = by_key[(f"{host}{RUN_SEPARATOR}after", *lane.key[1:])]
        assert twin.values.tolist() == pytest.approx(lane.values.tolist(), nan_ok=True)
    marker_hosts = {m["host"] for m in markers_table(two.status)}
    assert marker_hosts <= hosts | {None} and len(marker_hosts - {None}) == 2


def test_records_filter_by_run(doubled) -> None:
    _, _, two, one = doubled
    values = dict(distinct_values(two.records, "run"))
    assert values == {"before": one.records.num_rows, "after": one.records.num_rows}
    rows = filter_rows(two.records, RecordFilter(runs=frozenset({"after"})))
    assert len(rows) == one.records.num_rows
    assert set(two.records.column("run").take(pa.array(rows)).to_pylist()) == {"after"}
    # One run: no run column, and "rows of hosts in one run" are all rows.
    assert distinct_values(one.records, "run") == []
    assert (
        len(filter_rows(one.records, RecordFilter(runs=frozenset({None})))) == one.records.num_rows
    )


def _unchanged(ws: Workspace) -> None:
    for table in (ws.records, ws.status, ws.subscriptions):
        assert "run" not in table.column_names
    assert not ws.split_runs
    assert find(ws).column("run").null_count == find(ws).num_rows


def test_a_single_run_looks_as_before(samples, doubled) -> None:
    _, _, _, one = doubled
    _unchanged(one)
    folders = sorted(str(p) for p in samples.iterdir() if p.is_dir())
    for folder in folders:
        _unchanged(load([folder], UTC))
    # Several inputs that share no host: several runs, but nothing told apart.
    together = load(folders, UTC)
    assert len(together.run_names) == len(folders)
    _unchanged(together)


def test_scan_json_names_each_findings_run(doubled) -> None:
    before, after, _, _ = doubled
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "scan", before, after, "--json", "--tz", "UTC"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [r["run"] for r in doc["runs"]] == ["before", "after"]
    assert {f["run"] for f in doc["findings"]} == {"before", "after"}
    host = doc["hosts"][0]["host"]
    assert {f["host"] for f in doc["findings"]} == {host}  # the host's name, unlabelled


def test_files_given_on_their_own_and_status_logs_split_nothing(doubled) -> None:
    before, after, _, _ = doubled
    # The files of one folder given one by one: one run (the folder they are in).
    names = sorted(os.listdir(before))
    files = [os.path.join(before, n) for n in names if os.path.isfile(os.path.join(before, n))]
    ws = load(files, UTC)
    assert len(ws.run_names) == 1 and not ws.split_runs
    # A status log from another folder holds no records: it splits nothing, and its markers
    # stay with the host's (single) run.
    status = os.path.join(after, "osqueryd.INFO")
    results = [f for f in files if "results" in os.path.basename(f)]
    both = load([*results, status], UTC)
    assert len(both.run_names) == 2 and not both.split_runs


def test_tied_findings_come_out_in_one_order() -> None:
    """Findings equal in extra rows and start are ordered by their lane, not by how the engine
    happened to return them (three re-baselines of one instant in a real sample did swap)."""
    import pyarrow as pa

    from inspector.analysis.findings import FINDINGS

    rows = [
        {"kind": "rebaseline", "host": "h", "query": q, "extra_rows": 0,
         "start": pa.scalar(0, pa.timestamp("us", tz="UTC")).as_py()}
        for q in ("q_c", "q_a", "q_b")
    ]  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=FINDINGS)
    from inspector.analysis import findings

    ordered = findings.order_findings(table)
    assert ordered.column("query").to_pylist() == ["q_a", "q_b", "q_c"]
