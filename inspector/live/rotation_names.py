"""Where a followed log's earlier files are, by the naming schemes that rotate logs.

- osquery's filesystem logger and logrotate's numbered rotation: ``LOG.1``, ``LOG.2.zst`` …
  (``.gz``, ``.zstd``, ``.bz2`` too), the highest number oldest;
- logrotate's ``dateext``: ``LOG-20240131`` and ``LOG-20240131.gz``, the earliest date oldest;
- glog: ``osqueryd.INFO`` is a link to ``osqueryd.INFO.<yyyymmdd-hhmmss>.<pid>``; a roll-over
  makes a new file and moves the link, so the earlier files keep their names (stamp order).

Names only say where to look and in which order: which file is which is decided by identity
(``file_identity``), never by the name alone.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

GLOG_FILE = re.compile(
    r"^(?P<base>.+?\.(?:INFO|WARNING|ERROR|FATAL))\.(?P<stamp>\d{8}-\d{6})\.\d+$"
)
COMPRESSED_EXT = r"(?:\.(?:zst|zstd|gz|bz2))?"


@dataclass(frozen=True)
class Earlier:
    """An earlier file of a log: its path and its place (lower sorts older)."""

    path: str
    order: tuple[int, str]
    number: int | None  # the rotation number of a numbered scheme


@dataclass(frozen=True)
class RotationScheme:
    """The earlier files of the log at ``live`` (its rotations, or its glog predecessors)."""

    live: str

    @property
    def folder(self) -> str:
        return os.path.dirname(os.path.abspath(self.live)) or "."

    @property
    def base(self) -> str:
        return os.path.basename(self.live)

    @property
    def glog(self) -> bool:
        """``live`` names glog's link (``….INFO``): earlier files keep their stamped names."""
        return bool(re.search(r"\.(?:INFO|WARNING|ERROR|FATAL)$", self.base))

    def earlier(self, names: list[str]) -> list[Earlier]:
        """The earlier files among ``names`` (a listing of the folder), oldest first."""
        base = re.escape(self.base)
        numbered = re.compile(rf"^{base}\.(?P<n>\d{{1,4}}){COMPRESSED_EXT}$")
        dated = re.compile(rf"^{base}-(?P<date>\d{{8}}(?:\d{{2,6}})?){COMPRESSED_EXT}$")
        out: list[Earlier] = []
        for name in names:
            path = os.path.join(self.folder, name)
            if self.glog:
                m = GLOG_FILE.match(name)
                if m is not None and m.group("base") == self.base:
                    out.append(Earlier(path, (1, m.group("stamp") + name), None))
            elif (m := numbered.match(name)) is not None:
                n = int(m.group("n"))
                out.append(Earlier(path, (2, f"{10**6 - n:07d}"), n))
            elif (m := dated.match(name)) is not None:
                out.append(Earlier(path, (1, m.group("date") + name), None))
        return sorted(out, key=lambda e: e.order)

    def numbering_gap(self, earlier: list[Earlier]) -> bool:
        """A numbered set that does not run 1, 2, … without a hole (or holds one number
        twice, as ``.1`` and its compressed copy): a rotation between two of its renames."""
        numbers = sorted(e.number for e in earlier if e.number is not None)
        return bool(numbers) and numbers != list(range(1, len(numbers) + 1))


def rotation_base(name: str) -> str:
    """The live name a file of a rotated set belongs to (``LOG.2.zst`` → ``LOG``; a glog
    file → its ``….INFO`` link name); a name of no set is its own base."""
    if (m := GLOG_FILE.match(name)) is not None:
        return m.group("base")
    if (m := re.match(rf"^(?P<base>.+?)\.\d{{1,4}}{COMPRESSED_EXT}$", name)) is not None:
        return m.group("base")
    if (m := re.match(rf"^(?P<base>.+?)-\d{{8}}(?:\d{{2,6}})?{COMPRESSED_EXT}$", name)) is not None:
        return m.group("base")
    return name
