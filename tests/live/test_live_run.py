"""A followed agent folder: logs, a config, a live database, files that are not osquery's."""

from __future__ import annotations

import json
import os

import pyarrow.compute as pc

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.findings import find
from inspector.demo.live_agent import RotatingLog, event_line
from inspector.demo.live_database import LiveDatabase
from inspector.live.database_follower import FLUSH_NOTE
from inspector.live.live_run import LiveRun
from inspector.loading.pipeline import load
from inspector.model import LoadOptions

T0 = 1_700_000_000


def test_logs_database_and_config_followed_together(tmp_path):
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"))
    (tmp_path / "osquery.conf").write_text(
        json.dumps(
            {"schedule": {"procs": {"query": "SELECT * FROM process_events;", "interval": 60}}}
        )
    )
    (tmp_path / "osquery.flags").write_text("--disable_events=false\n")
    db = LiveDatabase(str(tmp_path / "osquery.db"))
    run = LiveRun([str(tmp_path)], LoadOptions(tz="UTC"))
    try:
        log.write([event_line(n, T0 + n).replace('"process_events"', '"procs"') for n in range(20)])
        first = run.step()
        assert any(FLUSH_NOTE in n for n in first.notes)
        assert any("osquery.flags: not followed" in n for n in first.notes)
        assert any("osquery.conf: a config" in n for n in first.notes)
        assert first.lines == 20 and run.counts.records == 20
        records = run.window.table()
        assert set(records.column("subscriber").cast("string").to_pylist()) == {"process_events"}
        for i in range(1, 4):
            db.put_event(
                "auditeventpublisher", "process_events", i, {"pid": str(i), "time": str(T0 + i)}
            )
        db.flush()
        second = run.step()
        assert second.records == 3 and run.counts.database_events == 3
        stored = run.window.table().filter(
            pc.starts_with(run.window.table().column("format").cast("string"), "database")
        )
        assert set(stored.column("host").cast("string").to_pylist()) == {"sim-host"}
        assert run.counts.lines == 20  # database events are records, not lines
        assert run.last_flush() is not None
    finally:
        run.close()
        db.close()


def test_live_findings_equal_the_scan_of_the_same_files(tmp_path):
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"))
    run = LiveRun([str(tmp_path)], LoadOptions(tz="UTC"), BurstOptions(bucket_seconds=30))
    try:
        for part in range(6):
            lines = []
            for n in range(part * 200, part * 200 + 200):
                lines.append(event_line(n, T0 + n // 4))
                if 400 <= n < 900:
                    lines.append(event_line(n, T0 + n // 4, copy=1))
            log.write_many(lines)
            if part in (2, 4):
                log.rotate()
            run.step()
        live = run.findings(now=T0 + 10**6)
        assert not any(live.column("provisional").to_pylist())
    finally:
        run.close()
    ws = load([str(tmp_path)], LoadOptions(tz="UTC"))
    scanned = find(ws, BurstOptions(bucket_seconds=30))
    keys = ["kind", "host", "publisher", "subscriber", "query", "start", "end",
            "duplicate_factor", "extra_rows", "source"]  # fmt: skip
    assert live.select(keys).to_pylist() == scanned.select(keys).to_pylist()
    assert run.counts.lines == sum(s.lines_read for s in ws.sources) == 1700
    assert sorted(os.listdir(tmp_path))[:1] == ["osqueryd.results.log"]


def test_a_file_given_twice_or_with_its_folder_is_followed_once(tmp_path, monkeypatch):
    first = tmp_path / "osqueryd.INFO.20240101-120000.7"
    first.write_text(
        "Log file created at: 2024/01/01 12:00:00\nI0101 12:00:00.000000 1 a.cpp:1] x\n"
    )
    (tmp_path / "osqueryd.INFO").symlink_to(first.name)
    monkeypatch.chdir(tmp_path)
    run = LiveRun([str(tmp_path), "osqueryd.INFO", str(first)], LoadOptions(tz="UTC"))
    try:
        run.step()
        assert list(run.logs) == [str(tmp_path / "osqueryd.INFO")]
        assert run.counts.lines == 2  # the header line counts; the link and its file are one
    finally:
        run.close()


def test_a_system_log_followed_as_it_grows(tmp_path):
    syslog = tmp_path / "messages"

    def lines(first: int, count: int) -> str:
        out = []
        for i in range(first, first + count):
            out.append(f"Jun 21 12:{i // 60:02d}:{i % 60:02d} web-1 kernel: audit: something {i}")
            out.append(
                f"Jun 21 12:{i // 60:02d}:{i % 60:02d} web-1 osqueryd[77]: I0621 12:{i // 60:02d}:"
                f"{i % 60:02d}.000000 77 scheduler.cpp:97] Executing scheduled query pack_x: SELECT 1"
            )
        return "\n".join(out) + "\n"

    syslog.write_text(lines(0, 10))
    run = LiveRun([str(syslog)], LoadOptions(tz="UTC", year=2024))
    try:
        run.step()
        assert (run.counts.lines, run.counts.status_lines) == (20, 10)
        with open(syslog, "a") as f:
            f.write(lines(10, 5))
        run.step()
        assert (run.counts.lines, run.counts.status_lines) == (30, 15)
        assert run.logs[str(syslog)].report.kind == "status_log_syslog"
    finally:
        run.close()
