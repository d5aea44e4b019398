"""Legacy and edge shapes (osquery ≤ 2.x results, 1.x configs, TLS status records), packs named
by path, rows that tell their own subscriber, and the status log's sign of a doubled subscription."""

from __future__ import annotations

import json

import pyarrow as pa

from inspector.analysis.findings import find
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from tests.osquery_lines import calendar, dumps, event_line, glog_line

UNIX = 1462228052


def write(path, lines: list[str]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def legacy(kind: str, name: str, payload, **extra) -> str:
    """A 2.x-era line: ptree JSON, unixTime a string, empty lists written as ""."""
    obj = {kind: payload, **extra, "name": name, "hostIdentifier": "mac-01",
           "calendarTime": calendar(UNIX), "unixTime": str(UNIX)}  # fmt: skip
    return dumps(obj)


def test_empty_lists_as_empty_strings_and_snapshots_without_action(tmp_path) -> None:
    path = write(tmp_path / "osqueryd.snapshots.log", [
        legacy("snapshot", "empty_as_string", "", action="snapshot"),
        legacy("snapshot", "empty_as_list", [], action="snapshot"),
        legacy("snapshot", "no_action_1x", [{"pid": "1", "path": "/sbin/launchd"}]),
        legacy("diffResults", "added_empty", {"removed": [{"port": "22"}], "added": ""}),
        legacy("diffResults", "both_empty", {"removed": "", "added": ""}),
    ])  # fmt: skip
    ws = load([path])
    source = ws.sources[0]
    assert source.lines_rejected == 0 and source.lines_loaded == 5
    rows = {(r["query"], r["action"]) for r in ws.records.to_pylist()}
    assert rows == {("no_action_1x", "snapshot"), ("added_empty", "removed")}
    runs = ws.empty_runs.to_pylist()
    assert [(r["query"], r["format"], r["line"]) for r in runs] == [
        ("empty_as_string", "snapshot", 1), ("empty_as_list", "snapshot", 2), ("both_empty", "batch", 5),
    ]  # fmt: skip
    assert all(r["host"] == "mac-01" and r["log_time"].timestamp() == UNIX for r in runs)
    assert any('as ""' in n for n in source.notes)


def test_a_file_of_only_empty_snapshot_runs_is_loaded(tmp_path) -> None:
    import subprocess
    import sys

    path = write(tmp_path / "s.log", [legacy("snapshot", "q", "", action="snapshot")] * 3)
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run([sys.executable, "-c", code, "scan", "--json", "--no-cache", path],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    doc = json.loads(done.stdout)
    assert done.returncode == 0
    assert doc["sources"][0]["status"] == "loaded" and doc["sources"][0]["rows"] == 0
    assert doc["totals"]["empty_runs"] == 3
    assert doc["queries"] == [
        {"host": "mac-01", "query": "q", "subscriber": None, "publisher": None, "how": None,
         "rows": 0, "empty_runs": 3, "first": "2016-05-02T22:27:32Z", "last": "2016-05-02T22:27:32Z"},
    ]  # fmt: skip


def test_tls_status_without_host_identifier_takes_the_decorations_host(tmp_path) -> None:
    record = {"calendarTime": calendar(UNIX), "unixTime": UNIX, "severity": 1, "filename": "config.cpp",
              "line": 363, "message": "Scheduled query may have failed: q", "version": "5.12.1",
              "decorations": {"hostname": "web-02", "host_uuid": "ABC"}}  # fmt: skip
    by_uuid = dict(record, decorations={"host_uuid": "DEF"})
    ws = load([write(tmp_path / "status.log", [dumps(record), dumps(by_uuid)])])
    assert ws.status.column("host").to_pylist() == ["web-02", "DEF"]
    notes = ws.sources[0].notes
    assert any("decorations.hostname" in n for n in notes)
    assert any("decorations.host_uuid" in n for n in notes)


def test_1x_config_scheduled_queries(tmp_path) -> None:
    conf = {"scheduledQueries": [
        {"name": "proc_events", "query": "SELECT * FROM process_events;", "interval": 60},
        {"name": "mounts", "query": "SELECT * FROM mounts;", "interval": 3600},
    ]}  # fmt: skip
    ws = load([write(tmp_path / "osquery.conf", [json.dumps(conf)])])
    queries = {r["query"]: (r["subscriber"], r["interval"]) for r in ws.queries.to_pylist()}
    assert queries == {"proc_events": ("process_events", 60), "mounts": (None, 3600)}
    assert any("1.x" in n for n in ws.sources[0].notes)


def test_packs_by_path_link_only_the_file_at_that_path_or_in_the_configs_tree(tmp_path) -> None:
    pack = {"queries": {"procs": {"query": "SELECT * FROM process_events;", "interval": 60}}}
    other = {"queries": {"other": {"query": "SELECT * FROM users;", "interval": 60}}}
    conf = {
        "packs": {"audit": "/etc/osquery/packs/audit.conf", "gone": "/etc/osquery/packs/gone.conf"}
    }
    host = tmp_path / "bundle" / "etc" / "osquery"
    write(host / "osquery.conf", [json.dumps(conf)])
    write(host / "packs" / "audit.conf", [json.dumps(pack)])
    write(tmp_path / "elsewhere" / "audit.conf", [json.dumps(other)])  # same name, unrelated
    ws = load([str(tmp_path)])
    names = set(ws.queries.column("query").to_pylist())
    assert "pack_audit_procs" in names  # linked through the config's folder tree
    assert "pack_audit_other" in names  # the unrelated file keeps its own pack name
    linked = next(r for r in ws.queries.to_pylist() if r["query"] == "pack_audit_procs")
    assert linked["source"].endswith("bundle/etc/osquery/packs/audit.conf")
    conf_source = next(s for s in ws.sources if s.path.endswith("osquery.conf"))
    assert any("'gone'" in n and "not among the inputs" in n for n in conf_source.notes)


BPF_ROW = {
    "tid": "812", "pid": "812", "parent": "1", "uid": "0", "gid": "0", "cid": "4026531835",
    "exit_code": "0", "probe_error": "0", "syscall": "exec", "path": "/usr/bin/id", "cwd": "/",
    "cmdline": "id", "duration": "51234", "ntime": "1234567890", "time": "1785846891",
    "eid": "0000000042",
}  # fmt: skip


def test_rows_outrank_a_table_named_in_the_query_name(tmp_path) -> None:
    lines = [event_line("blacklist_process_events", BPF_ROW, host="lin-01")]
    ws = load([write(tmp_path / "r.log", lines)])
    (mapped,) = ws.mapping.to_pylist()
    assert (mapped["subscriber"], mapped["publisher"]) == (
        "bpf_process_events",
        "BPFEventPublisher",
    )
    assert "not process_events" in mapped["how"]


def test_a_query_name_still_decides_when_its_rows_fit(tmp_path) -> None:
    row = {"pid": "1", "path": "/bin/sh", "cmdline": "sh", "time": "1785846891", "uid": "0"}
    ws = load([write(tmp_path / "r.log", [event_line("pack_x_process_events", row)])])
    assert ws.mapping.column("subscriber").to_pylist() == ["process_events"]


def test_every_listed_event_table_has_its_publisher() -> None:
    from inspector.catalog.event_tables import event_tables

    want = {
        "bpf_process_events": "BPFEventPublisher", "bpf_socket_events": "BPFEventPublisher",
        "es_process_events": "endpointsecurity", "es_process_file_events": "endpointsecurity_fim",
        "windows_events": "WindowsEventLogPublisher", "powershell_events": "WindowsEventLogPublisher",
        "ntfs_journal_events": "ntfs_event_publisher", "hardware_events": None,
        "selinux_events": "auditeventpublisher", "apparmor_events": "auditeventpublisher",
        "seccomp_events": "auditeventpublisher", "process_file_events": "auditeventpublisher",
        "syslog_events": "syslog", "disk_events": "diskarbitration",
        "process_etw_events": "etw_process_publisher", "dns_lookup_events": "etw_dns_publisher",
    }  # fmt: skip
    tables = event_tables()
    for name, publisher in want.items():
        assert tables[name].publisher_for(None) == publisher, name
    assert tables["hardware_events"].publishers == {"linux": "udev", "darwin": "iokit"}
    assert set(tables["yara_events"].publishers.values()) == {
        "fsevents",
        "inotify",
        "ntfs_event_publisher",
    }


def test_a_path_subscribed_twice_in_one_configure_pass_is_a_finding(tmp_path) -> None:
    lines = [
        "Log file created at: 2026/08/04 12:00:00",
        "Running on machine: web-01",
        glog_line("osquery initialized [version=5.12.1]", when="0804 12:00:00.000000", where="init.cpp:413"),
        glog_line("Added file event listener to: /etc/%%", when="0804 12:00:01.000000", where="file_events.cpp:87"),
        glog_line("Added file event listener to: /etc/%%", when="0804 12:00:01.000100", where="file_events.cpp:87"),
        glog_line("Added YARA listener to: /tmp/%", when="0804 12:00:01.000200", where="yara_events.cpp:119"),
        # a config change re-adds each path once: normal (the subscriber removed its old ones)
        glog_line("Calling configure for logger filesystem", when="0804 12:10:00.000000", where="config.cpp:1012"),
        glog_line("Added file event listener to: /etc/%%", when="0804 12:10:00.100000", where="file_events.cpp:87"),
        glog_line("Added YARA listener to: /tmp/%", when="0804 12:10:00.200000", where="yara_events.cpp:119"),
    ]  # fmt: skip
    ws = load([write(tmp_path / "osqueryd.INFO", lines)], LoadOptions(tz="UTC"))
    findings = find(ws)
    twins = findings.filter(pa.compute.equal(findings.column("kind"), "duplicate_subscription"))
    (f,) = twins.to_pylist()
    assert (f["host"], f["subscriber"], f["duplicate_factor"], f["source"]) == (
        "web-01", "file_events", 2.0, "status_log",
    )  # fmt: skip
    assert "/etc/%%" in f["signature"] and f["marker"] == "agent_start"


def test_subscriptions_during_a_burst_stop_at_the_next_config_change(tmp_path) -> None:
    """A snapshot taken after the next change, still inside the burst's last bucket, shows the
    next level: a ×2 burst must not report subscriptions tripling."""
    from tests.osquery_lines import PROCESS_EVENT_DARWIN, snapshot_line

    t0 = 1785846000
    lines = []
    for s in range(0, 1800):
        copies = 1 if s < 600 else 2 if s < 1190 else 3
        cols = dict(PROCESS_EVENT_DARWIN, pid=str(1000 + s), time=str(t0 + s))
        lines += [event_line("pack_audit_process_events", dict(cols, eid=f"{s * 3 + c:010d}"),
                             host="mac-01", unix=t0 + s + 1) for c in range(copies)]  # fmt: skip
    levels = {300: 8, 900: 16, 1195: 24, 1500: 24}

    def subscribers(n: int) -> list[dict]:
        return [{"name": "process_events", "publisher": "openbsm", "type": "subscriber",
                 "subscriptions": str(n), "events": "0", "refreshes": "0", "active": "1"}]  # fmt: skip

    snaps = [snapshot_line("pack_monitor_osquery_events", subscribers(n), host="mac-01", unix=t0 + at)
             for at, n in levels.items()]  # fmt: skip
    status = ["Log file created at: 2026/08/04 12:20:00", "Running on machine: mac-01"] + [
        glog_line("Calling configure for logger filesystem", when=when, where="config.cpp:1012")
        for when in ("0804 12:29:59.000000", "0804 12:39:50.000000")
    ]
    ws = load([write(tmp_path / "r.log", lines), write(tmp_path / "s.log", snaps),
               write(tmp_path / "osqueryd.INFO", status)], LoadOptions(tz="UTC"))  # fmt: skip
    bursts = {
        round(f["duplicate_factor"]): f
        for f in find(ws).to_pylist()
        if f["kind"] == "duplicate_burst"
    }
    assert bursts[2]["subscriptions_before"] == 8 and bursts[2]["subscriptions_during"] == 16
    assert bursts[3]["subscriptions_during"] == 24


def test_rows_without_time_tell_no_subscriber(tmp_path) -> None:
    """``name, path, pid`` of a ``processes`` query fit dns_lookup_events' columns too: without
    the ``time`` every event row carries, the columns decide nothing."""
    row = {"name": "osqueryd", "path": "/opt/osquery/bin/osqueryd", "pid": "97830"}
    ws = load([write(tmp_path / "r.log", [event_line("processes", row)])])
    assert ws.mapping.column("subscriber").to_pylist() == [None]
