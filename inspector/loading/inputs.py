"""Turning the paths a user gives into an ordered list of distinct input files.

Directories are walked recursively; a RocksDB directory (an ``osquery.db``) is one input. A
symlink and its target are one file (glog's ``osqueryd.INFO`` points at
``osqueryd.INFO.<stamp>.<pid>``): the real file is kept under its own name and the link is
reported as a duplicate. Rotated sets are put in time order: oldest
rotation first (``.N.zst`` … ``.2.zst``, ``.1``), the live file last.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from inspector.readers.rocksdb_db import looks_like_rocksdb

_ROTATED = re.compile(r"^(?P<base>.+?)\.(?P<n>\d{1,4})(?P<ext>\.(?:zst|gz|zstd|bz2))?$")
_DATED = re.compile(r"^(?P<base>.+?)-(?P<date>\d{8}(?:\d{2,6})?)(?P<ext>\.(?:zst|gz))?$")
_GLOG = re.compile(r"^(?P<base>.+?\.(?:INFO|WARNING|ERROR|FATAL))\.(?P<stamp>\d{8}-\d{6})\.\d+$")


@dataclass
class InputFile:
    """A file to read, with the path it is shown under."""

    path: str  # as given / found (shown to the user)
    real: str  # resolved path (identity)
    duplicate_of: str | None = None  # shown path of the same file, if already listed


@dataclass
class InputProblem:
    """A path that could not be used at all."""

    path: str
    reason: str


def order_key(path: str) -> tuple:
    """Sort key putting rotated sets in time order within a directory."""
    directory, name = os.path.split(path)
    if (m := _GLOG.match(name)) is not None:
        return (directory, m.group("base"), 1, m.group("stamp"))
    if (m := _ROTATED.match(name)) is not None and not name.endswith(".conf"):
        return (directory, m.group("base"), 2, -int(m.group("n")))
    if (m := _DATED.match(name)) is not None:
        return (directory, m.group("base"), 1, m.group("date"))
    return (directory, name, 3, 0)


def collect_inputs(paths: list[str]) -> tuple[list[InputFile], list[InputProblem]]:
    """Expand ``paths`` into distinct files in reading order, and the paths that failed."""
    found: list[str] = []
    problems: list[InputProblem] = []
    for given in paths:
        if not os.path.lexists(given):
            problems.append(InputProblem(given, "no such file or directory"))
        elif os.path.isdir(given) and looks_like_rocksdb(given):
            found.append(given)
        elif os.path.isdir(given):
            walked, errors = _walk(given)
            found.extend(walked)
            problems.extend(errors)
        elif os.path.isfile(given):
            found.append(given)
        elif os.path.islink(given):
            problems.append(InputProblem(given, "broken symbolic link"))
        else:
            problems.append(InputProblem(given, "not a regular file or directory"))
    return _dedupe(found), problems


def _walk(root: str) -> tuple[list[str], list[InputProblem]]:
    out: list[str] = []
    problems: list[InputProblem] = []

    def onerror(exc: OSError) -> None:
        problems.append(
            InputProblem(exc.filename or root, f"cannot list directory: {exc.strerror}")
        )

    for directory, dirs, files in os.walk(root, onerror=onerror, followlinks=False):
        # A RocksDB directory (osquery.db) is one input: its files are not read one by one.
        databases = [d for d in dirs if looks_like_rocksdb(os.path.join(directory, d))]
        out.extend(os.path.join(directory, d) for d in sorted(databases))
        dirs[:] = sorted(d for d in dirs if d not in databases)
        for name in sorted(files):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                out.append(path)
            elif os.path.islink(path):
                problems.append(InputProblem(path, "broken symbolic link"))
    return out, problems


def _dedupe(paths: list[str]) -> list[InputFile]:
    """One entry per real file; a link is marked as the duplicate of its target."""
    by_real: dict[str, InputFile] = {}
    entries: list[InputFile] = []
    # Real files first, so that the target (which carries the glog stamp) keeps its own name.
    for path in sorted(paths, key=lambda p: (os.path.islink(p), order_key(p))):
        real = os.path.realpath(path)
        if real in by_real:
            entries.append(InputFile(path, real, by_real[real].path))
            continue
        entry = InputFile(path, real)
        by_real[real] = entry
        entries.append(entry)
    entries.sort(key=lambda e: order_key(e.path))
    return entries
