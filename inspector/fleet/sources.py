"""What ``fleet ingest`` is given: host folders, log-pipeline roots, single objects.

A folder holding a ``YYYY/MM/DD[/HH]/`` tree (Firehose, Kolide's log pipeline, any object store
export) is a log-pipeline root: every file below it is an object of JSON lines, from any number
of hosts. Any other folder is one host's folder, read as the app reads it. A file given on its
own is an object. Each input has an identity (size and modification time; for a database
folder, of its files) so that a second ingest reads only what it has not read.

Every file is named by its resolved path and read once, however it was reached: the same source
given twice, a folder and a file inside it, a symbolic link to a folder already given, a hard
link. Reading a file twice would double its rows — the very signature the analysis looks for.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from inspector.files.file_names import NOT_UTF8, undecodable_name
from inspector.files.real_paths import RealPaths
from inspector.loading.inputs import collect_inputs

_DATE_PATH = re.compile(r"(^|/)\d{4}/\d{2}/\d{2}(/|$)")


@dataclass
class HostFolder:
    """A folder the app would open: read and assembled as one run."""

    path: str
    files: list[str] = field(default_factory=list)  # inputs as collect_inputs lists them


@dataclass
class Plan:
    """Everything found under the sources, and what could not be used."""

    folders: list[HostFolder] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    repeated: list[tuple[str, str]] = field(default_factory=list)  # (path given, read as)
    aliases: dict[str, str] = field(default_factory=dict)  # resolved path → path as reached


def identity(path: str) -> tuple[int, str]:
    """(size, identity) of a file (size, modification time, device, inode) or of a database
    folder (its files' sizes and times)."""
    if os.path.isdir(path):
        size, newest, names = 0, 0, 0
        for entry in os.scandir(path):
            if entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                size, newest, names = size + st.st_size, max(newest, st.st_mtime_ns), names + 1
        return size, f"dir:{names}:{size}:{newest}"
    st = os.stat(path)
    return st.st_size, f"{st.st_size}:{st.st_mtime_ns}:{st.st_dev}:{st.st_ino}"


def file_key(identity: str) -> str | None:
    """A file's identity without its path: size, time and inode — not the device, which a
    remounted disk may change (None for a database folder's identity, or one written before
    inodes were recorded)."""
    parts = identity.split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    return f"{parts[0]}:{parts[1]}:{parts[3]}"


def same_identity(before: str, now: str) -> bool:
    """The file is as it was read: the same size and modification time (a remounted disk's new
    device number, or an identity written before inodes were recorded, changes nothing)."""
    if before.startswith("dir:") or now.startswith("dir:"):  # a database folder: all of it
        return before == now
    return before.split(":")[:2] == now.split(":")[:2]


def same_file(before: str, now: str) -> bool:
    """The same file (inode) as before, whatever happened to it since; an identity that does not
    say is taken for the same file."""
    old, new = file_key(before), file_key(now)
    return old is None or new is None or old.split(":")[2] == new.split(":")[2]


def is_pipeline_root(folder: str) -> bool:
    """The folder holds a ``YYYY/MM/DD`` tree of objects."""
    for root, dirs, _ in os.walk(folder):
        rel = os.path.relpath(root, folder).replace(os.sep, "/")
        if _DATE_PATH.search(rel):
            return True
        dirs.sort()
    return False


class _Seen:
    """The files already planned, by resolved path and by device and inode (hard links)."""

    def __init__(self, out: Plan) -> None:
        self.out = out
        self.paths: set[str] = set()
        self.inodes: dict[tuple[int, int], str] = {}
        self.real_path = RealPaths()

    def first(self, path: str) -> str | None:
        """``path`` resolved when it is new, else None (the repeat is noted)."""
        reached = os.path.abspath(path)
        real = self.real_path(reached)
        earlier = real if real in self.paths else None
        if earlier is None:
            try:
                st = os.stat(real)
                earlier = self.inodes.get((st.st_dev, st.st_ino))
            except OSError:
                st = None  # reported when it is read
        if earlier is not None:
            self.out.repeated.append((reached, earlier))
            return None
        self.paths.add(real)
        if st is not None:
            self.inodes[(st.st_dev, st.st_ino)] = real
        if real != reached:
            self.out.aliases[real] = reached
        return real


def plan(sources: list[str]) -> Plan:
    """Sort ``sources`` into host folders and objects (pipeline roots walked to their files),
    each file once, named by its resolved path."""
    out = Plan()
    seen = _Seen(out)
    folders: set[str] = set()
    for source in sources:
        if not os.path.lexists(source):
            out.problems.append((source, "no such file or directory"))
        elif (shown := undecodable_name(source)) is not None:
            out.problems.append((shown, NOT_UTF8))
        elif os.path.isfile(os.path.join(source, "dataset.json")):
            # Its Parquet parts would each be "skipped: binary data": say what it is instead.
            out.problems.append((source, "a fleet dataset (written by fleet ingest), not logs"))
        elif os.path.isfile(source):
            if (real := seen.first(source)) is not None:
                out.objects.append(real)
        elif is_pipeline_root(source):

            def unlisted(exc: OSError, source: str = source) -> None:
                # As the app's folder walk says it: an hour folder left unread is no secret.
                where = exc.filename or source
                out.problems.append((where, f"cannot list directory: {exc.strerror or exc}"))

            for root, dirs, files in os.walk(source, onerror=unlisted):
                dirs.sort()
                for name in sorted(files):
                    path = os.path.join(root, name)
                    if (shown := undecodable_name(path)) is not None:
                        out.problems.append((shown, NOT_UTF8))
                    elif (real := seen.first(path)) is not None:
                        out.objects.append(real)
        else:
            folder = os.path.realpath(source)
            if folder in folders:
                out.repeated.append((os.path.abspath(source), folder))
                continue
            folders.add(folder)
            found, problems = collect_inputs([folder])
            out.problems.extend((p.path, p.reason) for p in problems)
            files = [r for f in found if f.duplicate_of is None and (r := seen.first(f.path))]
            reached = os.path.abspath(source)
            if reached != folder:  # reached through a link: earlier runs may know that name
                for r in files:
                    out.aliases.setdefault(r, os.path.join(reached, os.path.relpath(r, folder)))
            out.folders.append(HostFolder(folder, files))
    return out
