"""What identifies a file's content without reading it all, and where a cached read of a log
ends — so that an unchanged file, or one that only grew, is recognised."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any

from inspector.files.source_file import open_regular

FINGERPRINT_BYTES = 64 * 1024


@dataclass(frozen=True)
class FileState:
    """What identifies a file's content without reading all of it."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    head: str  # hash of the first 64 KB

    @classmethod
    def of(cls, path: str) -> FileState:
        st = os.stat(path)
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest(path, 0))


@dataclass(frozen=True)
class Seam:
    """Where a cached read of a plain log ends: after its last complete line."""

    offset: int  # byte just after the last newline read
    lines: int  # complete lines before it
    digest: str  # hash of the 64 KB before it

    def meta(self) -> dict[str, Any]:
        return {"complete_offset": self.offset, "complete_lines": self.lines, "seam": self.digest}


def seam_of(path: str, size: int, lines_read: int) -> Seam:
    """The seam of a read of ``path`` that took its first ``size`` bytes as ``lines_read`` lines."""
    offset, lines = last_complete_line(path, size, lines_read)
    return Seam(offset, lines, digest(path, offset))


def still_there(path: str, before: FileState, seam: Seam | None) -> bool:
    """What was read is still what the file holds: the same file (or, for a log read up to
    ``before.size``, the same file that at most grew: same beginning, same seam)."""
    try:
        now = FileState.of(path)
        if seam is None:
            return now == before
        return (
            now.inode == before.inode
            and now.size >= before.size
            and digest(path, min(before.size, FINGERPRINT_BYTES), start=0) == before.head
            and digest(path, seam.offset) == seam.digest
        )
    except OSError:
        return False


def only_grew(path: str, now: FileState, cached: dict[str, Any]) -> bool:
    """The file only grew since it was cached: what was read then is still there, unchanged."""
    was = FileState(*cached["state"])
    seam = cached.get("complete_offset")
    return (
        seam is not None
        and now.size > was.size
        and now.inode == was.inode
        and digest(path, min(was.size, FINGERPRINT_BYTES), start=0) == was.head
        and digest(path, seam) == cached["seam"]
    )


def last_complete_line(path: str, size: int, lines_read: int) -> tuple[int, int]:
    """Byte offset just after the last newline within ``size``, and the lines before it."""
    with open(path, "rb") as f:
        pos = size
        while pos > 0:
            start = max(0, pos - FINGERPRINT_BYTES)
            f.seek(start)
            block = f.read(pos - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                offset = start + cut + 1
                return offset, lines_read - (1 if offset < size else 0)
            pos = start
    return 0, 0


def digest(path: str, end: int, start: int | None = None) -> str:
    """Hash of bytes ``start``…``end`` (default: the 64 KB before ``end``; ``end`` 0: the first
    64 KB of the file)."""
    if start is None:
        start = max(0, end - FINGERPRINT_BYTES) if end else 0
    if not end:
        end = start + FINGERPRINT_BYTES
    with open_regular(path) as f:
        f.seek(start)
        data = f.read(end - start)
    return hashlib.sha256(data).hexdigest()
