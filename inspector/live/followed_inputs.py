"""What to follow under the paths a user gives: logs (a live name and its rotations), databases,
and configs — found again whenever a folder changes, so files that appear later are followed
from their first byte (and an empty folder is simply waited on).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from inspector.live.rotation_names import GLOG_FILE, rotation_base
from inspector.readers.rocksdb_db import looks_like_rocksdb

# Names in an agent's folder that are never logs to follow: RocksDB's, editors', pid files.
IGNORED_SUFFIXES = (".pid", ".swp", ".tmp", "~", ".lock")


class UsageError(Exception):
    """A path that cannot be followed at all (it does not exist)."""


@dataclass
class FollowedInputs:
    """Logs by their live path, databases, and where to watch for changes."""

    logs: list[str] = field(default_factory=list)  # live paths (a glog ….INFO link name)
    databases: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # watched recursively
    files: list[str] = field(default_factory=list)  # given files: their folder is watched


def check_paths(paths: list[str]) -> None:
    """Every path exists (a folder may be empty: it is waited on)."""
    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(f"{path}: no such file or directory")


def followed_inputs(paths: list[str]) -> FollowedInputs:
    """The logs and databases under ``paths`` now (called again when a folder changes)."""
    out = FollowedInputs()
    logs: dict[str, None] = {}
    # One spelling per file ("x" and "/here/x" are one log): absolute paths, links kept as links.
    for path in dict.fromkeys(os.path.abspath(p) for p in paths):
        if os.path.isdir(path) and looks_like_rocksdb(path):
            out.databases.append(path)
        elif os.path.isdir(path):
            out.folders.append(path)
            found, databases = _walk(path)
            logs.update(dict.fromkeys(found))
            out.databases.extend(databases)
        else:
            out.files.append(path)
            logs[_live_name(path)] = None
    out.logs = list(logs)
    out.databases = list(dict.fromkeys(out.databases))
    return out


def _live_name(path: str) -> str:
    """The live name of the log a file belongs to (``LOG.2.zst`` → ``LOG``)."""
    folder, name = os.path.split(path)
    if os.path.islink(path) or (GLOG_FILE.match(name) is None and rotation_base(name) == name):
        return path
    return os.path.join(folder, rotation_base(name))


def _walk(root: str) -> tuple[list[str], list[str]]:
    logs: list[str] = []
    databases: list[str] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        found = [d for d in dirs if looks_like_rocksdb(os.path.join(folder, d))]
        databases.extend(os.path.join(folder, d) for d in sorted(found))
        dirs[:] = sorted(d for d in dirs if d not in found)
        bases: dict[str, None] = {}
        for name in sorted(files):
            if name.endswith(IGNORED_SUFFIXES) or name.startswith("."):
                continue
            bases[rotation_base(name)] = None
        logs.extend(os.path.join(folder, b) for b in bases)
    return logs, databases
