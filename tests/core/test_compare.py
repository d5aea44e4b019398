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
from inspector.readers.registry import LoadOptions
from inspector.workspace import load

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
    # Both runs start at the same instant: they part ways at the first config change.
    first = result.first_divergence
    first_fault = min(_t(f["start"]) for f in truth["faults"])
    assert first["subscriber"] in doubling
    assert abs((first["divergence_after"] - first_fault).total_seconds()) <= 2 * 60


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
    assert result.first_divergence["divergence_offset_s"] in (0.0, 60.0)
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
