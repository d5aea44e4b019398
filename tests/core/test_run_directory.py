"""A directory as an agent leaves it: rotated and compressed results, glog with its symlink,
a snapshots log, and osquery.conf with a pack file."""

from __future__ import annotations

import gzip
import json
import os

import pyarrow.compute as pc
import zstandard

from inspector.loading.pipeline import load
from tests.osquery_lines import (
    GLOG_HEADER_5,
    PROCESS_EVENT_DARWIN,
    event_line,
    glog_line,
    snapshot_line,
)

BASE = 1785846000


def _events(start: int, count: int, *, step: int = 10) -> list[str]:
    out = []
    for i in range(count):
        t = start + i * step
        cols = dict(PROCESS_EVENT_DARWIN, pid=str(1000 + i), time=str(t))
        out.append(
            event_line("pack_audit_process_events", cols, host="mac-01", unix=t + 5, counter=i)
        )
    return out


def build_run(root) -> dict[str, str]:
    """Write the run; return the names of its files."""
    logs = root / "var/log/osquery"
    logs.mkdir(parents=True)
    oldest = _events(BASE, 5)
    older = _events(BASE + 100, 5)
    recent = _events(BASE + 200, 5)
    current = _events(BASE + 300, 5)
    current.insert(
        2, '{"name":"pack_audit_process_events","hostIdentifier":"mac-01","unixT'
    )  # torn
    (logs / "osqueryd.results.log.3.gz").write_bytes(
        gzip.compress(("\n".join(oldest) + "\n").encode())
    )
    (logs / "osqueryd.results.log.2.zst").write_bytes(
        zstandard.ZstdCompressor(level=1).compress(("\n".join(older) + "\n").encode())
    )
    (logs / "osqueryd.results.log.1").write_text("\n".join(recent) + "\n")
    (logs / "osqueryd.results.log").write_text("\n".join(current) + "\n")
    snaps = [
        snapshot_line(
            "pack_monitor_osquery_events",
            [
                {"name": "openbsm", "publisher": "openbsm", "type": "publisher", "subscriptions": str(n),
                 "events": "100", "refreshes": "0", "active": "1"},
                {"name": "process_events", "publisher": "openbsm", "type": "subscriber",
                 "subscriptions": str(n - 1), "events": "90", "refreshes": "0", "active": "1"},
            ],
            unix=BASE + 60 * k,
        )
        for k, n in enumerate((9, 18))
    ]  # fmt: skip
    (logs / "osqueryd.snapshots.log").write_text("\n".join(snaps) + "\n")
    glog_name = "osqueryd.INFO.20260804-123456.4242"
    glog = [
        *GLOG_HEADER_5,
        glog_line("osquery initialized [version=5.12.1]", when="0804 12:34:56.012428", where="init.cpp:413"),
        glog_line("Starting event publisher run loop: openbsm", when="0804 12:34:57.000001",
                  where="eventfactory.cpp:156"),
        glog_line("Calling configure for logger filesystem", when="0804 12:40:00.500000",
                  where="config.cpp:887"),
        "  a continuation of the previous message",
        glog_line("osqueryd worker (4250) stopping: Memory limits exceeded: 300000000 bytes (limit is 200MB)",
                  when="0804 13:00:00.000000", where="watcher.cpp:721", severity="W"),
    ]  # fmt: skip
    (logs / glog_name).write_text("\n".join(glog) + "\n")
    os.symlink(glog_name, logs / "osqueryd.INFO")
    etc = root / "etc/osquery"
    (etc / "packs").mkdir(parents=True)
    conf = {
        "options": {"config_refresh": 300},
        "schedule": {"osquery_events": {"query": "SELECT * FROM osquery_events;", "interval": 60}},
        "packs": {"audit": "/etc/osquery/packs/audit.conf", "monitor": {
            "queries": {"osquery_events": {"query": "select * from osquery_events", "interval": 60,
                                           "snapshot": True}}}},
    }  # fmt: skip
    (etc / "osquery.conf").write_text(
        "# osquery config\n// comments as osquery allows\n" + json.dumps(conf, indent=2)
    )
    pack = {"platform": "darwin", "queries": {"process_events": {
        "query": "SELECT pid, path, cmdline, time FROM process_events;", "interval": 10}}}  # fmt: skip
    (etc / "packs/audit.conf").write_text(json.dumps(pack, indent=2))
    return {"glog": glog_name}


def test_rotated_set_reads_in_time_order_with_bad_lines_named(tmp_path) -> None:
    build_run(tmp_path)
    ws = load([str(tmp_path)])
    results = [s for s in ws.sources if "results" in s.path]
    assert [os.path.basename(s.path) for s in results] == [
        "osqueryd.results.log.3.gz",
        "osqueryd.results.log.2.zst",
        "osqueryd.results.log.1",
        "osqueryd.results.log",
    ]
    assert [s.compression for s in results] == ["gzip", "zstd", None, None]
    assert all(s.kind == "results_log" for s in results)
    process = ws.records.filter(
        pc.equal(ws.records.column("query").cast("string"), "pack_audit_process_events")
    )
    times = process.column("event_time").to_pylist()
    assert times == sorted(times) and len(times) == 20
    (bad,) = ws.bad_lines.to_pylist()
    assert bad["source"].endswith("osqueryd.results.log") and bad["line"] == 3
    assert "truncated" in bad["reason"] or "malformed" in bad["reason"]


def test_glog_and_its_symlink_are_one_file(tmp_path) -> None:
    names = build_run(tmp_path)
    ws = load([str(tmp_path)])
    glogs = [s for s in ws.sources if "INFO" in s.path]
    assert {(os.path.basename(s.path), s.status) for s in glogs} == {
        (names["glog"], "loaded"),
        ("osqueryd.INFO", "duplicate"),
    }
    # The header is skipped; a line without glog's prefix is a row of its own, never glued on.
    assert ws.status.num_rows == 5
    rows = ws.status.to_pylist()
    assert rows[2]["message"] == "Calling configure for logger filesystem"
    assert rows[3]["format"] == "plain" and rows[3]["severity"] is None
    assert rows[3]["message"] == "  a continuation of the previous message"
    assert rows[3]["log_time"] == rows[2]["log_time"]  # timed by the glog line before it
    assert [r["marker"] for r in rows] == [
        "agent_start",
        "publisher_started",
        "config_change",
        None,
        "worker_restart",
    ]
    assert rows[4]["subject"] == "4250" and rows[4]["severity"] == "WARNING"
    assert {r["host"] for r in rows} == {"web-01"}  # from "Running on machine:"


def test_config_and_pack_map_queries_to_subscriber_and_publisher(tmp_path) -> None:
    build_run(tmp_path)
    ws = load([str(tmp_path)])
    queries = {q["query"]: q for q in ws.queries.to_pylist()}
    assert queries["pack_audit_process_events"]["subscriber"] == "process_events"
    assert queries["pack_audit_process_events"]["platform"] == "darwin"
    assert queries["pack_monitor_osquery_events"]["snapshot"] is True
    assert "osquery_events" in queries
    mapping = {m["query"]: m for m in ws.mapping.to_pylist()}
    assert mapping["pack_audit_process_events"]["subscriber"] == "process_events"
    assert mapping["pack_audit_process_events"]["publisher"] == "openbsm"
    assert mapping["pack_audit_process_events"]["how"].startswith("config")
    hosts = {h["host"]: h for h in ws.hosts.to_pylist()}
    assert hosts["mac-01"]["platform"] == "darwin"


def test_osquery_events_snapshots_become_a_subscriptions_table(tmp_path) -> None:
    build_run(tmp_path)
    ws = load([str(tmp_path)])
    subs = ws.subscriptions.to_pylist()
    publisher = [(r["name"], r["subscriptions"]) for r in subs if r["type"] == "publisher"]
    assert publisher == [("openbsm", 9), ("openbsm", 18)]
    assert all(r["query"] == "pack_monitor_osquery_events" for r in subs)


def test_glog_times_use_header_year_and_the_given_zone(tmp_path) -> None:
    build_run(tmp_path)
    from inspector.model import LoadOptions

    ws = load([str(tmp_path / "var/log/osquery")], LoadOptions(tz="Europe/Berlin"))
    first = ws.status.slice(0, 1).to_pylist()[0]
    assert first["log_time"].isoformat() == "2026-08-04T10:34:56.012428+00:00"  # CEST = UTC+2
