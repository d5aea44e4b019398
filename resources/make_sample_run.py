"""Recipe for the small sample run bundled with the app (``resources/sample-run``).

A macOS host whose openbsm subscribers (process_events, socket_events) deliver every event twice
after a config change and three times after a second one, until a watchdog restart — the
duplicate-delivery signature of osquery issue 6582 — while fsevents' file_events stays healthy.
Run ``python resources/make_sample_run.py`` to rewrite it; the output is deterministic.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "sample-run"
HOST = "mbp-alice.local"
START = 1795766400  # 2026-11-27 08:00:00 UTC
CHANGES = (START + 40 * 60, START + 80 * 60)  # two effective config changes
RESTART = START + 100 * 60  # watchdog restarts the worker: one subscription again
END = START + 120 * 60


def calendar(unix: int) -> str:
    t = dt.datetime.fromtimestamp(unix, dt.UTC)
    return t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S %Y UTC")


def line(name: str, columns: dict, unix: int, counter: int) -> str:
    obj = {
        "name": name, "hostIdentifier": HOST, "calendarTime": calendar(unix), "unixTime": unix,
        "epoch": 0, "counter": counter, "numerics": False,
        "decorations": {"host_uuid": "4AB2906D-5516-5794-AF54-86D1D7F533F3", "username": "alice"},
        "columns": dict(sorted(columns.items())), "action": "added",
    }  # fmt: skip
    return json.dumps(obj, separators=(",", ":"))


def factor(t: int) -> int:
    if t >= RESTART:
        return 1
    return 1 + sum(t >= c for c in CHANGES)


def main() -> None:
    rng = random.Random(7)
    OUT.mkdir(exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    lines: list[str] = []
    counters = {
        "pack_audit_process_events": 0,
        "pack_audit_socket_events": 0,
        "pack_fim_file_events": 0,
    }
    binaries = [
        "/usr/bin/curl",
        "/bin/zsh",
        "/usr/bin/git",
        "/usr/bin/ssh",
        "/usr/sbin/mDNSResponder",
    ]
    for run in range(START + 60, END, 60):  # every scheduled query runs each minute
        batch: list[str] = []
        for name, make in (
            ("pack_audit_process_events", lambda t: {
                "pid": str(rng.randint(300, 90000)), "path": rng.choice(binaries), "mode": "0755",
                "cmdline": "", "cwd": "/Users/alice", "auid": "501", "uid": "501", "euid": "501",
                "gid": "20", "egid": "20", "owner_uid": "0", "owner_gid": "0", "atime": str(t - 9000),
                "mtime": str(t - 9000), "ctime": str(t - 9000), "btime": str(t - 9000),
                "parent": str(rng.randint(1, 300)), "time": str(t), "status": "0"}),
            ("pack_audit_socket_events", lambda t: {
                "action": "connect", "pid": str(rng.randint(300, 90000)), "path": "/usr/bin/curl",
                "family": "2", "protocol": "6", "local_address": "192.0.2.10",
                "remote_address": f"198.51.100.{rng.randint(1, 254)}", "local_port": str(rng.randint(49152, 65535)),
                "remote_port": "443", "auid": "501", "success": "1", "time": str(t)}),
            ("pack_fim_file_events", lambda t: {
                "target_path": f"/Users/alice/Documents/report-{rng.randint(1, 40)}.txt",
                "category": "documents", "action": rng.choice(["CREATED", "UPDATED", "ATTRIBUTES_MODIFIED"]),
                "transaction_id": str(rng.randint(1, 10**6)), "inode": str(rng.randint(10**6, 10**7)),
                "uid": "501", "gid": "20", "mode": "0644", "size": str(rng.randint(10, 90000)),
                "atime": str(t), "mtime": str(t), "ctime": str(t), "md5": "", "sha1": "", "sha256": "",
                "hashed": "0", "time": str(t)}),
        ):  # fmt: skip
            events = []
            for _ in range(rng.randint(1, 6)):
                t = run - rng.randint(1, 59)
                columns = make(t)
                copies = factor(t) if "audit" in name else 1
                events.extend([columns] * copies)
            events.sort(key=lambda c: int(c["time"]))
            counters[name] += 1
            batch.extend(line(name, c, run, counters[name]) for c in events)
        lines.extend(batch)
    cut = len(lines) * 2 // 3
    (OUT / "osqueryd.results.log.1").write_text("\n".join(lines[:cut]) + "\n")
    current = "\n".join(lines[cut:]) + "\n" + lines[-1][:97]  # a torn last write
    (OUT / "osqueryd.results.log").write_text(current)

    snaps = []
    for k, t in enumerate(range(START + 300, END, 600)):
        n = factor(t)
        rows = [
            {"active": "1", "events": str(400 * k), "name": "openbsm", "publisher": "openbsm",
             "refreshes": "0", "subscriptions": str(9 * n), "type": "publisher"},
            {"active": "1", "events": str(300 * k), "name": "process_events", "publisher": "openbsm",
             "refreshes": "0", "subscriptions": str(8 * n), "type": "subscriber"},
            {"active": "1", "events": str(100 * k), "name": "socket_events", "publisher": "openbsm",
             "refreshes": "0", "subscriptions": str(n), "type": "subscriber"},
            {"active": "1", "events": str(50 * k), "name": "file_events", "publisher": "fsevents",
             "refreshes": "0", "subscriptions": "1", "type": "subscriber"},
        ]  # fmt: skip
        snaps.append(json.dumps({
            "snapshot": rows, "action": "snapshot", "name": "pack_monitor_osquery_events",
            "hostIdentifier": HOST, "calendarTime": calendar(t), "unixTime": t, "epoch": 0,
            "counter": 0, "numerics": False,
        }, separators=(",", ":")))  # fmt: skip
    (OUT / "osqueryd.snapshots.log").write_text("\n".join(snaps) + "\n")

    def glog(t: float, sev: str, where: str, msg: str, tid: int = 4250) -> str:
        d = dt.datetime.fromtimestamp(t, dt.UTC)  # the sample host runs in UTC
        return f"{sev}{d:%m%d %H:%M:%S}.{d.microsecond:06d} {tid:>5} {where}] {msg}"

    status = [
        "Log file created at: 2026/11/27 08:00:00",
        f"Running on machine: {HOST}",
        "Running duration (h:mm:ss): 0:00:00",
        "Log line format: [IWEF]yyyymmdd hh:mm:ss.uuuuuu threadid file:line] msg",
        glog(START + 0.01, "I", "init.cpp:413", "osquery initialized [version=5.12.1]", 4242),
        glog(START + 0.2, "I", "watcher.cpp:721", "osqueryd watcher (4242) executing worker (4250)", 4243),
        glog(START + 0.4, "I", "rocksdb.cpp:90", "Opening RocksDB handle: /var/osquery/osquery.db"),
        glog(START + 0.5, "I", "eventfactory.cpp:156", "Starting event publisher run loop: openbsm", 4301),
        glog(START + 0.5, "I", "eventfactory.cpp:156", "Starting event publisher run loop: fsevents", 4302),
        glog(START + 0.6, "I", "eventfactory.cpp:156",
             "Event publisher not enabled: endpointsecurity: EndpointSecurity is disabled via configuration"),
    ]  # fmt: skip
    for c in CHANGES:
        status.append(
            glog(c - 0.2, "I", "config.cpp:1012", "Calling configure for logger filesystem")
        )
    status += [
        glog(RESTART - 1, "W", "watcher.cpp:721",
             "osqueryd worker (4250) stopping: Memory limits exceeded: 402653184 bytes (limit is 200MB)", 4243),
        glog(RESTART, "I", "watcher.cpp:721", "osqueryd watcher (4242) executing worker (4777)", 4243),
        glog(RESTART + 0.3, "I", "eventfactory.cpp:156", "Starting event publisher run loop: openbsm", 4801),
        glog(RESTART + 0.3, "I", "eventfactory.cpp:156", "Starting event publisher run loop: fsevents", 4802),
    ]  # fmt: skip
    name = "osqueryd.INFO.20261127-080000.4242"
    (OUT / name).write_text("\n".join(status) + "\n")
    os.symlink(name, OUT / "osqueryd.INFO")

    conf = {
        "options": {"config_refresh": 300, "events_expiry": 3600, "disable_events": False},
        "packs": {
            "audit": {"platform": "darwin", "queries": {
                "process_events": {"query": "SELECT * FROM process_events;", "interval": 60},
                "socket_events": {"query": "SELECT * FROM socket_events;", "interval": 60}}},
            "fim": {"queries": {"file_events": {"query": "SELECT * FROM file_events;", "interval": 60}}},
            "monitor": {"queries": {"osquery_events": {
                "query": "SELECT * FROM osquery_events;", "interval": 600, "snapshot": True}}},
        },
        "file_paths": {"documents": ["/Users/%/Documents/%%"]},
    }  # fmt: skip
    (OUT / "osquery.conf").write_text(json.dumps(conf, indent=2) + "\n")


if __name__ == "__main__":
    main()
