"""What makes a followed file the same file whatever its name: its inode while it stays
uncompressed, its first 4 KB (decompressed) once it is a compressed copy.

Files are read through open handles (a rotation moves names underneath, never the bytes of an
open file); a compressed file is decompressed from a duplicate of its handle, so the handle can
be read again.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from typing import BinaryIO

import zstandard

from inspector.files.source_file import decompressing_reader, detect_compression

HEAD_BYTES = 4096


class RotationInProgress(Exception):
    """The files are caught between two steps of a rotation: look again shortly."""


@dataclass
class OpenedFile:
    """A file opened by name once; everything after goes through ``handle``."""

    path: str  # the name it was opened under
    handle: BinaryIO
    dev: int
    ino: int
    compression: str | None
    head: bytes  # the first (up to) 4 KB of its content, decompressed

    @property
    def identity(self) -> tuple[int, int]:
        return (self.dev, self.ino)

    def close(self) -> None:
        self.handle.close()


def open_file(path: str) -> OpenedFile | None:
    """Open ``path`` (following links) and read its head; None when it is not there (yet).

    A compressed file whose head breaks off is being written: ``RotationInProgress``."""
    try:
        handle = open(path, "rb", buffering=0)  # noqa: SIM115 - kept open on purpose
    except FileNotFoundError:
        return None
    st = os.fstat(handle.fileno())
    magic = os.pread(handle.fileno(), 4, 0)
    compression = detect_compression(magic)
    opened = OpenedFile(path, handle, st.st_dev, st.st_ino, compression, b"")
    try:
        opened.head = read_content(opened, HEAD_BYTES)
    except RotationInProgress:
        opened.close()
        raise
    return opened


def read_content(opened: OpenedFile, limit: int | None = None, strict: bool = True) -> bytes:
    """The (decompressed) content of ``opened`` from its start, at most ``limit`` bytes.

    ``strict``: a compressed stream that breaks off before ``limit`` (or its end) raises
    ``RotationInProgress`` (it may still be being written); otherwise what decoded is returned."""
    fd = opened.handle.fileno()
    if opened.compression is None:
        size = os.fstat(fd).st_size
        return os.pread(fd, size if limit is None else min(limit, size), 0)
    reader = decompressing_reader(os.fdopen(os.dup(fd), "rb"))
    out = bytearray()
    try:
        while limit is None or len(out) < limit:
            block = reader.read(1 << 20 if limit is None else limit - len(out))
            if not block:
                break
            out += block
    except (OSError, EOFError, zstandard.ZstdError, zlib.error) as exc:
        if strict:
            raise RotationInProgress(f"{opened.path}: {exc}") from None
    finally:
        reader.close()
    return bytes(out)


def same_content(a: bytes, b: bytes) -> bool:
    """Two heads of one file: both non-empty and one a prefix of the other (a head read
    while the file was shorter than 4 KB is a prefix of its later head)."""
    n = min(len(a), len(b))
    return n > 0 and a[:n] == b[:n]


@dataclass(frozen=True)
class ReadIdentity:
    """A file read to its end: how to recognise it again under another name."""

    dev: int
    ino: int
    head: bytes

    def matches(self, other: OpenedFile) -> bool:
        if self.head or other.head:
            return same_content(self.head, other.head)
        return (self.dev, self.ino) == other.identity  # two empty files: only the inode tells
