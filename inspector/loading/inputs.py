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
import stat
from dataclasses import dataclass

from inspector.files.file_names import NOT_UTF8, undecodable_name
from inspector.files.real_paths import RealPaths
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
    root: str = ""  # the input root (path given to the load) it was found under: its run


@dataclass
class InputProblem:
    """A path that could not be used at all."""

    path: str
    reason: str
    root: str = ""  # the input root (path given to the load) it was found under


def order_key(path: str) -> tuple[str, str, int, str | int]:
    """Sort key putting rotated sets in time order within a directory."""
    directory, name = os.path.split(path)
    if (m := _GLOG.match(name)) is not None:
        return (directory, m.group("base"), 1, m.group("stamp"))
    if (m := _ROTATED.match(name)) is not None and not name.endswith(".conf"):
        return (directory, m.group("base"), 2, -int(m.group("n")))
    if (m := _DATED.match(name)) is not None:
        return (directory, m.group("base"), 1, m.group("date"))
    return (directory, name, 3, 0)


DATABASE_FOLDER = "osquery.db"


def special_file(path: str) -> str | None:
    """What ``path`` is when it is neither a regular file nor a folder (a pipe, a device, a
    socket) — never opened: reading a named pipe can wait forever — else None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO): not read (reading it could wait forever)"
    if stat.S_ISCHR(mode):
        return "a character device, not a file: not read"
    if stat.S_ISBLK(mode):
        return "a block device, not a file: not read"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file: not read"
    return None


def database_folder_problem(path: str) -> str | None:
    """Why a folder named ``osquery.db`` holds no database (None when it is one, or another name)."""
    if os.path.basename(os.path.normpath(path)) != DATABASE_FOLDER or looks_like_rocksdb(path):
        return None
    try:
        names = os.listdir(path)
    except OSError as exc:
        return f"cannot list the folder: {exc.strerror or exc}"
    if not names:
        return "an empty folder named osquery.db: there is no RocksDB database in it"
    return (
        "a folder named osquery.db without a RocksDB database in it (no CURRENT file naming a "
        f"MANIFEST; it holds {len(names)} other entries)"
    )


def collect_inputs(paths: list[str]) -> tuple[list[InputFile], list[InputProblem]]:
    """Expand ``paths`` into distinct files in reading order, and the paths that failed."""
    found: list[str] = []
    problems: list[InputProblem] = []
    root_of: dict[str, str] = {}
    for given in paths:
        first_problem, first_found = len(problems), len(found)
        if not os.path.lexists(given):
            problems.append(InputProblem(given, "no such file or directory"))
        elif os.path.isdir(given) and looks_like_rocksdb(given):
            found.append(given)
        elif os.path.isdir(given) and (why := database_folder_problem(given)) is not None:
            problems.append(InputProblem(given, why))
        elif os.path.isdir(given):
            walked, errors = _walk(given)
            found.extend(walked)
            problems.extend(errors)
            if not walked and not errors:
                problems.append(InputProblem(given, "an empty folder: no files in it"))
        elif os.path.isfile(given):
            found.append(given)
        elif os.path.islink(given) and not os.path.exists(given):
            problems.append(InputProblem(given, "broken symbolic link"))
        else:
            why = special_file(given) or "not a regular file or directory"
            problems.append(InputProblem(given, why))
        for p in problems[first_problem:]:
            p.root = given
        for path in found[first_found:]:
            root_of.setdefault(path, given)  # a file under two roots is read once: the first's
    readable_names = []
    for path in found:
        if (shown := undecodable_name(path)) is not None:
            problems.append(InputProblem(shown, NOT_UTF8, root_of.get(path, "")))
        else:
            readable_names.append(path)
    files = _dedupe(readable_names)
    for f in files:
        f.root = root_of.get(f.path, f.path)
    return files, problems


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
        for d in dirs:
            if (why := database_folder_problem(os.path.join(directory, d))) is not None:
                problems.append(InputProblem(os.path.join(directory, d), why))
                databases.append(d)  # not walked: its files are no logs
        dirs[:] = sorted(d for d in dirs if d not in databases)
        for name in sorted(files):
            path = os.path.join(directory, name)
            if os.path.isfile(path):
                out.append(path)
            elif os.path.islink(path) and not os.path.exists(path):
                problems.append(InputProblem(path, "broken symbolic link"))
            elif (why := special_file(path)) is not None:
                problems.append(InputProblem(path, why))
    return out, problems


def _dedupe(paths: list[str]) -> list[InputFile]:
    """One entry per real file; a link is marked as the duplicate of its target."""
    by_real: dict[str, InputFile] = {}
    entries: list[InputFile] = []
    real_path = RealPaths()
    # Real files first, so that the target (which carries the glog stamp) keeps its own name.
    for path in sorted(paths, key=lambda p: (os.path.islink(p), order_key(p))):
        real = real_path(path)
        if real in by_real:
            entries.append(InputFile(path, real, by_real[real].path))
            continue
        entry = InputFile(path, real)
        by_real[real] = entry
        entries.append(entry)
    entries.sort(key=lambda e: order_key(e.path))
    return entries
