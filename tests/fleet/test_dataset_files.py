"""What a fleet scan reads of a dataset: the files of finished ingests only, wherever the
dataset is kept."""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil

import pytest

from inspector.fleet import layout
from inspector.fleet.engines import Scope
from inspector.fleet.ingest import ingest
from inspector.fleet.scan import fleet_scan, read_small
from tests.fleet.dataset_copies import doubled_copy, same_scan, unfinished_copy
from tests.osquery_lines import glog_line


def test_a_scan_beside_a_running_or_killed_ingest_reads_finished_ingests_only(
    fleet_dataset, tmp_path
):
    before = fleet_scan(fleet_dataset)
    assert before.findings.num_rows
    dataset = str(tmp_path / "ds")
    shutil.copytree(fleet_dataset, dataset)
    strays = unfinished_copy(dataset, "20991231T000000Zrunning")
    assert any("/records/" in s for s in strays) and any("/hosts/" in s for s in strays)
    same_scan(fleet_scan(dataset), before)
    assert read_small(dataset, "hosts").equals(read_small(fleet_dataset, "hosts"))
    # Its manifest, written last, makes them count: the rows now arrive twice.
    (manifest,) = glob.glob(os.path.join(dataset, "manifest", "*.parquet"))
    shutil.copy(manifest, os.path.join(dataset, "manifest", "part-20991231T000000Zrunning.parquet"))
    doubled = fleet_scan(dataset)
    assert sum(doubled.hosts.column("records").to_pylist()) == 2 * sum(
        before.hosts.column("records").to_pylist()
    )


@pytest.mark.parametrize(
    ("parent", "lookalike"),
    [
        ("date=2020-05-05", None),
        ("env=prod", None),
        ("O'Brien [fleet] *?", "O'Brien f xy"),
        ("x[1]", "x1"),
    ],
)
def test_the_folders_above_a_dataset_change_nothing(fleet_dataset, tmp_path, parent, lookalike):
    # DuckDB's hive partitioning takes every key=value folder of a path: a dataset kept under
    # date=2020-05-05 had all its rows dated 2020-05-05 (and a time range found none of them).
    # And DuckDB reads a listed name as a glob: x[1]/ds read the look-alike x1/ds beside it.
    dataset = str(tmp_path / parent / "ds")
    shutil.copytree(fleet_dataset, dataset)
    if lookalike:
        doubled_copy(fleet_dataset, str(tmp_path / lookalike / "ds"))
    same_scan(fleet_scan(dataset), fleet_scan(fleet_dataset))
    some_day = sorted(os.listdir(os.path.join(dataset, "records")))[-1].removeprefix("date=")
    since = Scope(
        since_us=int(dt.datetime.fromisoformat(some_day + "T00:00:00+00:00").timestamp() * 1e6)
    )
    same_scan(fleet_scan(dataset, scope=since), fleet_scan(fleet_dataset, scope=since))


def test_finished_files_are_listed_not_globbed(tmp_path):
    dataset = tmp_path / "a[1]"
    part = dataset / "records" / "date=2026-11-02" / "part-20260101T000000Zabc123-0-00001.parquet"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"")
    (
        dataset / "records" / "date=2026-11-02" / "part-20260101T000000Zabc123-0-00002.parquet.tmp"
    ).write_bytes(b"")
    (dataset / "records" / "notes").mkdir()
    assert layout.finished_files(str(dataset), "records") == []
    (dataset / "manifest").mkdir()
    (dataset / "manifest" / "part-20260101T000000Zabc123.parquet").write_bytes(b"")
    assert layout.finished_files(str(dataset), "records") == [str(part)]
    assert layout.finished_files(str(dataset), "status") == []


def test_a_host_with_status_lines_only_is_listed_with_no_records(fleet_dataset, tmp_path):
    dataset = str(tmp_path / "ds")
    shutil.copytree(fleet_dataset, dataset)
    quiet = tmp_path / "quiet-01"
    quiet.mkdir()
    (quiet / "osqueryd.results.log").write_text("")
    (quiet / "osqueryd.INFO").write_text(
        "\n".join(
            [
                "Log file created at: 2026/11/02 00:00:00",
                "Running on machine: quiet-01",
                glog_line("osqueryd started [version=5.12.1]", when="1102 00:00:01.000000"),
                glog_line("Found 3 pack(s) in config", when="1102 00:00:02.000000"),
            ]
        )
        + "\n"
    )
    ingest([str(quiet)], dataset)
    before = {h["host"]: h for h in fleet_scan(fleet_dataset).hosts.to_pylist()}
    after = {h["host"]: h for h in fleet_scan(dataset).hosts.to_pylist()}
    assert after == {**before, "quiet-01": {"host": "quiet-01", "records": 0, "findings": 0}}
    scoped = fleet_scan(dataset, scope=Scope(hosts=("quiet-01",)))
    assert scoped.hosts.to_pylist() == [{"host": "quiet-01", "records": 0, "findings": 0}]
