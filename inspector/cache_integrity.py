"""Checks that a read-cache entry is what was written, and that a log's cached part is still
what the log holds.

- Every file of an entry carries a checksum taken when it was written; a table is checked when
  it is mapped back, and a damaged entry (a flipped byte, a truncated file, an edited
  ``entry.json``) is dropped and its input read again — never trusted, never a crash later. The
  checksum is a sum of 64-bit words, weighted by position per megabyte (numpy, about ten times
  faster than CRC-32 here: a reopened 1 GB log pays ~0.1 s for it).
- A log read up to a byte offset keeps a CRC-32 of everything up to there. Before only its new
  tail is read, the whole cached part is checked against it: an edit in the middle of a log
  that then grew is found, not served stale.
"""

from __future__ import annotations

import json
import mmap
import os
import zlib
from typing import Any

import numpy as np

SLICE_WORDS = 1 << 17  # 1 MB of 64-bit words
READ_BLOCK = 16 << 20


class CacheDamaged(ValueError):
    """A cache entry is not what was written (its checksum does not match)."""


def buffer_checksum(data: Any) -> str:
    """The checksum of a buffer (see the module docstring), as hex."""
    view = memoryview(data).cast("B")
    words = len(view) // 8
    arr = np.frombuffer(view[: words * 8], dtype=np.uint64)
    total = np.uint64(len(view))
    with np.errstate(over="ignore"):
        for k, start in enumerate(range(0, words, SLICE_WORDS)):
            part = arr[start : start + SLICE_WORDS].sum(dtype=np.uint64)
            total += part * np.uint64(2 * k + 3)
        tail = bytes(view[words * 8 :]).ljust(8, b"\0")
        total += np.frombuffer(tail, dtype=np.uint64)[0] * np.uint64(0x9E3779B97F4A7C15)
    return f"{int(total):016x}"


def file_checksum(path: str) -> str:
    """The checksum of a file's bytes (memory-mapped: nothing is copied)."""
    with open(path, "rb") as f:
        if not os.fstat(f.fileno()).st_size:
            return buffer_checksum(b"")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return buffer_checksum(mapped)


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
