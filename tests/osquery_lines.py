"""Builders for osquery output lines, in osquery's own key order and number formatting.

Tests use these to write small, exact files (docs/osquery-formats.md sections 1 and 3).
"""

from __future__ import annotations

import datetime as dt
import json


def calendar(unix: int) -> str:
    """osquery's calendarTime: asctime in UTC with a space-padded day, plus " UTC"."""
    t = dt.datetime.fromtimestamp(unix, dt.UTC)
    return t.strftime("%a %b ") + f"{t.day:2d}" + t.strftime(" %H:%M:%S %Y UTC")


def dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def event_line(
    name: str,
    columns: dict,
    *,
    host: str = "web-01",
    unix: int = 1785846896,
    epoch: int = 0,
    counter: int = 1,
    numerics: bool = False,
    action: str = "added",
    decorations: dict | None = None,
) -> str:
    """An event-format line (``--logger_event_type=true``, the default)."""
    obj: dict = {
        "name": name,
        "hostIdentifier": host,
        "calendarTime": calendar(unix),
        "unixTime": unix,
        "epoch": epoch,
        "counter": counter,
        "numerics": numerics,
    }
    if decorations:
        obj["decorations"] = decorations
    obj["columns"] = dict(sorted(columns.items()))
    obj["action"] = action
    return dumps(obj)


def batch_line(
    name: str,
    added: list[dict],
    removed: list[dict],
    *,
    host: str = "web-01",
    unix: int = 1785846900,
    counter: int = 1,
) -> str:
    """A batch-format line (``--logger_event_type=false``): removed serialized first."""
    obj = {
        "diffResults": {"removed": removed, "added": added},
        "name": name,
        "hostIdentifier": host,
        "calendarTime": calendar(unix),
        "unixTime": unix,
        "epoch": 0,
        "counter": counter,
        "numerics": False,
    }
    return dumps(obj)


def snapshot_line(
    name: str, rows: list[dict], *, host: str = "mac-01", unix: int = 1785846900
) -> str:
    obj = {
        "snapshot": rows,
        "action": "snapshot",
        "name": name,
        "hostIdentifier": host,
        "calendarTime": calendar(unix),
        "unixTime": unix,
        "epoch": 0,
        "counter": 0,
        "numerics": False,
    }
    return dumps(obj)


def status_json(
    message: str,
    *,
    host: str = "web-01",
    unix: int = 1785847201,
    severity: int = 0,
    filename: str = "config.cpp",
    line: int = 363,
    version: str = "5.12.1",
) -> str:
    """A buffered logger's JSON status record."""
    return dumps(
        {
            "hostIdentifier": host,
            "calendarTime": calendar(unix),
            "unixTime": unix,
            "severity": severity,
            "filename": filename,
            "line": line,
            "message": message,
            "version": version,
        }
    )


def glog_line(
    message: str,
    *,
    when: str = "0804 12:34:56.012428",
    tid: int = 4250,
    where: str = "config.cpp:363",
    severity: str = "I",
) -> str:
    """A glog status line: ``I0804 12:34:56.012428  4250 config.cpp:363] message``."""
    return f"{severity}{when} {tid:>5} {where}] {message}"


GLOG_HEADER_4 = [
    "Log file created at: 2026/08/04 12:34:56",
    "Running on machine: web-01",
    "Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg",
]
GLOG_HEADER_5 = [
    "Log file created at: 2026/08/04 12:34:56",
    "Running on machine: web-01",
    "Running duration (h:mm:ss): 0:00:00",
    "Log line format: [IWEF]yyyymmdd hh:mm:ss.uuuuuu threadid file:line] msg",
]

FILE_EVENT = {
    "action": "CREATED", "atime": "1785846890", "category": "tmp", "ctime": "1785846890",
    "gid": "0", "hashed": "1", "inode": "25168335", "md5": "5b3c8cd17d19ab0b52a19a19ef220bd5",
    "mode": "0644", "mtime": "1785846890", "sha1": "4394b8e0d463068d28f2b08f8d743cc9107e158a",
    "sha256": "18ff58ab36f796124787367970320c3311f18dc775cacf204a04e93e0601d466",
    "size": "4096", "target_path": "/home/alice/a.txt", "time": "1785846891",
    "transaction_id": "0", "uid": "0",
}  # fmt: skip

PROCESS_EVENT_DARWIN = {
    "pid": "4242", "path": "/usr/bin/curl", "mode": "0755", "cmdline": "curl example.org",
    "cwd": "/Users/alice", "auid": "501", "uid": "501", "euid": "501", "gid": "20",
    "egid": "20", "owner_uid": "0", "owner_gid": "0", "atime": "1785846000",
    "mtime": "1785846000", "ctime": "1785846000", "btime": "1785846000", "parent": "4000",
    "time": "1785846891", "status": "0",
}  # fmt: skip
