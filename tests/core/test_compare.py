"""Comparing runs: a control run against a duplicating one names the subscribers whose factor rose."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from inspector.analysis.compare import Alignment, classify, compare_runs
from inspector.demo.writer import write_run
from inspector.loading.pipeline import load
from inspector.model import LoadOptions

CLI = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    out = {}
    for name in ("linux-control", "openbsm-double"):
        truth = write_run(str(root / name), name, seed=3, hours=6, size=4_000_000)
        out[name] = (str(root / name), truth, load([str(root / name)], LoadOptions(tz="UTC")))
    return out


def _t(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_control_against_duplicating_run_names_the_doubled_subscribers(runs) -> None:
    _, _, before = runs["linux-control"]
    _, truth, after = runs["openbsm-double"]
    result = compare_runs(before, after)
    rows = result.table.to_pylist()
    rose = {r["subscriber"] for r in rows if r["change"] == "duplication"}
    doubling = {s["subscriber"] for s in truth["subscribers"] if s["doubles"]}
    assert rose == doubling == {"process_events", "socket_events"}
    for r in rows:
        if r["change"] == "duplication":
            assert r["duplicate_factor_after"] > r["duplicate_factor_before"] + 0.5
            assert r["bursts_before"] == 0 and r["bursts_after"] >= 1
            # Single host in each run: paired by subscriber whatever the host names.
            assert (r["host_before"], r["host_after"]) == ("web-demo-01", "mbp-demo-01")
    # Only the macOS run has EndpointSecurity; the shared file_events lane never doubles.
    assert {r["subscriber"] for r in rows if r["change"] == "appeared"} == {"es_process_events"}
    assert all(r["change"] != "duplication" for r in rows if r["subscriber"] == "file_events")
    # Both runs start at the same instant: duplication parts them right after the first change
    # (their rates differ from the start: two platforms, two event mixes).
    first_fault = min(_t(f["start"]) for f in truth["faults"])
    t0 = result.anchors_after["mbp-demo-01"]
    for r in rows:
        if r["change"] == "duplication" and r["source"] == "results_log":
            offset = r["duplication_divergence_offset_s"]
            # A sparse lane (a few copies a minute) needs a few buckets of evidence.
            assert (
                -60 <= (t0 + dt.timedelta(seconds=offset) - first_fault).total_seconds() <= 5 * 60
            )
    assert result.first_divergence is not None


def test_a_run_against_itself_is_the_same_everywhere(runs) -> None:
    _, _, ws = runs["openbsm-double"]
    result = compare_runs(ws, ws)
    assert set(result.table.column("change").to_pylist()) == {"same"}
    assert result.first_divergence is None


def test_alignment_on_chosen_markers(runs) -> None:
    _, _, before = runs["linux-control"]
    _, truth, after = runs["openbsm-double"]
    result = compare_runs(before, after, alignment=Alignment("config_change", "config_change"))
    changes = [m["at"] for m in truth["markers"] if m["kind"] == "config_change"]
    assert result.anchors_after["mbp-demo-01"] == _t(changes[0])
    # Aligned on the change that caused it, the duplication diverges right at time 0.
    offsets = [
        r["duplication_divergence_offset_s"] for r in result.table.to_pylist()
        if r["change"] == "duplication" and r["source"] == "results_log"
    ]  # fmt: skip
    assert min(offsets) in (0.0, 60.0) and max(offsets) <= 300
    with pytest.raises(ValueError, match="run before: host web-demo-01 has 1 config_change"):
        compare_runs(before, after, alignment=Alignment("config_change:2", "start"))


def test_several_hosts_pair_by_host(runs) -> None:
    both = load([runs["linux-control"][0], runs["openbsm-double"][0]], LoadOptions(tz="UTC"))
    only_control = runs["linux-control"][2]
    result = compare_runs(both, only_control)
    rows = result.table.to_pylist()
    # Each database is attributed to the host its neighbouring logs name.
    assert all(r["host"] in ("mbp-demo-01", "web-demo-01") for r in rows)
    # The macOS host is gone from the run after; the Linux host's lanes are unchanged.
    assert {r["change"] for r in rows if r["host"] == "mbp-demo-01"} == {"vanished"}
    assert {r["change"] for r in rows if r["host"] == "web-demo-01"} == {"same"}


@pytest.mark.parametrize(
    ("row", "word"),
    [
        (dict(rows_before=0, rows_after=5), "appeared"),
        (dict(rows_before=None, rows_after=5), "appeared"),
        (dict(rows_before=5, rows_after=None), "vanished"),
        (dict(duplicate_factor_before=1.0, duplicate_factor_after=1.3), "duplication"),
        (
            dict(duplicate_factor_before=1.0, duplicate_factor_after=1.1, bursts_after=1),
            "duplication",
        ),
        (dict(duplicate_factor_before=2.0, duplicate_factor_after=1.0), "deduplication"),
        (dict(rows_after=3000, rate_after=300.0), "rate"),
        (dict(rows_before=10, rows_after=20, rate_before=1.0, rate_after=2.0), "same"),  # noise
        ({}, "same"),
    ],
)
def test_change_words(row, word) -> None:
    base = dict(
        rows_before=1000, rows_after=1000, rate_before=100.0, rate_after=100.0,
        duplicate_factor_before=1.0, duplicate_factor_after=1.0, bursts_before=0, bursts_after=0,
    )  # fmt: skip
    assert classify({**base, **row}) == word


def test_compare_command_writes_parquet_and_json(runs, tmp_path) -> None:
    before, after = runs["linux-control"][0], runs["openbsm-double"][0]
    out = tmp_path / "compare.parquet"
    done = subprocess.run(
        [sys.executable, "-c", CLI, "compare", before, after, "--tz", "UTC", "--json", "--out", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    table = pq.read_table(out)
    assert len(doc["pairs"]) == table.num_rows == len(pd.read_parquet(out))
    assert duckdb.sql(f"SELECT count(*) FROM '{out}'").fetchall()[0][0] == table.num_rows
    assert table.schema.names[:13] == [
        "host", "publisher", "subscriber", "query", "rows_before", "rows_after", "rate_before",
        "rate_after", "duplicate_factor_before", "duplicate_factor_after", "bursts_before",
        "bursts_after", "change",
    ]  # fmt: skip
    meta = json.loads(table.schema.metadata[b"osquery_inspector"])
    assert {i["run"] for i in meta["inputs"]} == {"before", "after"}
    assert meta["parameters"]["align_before"] == "start"
    assert doc["first_divergence"]["subscriber"] in ("process_events", "socket_events")
    text = subprocess.run(
        [sys.executable, "-c", CLI, "compare", before, after, "--tz", "UTC"],
        capture_output=True, text=True, timeout=300,
    ).stdout  # fmt: skip
    rose = text.split("Duplication rose:")[1].split("Appeared")[0]
    assert "process_events" in rose and "socket_events" in rose and "file_events" not in rose


def test_compare_command_usage_errors(runs, tmp_path) -> None:
    before, after = runs["linux-control"][0], runs["openbsm-double"][0]
    empty = tmp_path / "empty"
    empty.mkdir()
    for args, message in (
        ([before, str(empty)], "nothing readable in after run"),
        ([before, after, "--align", "config_change:5"], "cannot align on number 5"),
        ([before, after, "--align", "config_change:x"], "not a marker number"),
    ):
        done = subprocess.run(
            [sys.executable, "-c", CLI, "compare", *args, "--tz", "UTC"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)


def test_rates_per_hour_do_not_depend_on_the_bucket_size(runs) -> None:
    _, _, before = runs["linux-control"]
    _, _, after = runs["openbsm-double"]
    from inspector.analysis.burst_rules import BurstOptions

    rates = []
    for width in (60, 3600, 86400):
        table = compare_runs(before, after, BurstOptions(bucket_seconds=width)).table
        rates.append({(r["subscriber"], r["source"]): r["rate_after"] for r in table.to_pylist()})
    for key, value in rates[0].items():
        assert rates[1][key] == pytest.approx(value) and rates[2][key] == pytest.approx(value)


def test_a_quiet_lane_that_stops_diverges(runs) -> None:
    import pyarrow.compute as pc

    _, _, ws = runs["linux-control"]
    records = ws.records
    cut = min(t for t in records.column("event_time").to_pylist() if t) + dt.timedelta(hours=3)
    # After the cut, process_events (a dozen rows a minute in this small run) logs nothing more.
    lane = pc.equal(records.column("query").cast("string"), "pack_audit_process_events")
    keep = pc.or_(
        pc.invert(pc.fill_null(lane, False)),
        pc.fill_null(pc.less(records.column("log_time"), cut), True),
    )
    import dataclasses

    quiet = dataclasses.replace(ws, records=records.filter(keep))
    result = compare_runs(ws, quiet)
    row = next(
        r for r in result.table.to_pylist()
        if r["query"] == "pack_audit_process_events" and r["source"] == "results_log"
    )  # fmt: skip
    assert row["divergence_offset_s"] is not None
    assert row["divergence_after"] >= cut - dt.timedelta(minutes=1)


def test_lanes_only_one_run_has_a_source_for_are_not_comparable(runs, tmp_path) -> None:
    folder = runs["linux-control"][0]
    database_only = load([f"{folder}/web-demo-01/osquery.db"], LoadOptions(tz="UTC"))
    result = compare_runs(database_only, runs["openbsm-double"][2])
    words = {(r["source"], r["change"]) for r in result.table.to_pylist()}
    assert ("results_log", "source_missing") in words
    assert ("osquery_db", "duplication") in words


def test_text_shows_signed_offsets_and_hosts(runs) -> None:
    from inspector.cli.compare import _duration, comparison_text

    assert (_duration(-5400), _duration(5400), _duration(45)) == ("-1h30m", "+1h30m", "+45s")
    both = load([runs["linux-control"][0], runs["openbsm-double"][0]], LoadOptions(tz="UTC"))
    result = compare_runs(both, runs["linux-control"][2])
    text = comparison_text(result, {"before": both, "after": runs["linux-control"][2]})
    assert "Vanished: mbp-demo-01: es_process_events" in text
