"""``osquery-inspector scan``: the human summary, the JSON contract, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.core.test_run_directory import build_run


def scan(*args: str) -> subprocess.CompletedProcess:
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "scan", *args], capture_output=True, text=True, timeout=120
    )


def test_json_document_follows_the_contract(tmp_path) -> None:
    build_run(tmp_path)
    done = scan(str(tmp_path), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert set(doc) >= {"sources", "findings"}
    assert isinstance(doc["findings"], list)
    for source in doc["sources"]:
        assert {"path", "kind", "rows", "bad_lines"} <= set(source)
    current = next(s for s in doc["sources"] if s["path"].endswith("osqueryd.results.log"))
    assert current["kind"] == "results_log"
    assert current["bad_lines"] == [{"line": 3, "reason": current["bad_lines"][0]["reason"]}]
    assert current["rows"] == 5


def test_text_summary_names_sources_hosts_queries_and_markers(tmp_path) -> None:
    build_run(tmp_path)
    done = scan(str(tmp_path), "--tz", "UTC")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for expected in (
        "results_log",
        "status_log_glog",
        "duplicate",
        "osqueryd.results.log:3:",
        "mac-01",
        "darwin",
        "pack_audit_process_events",
        "process_events ← openbsm",
        "config_change",
        "worker_restart",
        "Status lines:   2026-08-04",
    ):
        assert expected in out, expected


def test_exit_status_2_without_readable_input(tmp_path) -> None:
    done = scan(str(tmp_path / "missing"))
    assert done.returncode == 2
    assert "no readable input" in done.stderr


def test_exit_status_2_on_bad_usage() -> None:
    assert scan().returncode == 2
    assert scan("x", "--tz", "Mars/Olympus").returncode == 2
    done = scan("x", "--year", "0")
    assert done.returncode == 2 and "outside 1970" in done.stderr


def test_exit_status_2_when_nothing_loads(tmp_path) -> None:
    (tmp_path / "notes.md").write_text("# not osquery\n")
    done = scan(str(tmp_path))
    assert done.returncode == 2 and "no readable input" in done.stderr
    assert "skipped" in done.stdout


def test_scan_does_not_load_qt(tmp_path) -> None:
    build_run(tmp_path)
    code = (
        "import sys; from ui.entry import main; main(['scan', sys.argv[1], '--json']);"
        "sys.stderr.write(str([m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph'))]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True
    )
    assert done.stderr.strip().endswith("[]")


def test_a_results_line_with_an_empty_name_is_not_called_the_database_buffer(tmp_path) -> None:
    from inspector.cli.summary import _queries_section
    from inspector.views.overview import Overview

    rows = [{"host": "h1", "query": q, "subscriber": None, "publisher": None, "how": None,
             "rows": 1, "empty_runs": 0} for q in ("", None)]  # fmt: skip
    ov = Overview.__new__(Overview)
    ov.per_query = rows
    lines = _queries_section(ov)
    assert '"" (an empty name)' in lines[2] and "(osquery.db event buffer)" in lines[3]
