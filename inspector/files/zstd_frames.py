"""Walking a zstd file's frame and block headers without decompressing (RFC 8878, section 3.1):
is the last frame complete?

The fast decompressor (``zstandard``'s stream reader) ends quietly at a truncated frame; this walk
tells a torn ``.zst`` (a crash while rotating) from a complete one. It reads each block's
3-byte header and skips its payload, so it costs a small fraction of decompressing.
"""

from __future__ import annotations

from typing import BinaryIO

ZSTD_MAGIC = 0xFD2FB528
SKIPPABLE_MASK, SKIPPABLE_MAGIC = 0xFFFFFFF0, 0x184D2A50
WINDOW = 1 << 20


class _Bytes:
    """A forward-only view of a file: take n bytes, skip n bytes, know the position."""

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.buf = b""
        self.at = 0  # position in buf
        self.pos = 0  # position in the file of buf[at]

    def take(self, n: int) -> bytes | None:
        while len(self.buf) - self.at < n:
            more = self.f.read(max(WINDOW, n))
            if not more:
                return None
            self.buf = self.buf[self.at :] + more
            self.at = 0
        out = self.buf[self.at : self.at + n]
        self.at += n
        self.pos += n
        return out

    def skip(self, n: int) -> bool:
        inside = len(self.buf) - self.at
        if n <= inside:
            self.at += n
            self.pos += n
            return True
        self.pos += inside
        self.buf, self.at = b"", 0
        left = n - inside
        here = self.f.tell()
        end = self.f.seek(0, 2)
        if here + left > end:
            self.pos += end - here
            return False
        self.f.seek(here + left)
        self.pos += left
        return True

    def rest_is_zeros(self) -> bool:
        tail = self.buf[self.at :]
        while True:
            if tail.strip(b"\x00"):
                return False
            tail = self.f.read(WINDOW)
            if not tail:
                return True


def truncated_at(f: BinaryIO) -> int | None:
    """The offset where the data ends inside a frame, or None when every frame is complete
    (zero padding after the last frame is allowed, like the reader allows it)."""
    src = _Bytes(f)
    while True:
        start = src.pos
        magic_bytes = src.take(4)
        if magic_bytes is None:
            return None if src.pos == start else start
        magic = int.from_bytes(magic_bytes, "little")
        if magic & SKIPPABLE_MASK == SKIPPABLE_MAGIC:
            size = src.take(4)
            if size is None or not src.skip(int.from_bytes(size, "little")):
                return start
            continue
        if magic != ZSTD_MAGIC:
            if not magic_bytes.strip(b"\x00") and src.rest_is_zeros():
                return None
            return None  # not a frame: the decompressor reports that itself
        if not _frame(src):
            return start


def _frame(src: _Bytes) -> bool:
    descriptor = src.take(1)
    if descriptor is None:
        return False
    d = descriptor[0]
    fcs_flag, single, checksum, did_flag = d >> 6, (d >> 5) & 1, (d >> 2) & 1, d & 3
    header = (0 if single else 1) + (0, 1, 2, 4)[did_flag]
    header += (1 if single else 0, 2, 4, 8)[fcs_flag]
    if not src.skip(header):
        return False
    while True:
        block = src.take(3)
        if block is None:
            return False
        value = int.from_bytes(block, "little")
        last, kind, size = value & 1, (value >> 1) & 3, value >> 3
        if not src.skip(1 if kind == 1 else size):
            return False
        if last:
            return src.skip(4) if checksum else True
