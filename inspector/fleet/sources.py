"""What ``fleet ingest`` is given: host folders, log-pipeline roots, single objects.

A folder holding a ``YYYY/MM/DD[/HH]/`` tree (Firehose, Kolide's log pipeline, any object store
export) is a log-pipeline root: every file below it is an object of JSON lines, from any number
of hosts. Any other folder is one host's folder, read as the app reads it. A file given on its
own is an object. Each input has an identity (size and modification time; for a database
folder, of its files) so that a second ingest reads only what it has not read.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

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


def identity(path: str) -> tuple[int, str]:
    """(size, identity) of a file or of a database folder (its files' sizes and times)."""
    if os.path.isdir(path):
        size, newest, names = 0, 0, 0
        for entry in os.scandir(path):
            if entry.is_file(follow_symlinks=False):
                st = entry.stat(follow_symlinks=False)
                size, newest, names = size + st.st_size, max(newest, st.st_mtime_ns), names + 1
        return size, f"dir:{names}:{size}:{newest}"
    st = os.stat(path)
    return st.st_size, f"{st.st_size}:{st.st_mtime_ns}"


def is_pipeline_root(folder: str) -> bool:
    """The folder holds a ``YYYY/MM/DD`` tree of objects."""
    for root, dirs, _ in os.walk(folder):
        rel = os.path.relpath(root, folder).replace(os.sep, "/")
        if _DATE_PATH.search(rel):
            return True
        dirs.sort()
    return False


def plan(sources: list[str]) -> Plan:
    """Sort ``sources`` into host folders and objects (pipeline roots walked to their files)."""
    out = Plan()
    for source in sources:
        if not os.path.lexists(source):
            out.problems.append((source, "no such file or directory"))
        elif os.path.isfile(source):
            out.objects.append(os.path.abspath(source))
        elif is_pipeline_root(source):
            for root, dirs, files in os.walk(source):
                dirs.sort()
                out.objects.extend(os.path.abspath(os.path.join(root, f)) for f in sorted(files))
        else:
            found, problems = collect_inputs([source])
            out.problems.extend((p.path, p.reason) for p in problems)
            files = [os.path.abspath(f.path) for f in found if f.duplicate_of is None]
            out.folders.append(HostFolder(os.path.abspath(source), files))
    return out
