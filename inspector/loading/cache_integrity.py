"""Checks that a read-cache entry is what was written, and that a log's cached part is still
what the log holds.

- Every file of an entry carries a checksum taken when it was written; a table is checked when
  it is mapped back, and a damaged entry (a flipped byte, a truncated file, an edited
  ``entry.json``) is dropped and its input read again — never trusted, never a crash later. The
  checksum is a CRC-32 per 64 MB block, the blocks on two threads: a reopened 1 GB log pays
  about 0.2 s for it here.
- A log read up to a byte offset keeps a CRC-32 of everything up to there. Before only its new
  tail is read, the whole cached part is checked against it: an edit in the middle of a log
  that then grew is found, not served stale.
"""

from __future__ import annotations

import json
import mmap
import os
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

BLOCK = 64 << 20  # bytes per CRC: blocks are checked on two threads (zlib lets go of the GIL)
READ_BLOCK = 16 << 20
THREADS = 2


class CacheDamaged(ValueError):
    """A cache entry is not what was written (its checksum does not match)."""


def buffer_checksum(data: Any) -> str:
    """CRC-32 of each 64 MB block of a buffer, with its length, as text."""
    view = memoryview(data).cast("B")
    blocks = [view[i : i + BLOCK] for i in range(0, len(view), BLOCK)] or [view]
    if len(blocks) > 1:
        try:
            with ThreadPoolExecutor(THREADS, thread_name_prefix="cache-check") as pool:
                crcs = list(pool.map(zlib.crc32, blocks))
        except RuntimeError:
            # The interpreter is exiting (a cache write finishing after the command's work):
            # no new threads then, so one thread does every block.
            crcs = [zlib.crc32(block) for block in blocks]
    else:
        crcs = [zlib.crc32(blocks[0])]
    return f"{len(view)}:" + ",".join(f"{c:08x}" for c in crcs)


def file_checksum(path: str) -> str:
    """The checksum of a file's bytes (memory-mapped: nothing is copied)."""
    with open(path, "rb") as f:
        if not os.fstat(f.fileno()).st_size:
            return buffer_checksum(b"")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            view = memoryview(mapped)
            try:
                return buffer_checksum(view)
            finally:
                view.release()


def verify_file(path: str, expected: str | None) -> None:
    """Raise ``CacheDamaged`` unless the file's checksum is ``expected``."""
    if expected is None:
        raise CacheDamaged(f"{os.path.basename(path)}: no checksum recorded")
    if file_checksum(path) != expected:
        raise CacheDamaged(f"{os.path.basename(path)}: checksum mismatch")


def meta_checksum(meta: dict[str, Any]) -> str:
    """The checksum of an entry's metadata (its JSON with sorted keys, without this field)."""
    body = {k: v for k, v in meta.items() if k != "meta_sum"}
    return buffer_checksum(json.dumps(body, sort_keys=True, default=str).encode())


def prefix_crc(path: str, end: int, start: int = 0, value: int = 0) -> int:
    """CRC-32 of bytes ``start``…``end`` of a file, continuing from ``value`` (the CRC of the
    bytes before ``start``)."""
    with open(path, "rb") as f:
        f.seek(start)
        left = end - start
        while left > 0:
            block = f.read(min(READ_BLOCK, left))
            if not block:
                raise CacheDamaged(f"{path} is shorter than {end:,} bytes")
            value = zlib.crc32(block, value)
            left -= len(block)
    return value
