"""``osquery-inspector db``: the JSON, the side by side, Parquet with provenance, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from inspector.cli.main import main
from tests import db_layouts as L


@pytest.fixture(scope="module")
def current_db(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("current") / "osquery.db")
    L.write_current(path)
    return path


@pytest.fixture(scope="module")
def legacy_db(tmp_path_factory) -> str:
    if shutil.which("ldb") is None:
        pytest.skip("Debian's ldb (rocksdb-tools) is not installed")
    path = str(tmp_path_factory.mktemp("legacy") / "osquery.db")
    L.write_legacy(path)
    return path


def run_json(capsys, *args: str) -> dict:
    assert main(["db", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_of_one_database(capsys, current_db) -> None:
    doc = run_json(capsys, current_db)
    assert doc["database"] == current_db
    families = {f["name"]: f for f in doc["column_families"]}
    assert families["queries"]["domain"] == "events"
    assert families["queries"]["keys"] == len(L.CURRENT_EVENTS)
    assert families["queries"]["properties"]["tombstones"] == 3
    subs = {(s["publisher"], s["subscriber"]): s for s in doc["subscribers"]}
    assert subs[("inotify", "file_events")]["events"] == 10
    assert subs[("inotify", "file_events")]["newest"] == "2026-08-04T12:20:12Z"
    assert {i["family"] for i in doc["indexes"]} == {"optimize", "optimize_eid"}
    dup = {(d["publisher"], d["subscriber"]): d for d in doc["duplicated"]}
    assert (
        dup[("inotify", "file_events")]["rows"],
        dup[("inotify", "file_events")]["distinct"],
    ) == (10, 9)
    assert sum(b["events"] for b in dup[("inotify", "file_events")]["by_time"]) == 10
    assert doc["events_expiry"]["seconds"] == 3600
    assert doc["events_expiry"]["max_query_interval"] == {"file_events": 1500}
    assert "distinct_times × 96 B" in doc["ram_formulas"]["event_index_4.7+"]


def test_two_databases_side_by_side(capsys, current_db, legacy_db) -> None:
    doc = run_json(capsys, legacy_db, current_db)
    assert [d["database"] for d in doc["databases"]] == [legacy_db, current_db]
    diffs = {(d["section"], d["name"], d["metric"]): d for d in doc["differences"]}
    keys = diffs[("column_families", "queries", "keys")]
    assert keys["values"] == [len(L.LEGACY_EVENTS), len(L.CURRENT_EVENTS)]
    assert keys["change"] == len(L.CURRENT_EVENTS) - len(L.LEGACY_EVENTS)
    assert keys["status"] == "changed"
    assert diffs[("column_families", "queries", "domain")]["status"] == "same"
    # the ≤ 4.6 index keys are gone after the upgrade; process_events appeared
    gone = diffs[("indexes", "records.inotify.file_events", "entries")]
    assert gone["values"] == [6, None] and gone["status"] == "vanished"
    new = diffs[("subscribers", "auditeventpublisher.process_events", "events")]
    assert new["values"] == [None, 5] and new["status"] == "appeared"


def test_text_report_and_side_by_side(capsys, current_db) -> None:
    assert main(["db", current_db]) == 0
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("  queries ")]
    assert line.split()[:3] == ["queries", "events", str(len(L.CURRENT_EVENTS))]
    assert "inotify → file_events" in out and "NO" in out  # process_events: expiry does not keep up
    assert main(["db", current_db, current_db]) == 0
    assert "none: every figure is the same" in capsys.readouterr().out


def test_parquet_with_provenance(capsys, current_db, tmp_path) -> None:
    out = tmp_path / "anatomy.parquet"
    assert main(["db", current_db, "--out", str(out), "-q"]) == 0
    table = pq.read_table(out)
    rows = table.to_pylist()
    sections = {r["section"] for r in rows}
    assert sections == {"column_families", "subscribers", "indexes", "duplicated", "timeline"}
    family = next(r for r in rows if r["section"] == "column_families" and r["name"] == "queries")
    assert family["keys"] == len(L.CURRENT_EVENTS) and family["domain"] == "events"
    assert json.loads(family["properties"])["tombstones"] == 3
    sub = next(
        r for r in rows if r["section"] == "subscribers" and r["name"] == "inotify.file_events"
    )
    assert sub["events"] == 10
    meta = json.loads(table.schema.metadata[b"osquery_inspector"])
    (entry,) = meta["inputs"]
    assert entry["path"] == current_db and len(entry["sha256"]) == 64


def test_exit_codes(capsys, current_db, tmp_path) -> None:
    assert main(["db", str(tmp_path / "missing")]) == 2
    assert "no readable database" in capsys.readouterr().err
    # an output that cannot be written is refused before anything is read
    assert main(["db", current_db, "--out", str(tmp_path / "no" / "x.parquet")]) == 2
    err = capsys.readouterr().err
    assert "cannot write --out" in err
    assert main(["db", current_db, "--out", str(tmp_path)]) == 2
    assert main(["db", current_db, "--config", str(tmp_path / "none.conf")]) == 2
    # one unreadable database among two: the other is reported
    assert main(["db", str(tmp_path), current_db, "--json"]) == 0
    captured = capsys.readouterr()
    assert str(tmp_path) in captured.err and json.loads(captured.out)["database"] == current_db
    with pytest.raises(SystemExit) as exc:
        main(["db"])
    assert exc.value.code == 2


def test_config_and_expiry_options(capsys, current_db, tmp_path) -> None:
    conf = tmp_path / "osquery.conf"
    conf.write_text(L.config_text(600, {"process_events": 10}))
    doc = run_json(capsys, current_db, "--config", str(conf))
    subs = {s["subscriber"]: s for s in doc["subscribers"]}
    assert subs["process_events"]["expiry_seconds"] == 600
    assert doc["events_expiry"]["source"].startswith(str(conf))
    doc = run_json(capsys, current_db, "--events-expiry", "90000")
    assert {s["expiry_keeps_up"] for s in doc["subscribers"]} == {True}


def test_the_console_script_routes_db_without_qt(current_db) -> None:
    code = (
        "import sys; from ui.entry import main; code = main(sys.argv[1:]); "
        "assert 'PySide6' not in sys.modules, 'Qt loaded'; sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "db", current_db, "--json"],
        capture_output=True, text=True, timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["database"] == current_db
