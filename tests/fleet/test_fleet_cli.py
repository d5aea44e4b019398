"""The fleet command line: JSON documents, exit codes, outputs; fleet compare's roll-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from inspector.analysis.findings import FINDINGS
from inspector.cli.main import main


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "inspector.cli.main", "fleet", *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_scan_json_is_the_document_alone(fleet_dataset, tmp_path):
    out = tmp_path / "findings.parquet"
    done = run_cli("scan", fleet_dataset, "--json", "--findings", str(out), "--fail-on-findings")
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    assert doc["engine"] == "duckdb"
    assert [h["host"] for h in doc["hosts"]] == ["mac-000", "mac-001", "web-002", "web-003"]
    assert all(isinstance(h["records"], int) and h["records"] > 0 for h in doc["hosts"])
    assert sum(h["findings"] for h in doc["hosts"]) == len(doc["findings"]) > 0
    assert set(FINDINGS.names) <= set(doc["findings"][0])
    written = pq.read_table(out)
    assert written.schema.names[: len(FINDINGS)] == FINDINGS.names
    assert written.num_rows == len(doc["findings"])


def test_scan_of_healthy_hosts_exits_0(fleet_dataset):
    assert (
        main(["fleet", "scan", fleet_dataset, "--hosts", "web-*", "--fail-on-findings", "-q"]) == 0
    )


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "/nonexistent/dataset"],
        ["scan", "{ds}", "--since", "yesterday-ish"],
        ["scan", "{ds}", "--bucket", "0"],
        ["scan", "{ds}", "--findings", "/nonexistent/folder/f.parquet"],
        ["compare", "{ds}", "--before", "2026-11-02T01:00Z..2026-11-02T00:00Z", "--after", "1..2"],
        ["ingest", "/nonexistent/input", "--to", "{tmp}/ds"],
        ["bogus"],
    ],
)
def test_bad_usage_exits_2(args, fleet_dataset, tmp_path, capsys):
    argv = ["fleet", *[a.format(ds=fleet_dataset, tmp=tmp_path) for a in args]]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    assert code == 2
    assert capsys.readouterr().err


def test_ingest_report(demo_fleet, tmp_path):
    dataset = str(tmp_path / "ds")
    done = run_cli("ingest", demo_fleet[2], "--to", dataset, "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["files"] == len(doc["sources"]) > 0
    assert doc["lines"] == sum(s["lines"] for s in doc["sources"])
    again = json.loads(run_cli("ingest", demo_fleet[2], "--to", dataset, "--json").stdout)
    assert again["files"] == 0 and again["already_ingested"] == doc["files"]


def test_compare_finds_the_hosts_that_started_duplicating(fleet_dataset, tmp_path):
    out = tmp_path / "pairs.parquet"
    # the demo hour: config changes at 15, 30 and 51 minutes; a restart at 45
    done = run_cli(
        "compare", fleet_dataset, "--before", "2026-11-02T00:00Z..2026-11-02T00:14Z",
        "--after", "2026-11-02T00:32Z..2026-11-02T00:44Z", "--json", "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["engine"] == "duckdb" and doc["bucket_seconds"] == 60
    by_sub = {(s["publisher"], s["subscriber"], s["source"]): s for s in doc["subscribers"]}
    mac = by_sub[("openbsm", "process_events", "results_log")]
    assert mac["started_hosts"] == ["mac-000", "mac-001"] and mac["hosts"] == 2
    linux = by_sub[("auditeventpublisher", "process_events", "results_log")]
    assert (linux["hosts"], linux["started"], linux["unchanged"]) == (2, 0, 2)
    pairs = pq.read_table(out)
    for name in ("host", "publisher", "subscriber", "query", "rows_before", "rows_after",
                 "rate_before", "rate_after", "duplicate_factor_before",
                 "duplicate_factor_after", "bursts_before", "bursts_after", "change"):  # fmt: skip
        assert name in pairs.schema.names
    assert pairs.num_rows == len(doc["pairs"])
    assert os.path.getsize(out) > 0
