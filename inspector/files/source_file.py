"""Opening an input file: transparent zstd/gzip decompression and chunked reading on line bounds.

Compression is recognised by magic bytes, not by the file name, so a renamed ``.2.zst`` still reads.
Chunks always end on a line boundary (except the last), so line numbers stay exact across chunks.
"""

from __future__ import annotations

import io
import os
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import zstandard

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024


def detect_compression(head: bytes) -> str | None:
    """Return ``"zstd"``, ``"gzip"`` or None for the first bytes of a file."""
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return None


def file_compression(path: str) -> str | None:
    """The compression of the file at ``path`` (by magic bytes)."""
    with open(path, "rb") as f:
        return detect_compression(f.read(4))


class _CountingReader(io.RawIOBase):
    """Wraps a raw file and counts bytes read, so progress can follow the compressed position."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self.raw.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, b) -> int:  # type: ignore[override]
        n = self.raw.readinto(b)
        self.consumed += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


class _FrameReader:
    """Decompresses frames (zstd) or members (gzip) one after another from a raw file.

    Unlike ``zstandard.stream_reader`` and ``gzip.GzipFile`` it hands out everything it could
    decompress before reporting a truncated or corrupt stream (on the next read), and trailing
    padding after the last frame is reported rather than fatal to what came before.
    """

    def __init__(self, raw: _CountingReader, kind: str) -> None:
        self.raw = raw
        self.kind = kind
        self.dobj = self._new()
        self.pending = b""
        self.in_frame = False
        self.error: Exception | None = None

    def _new(self):
        if self.kind == "zstd":
            return zstandard.ZstdDecompressor().decompressobj()
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def read(self, size: int = -1) -> bytes:
        if self.error is not None and not self.pending:
            raise self.error
        out = bytearray(self.pending)
        self.pending = b""
        want = size if size > 0 else 1 << 62
        while len(out) < want and self.error is None:
            block = self.raw.raw.read(1 << 20)
            self.raw.consumed += len(block)
            if not block:
                if self.in_frame:
                    self.error = EOFError("the compressed stream ends in the middle of a frame")
                break
            self._feed(block, out)
        if len(out) > want:
            self.pending = bytes(out[want:])
            del out[want:]
        if not out and self.error is not None:
            raise self.error
        return bytes(out)

    def _feed(self, block: bytes, out: bytearray) -> None:
        while block:
            if not self.in_frame and not block.strip(b"\x00"):
                return  # zero padding after the last frame (preallocated files)
            self.in_frame = True
            try:
                out += self.dobj.decompress(block)
            except (zstandard.ZstdError, zlib.error) as exc:
                self.error = exc
                return
            if self.dobj.eof:
                block = self.dobj.unused_data
                self.dobj = self._new()
                self.in_frame = False
            else:
                block = b""

    def close(self) -> None:
        self.raw.close()


def open_decompressed(path: str) -> tuple[BinaryIO, _CountingReader]:
    """Open ``path`` for reading its decompressed bytes; also return the raw byte counter."""
    raw = _CountingReader(open(path, "rb"))  # noqa: SIM115 - closed by the caller via the stream
    head = raw.raw.read(4)
    raw.raw.seek(0)
    kind = detect_compression(head)
    stream = _FrameReader(raw, kind) if kind in ("zstd", "gzip") else io.BufferedReader(raw)
    return stream, raw  # type: ignore[return-value]


def decompressing_reader(raw: BinaryIO) -> BinaryIO:
    """Read the decompressed bytes of an already open file (from its start): zstd frames or
    gzip members one after another, plain bytes as they are. A truncated or corrupt stream
    hands out what decoded, then raises on the next read."""
    counter = _CountingReader(raw)
    raw.seek(0)
    head = raw.read(4)
    raw.seek(0)
    kind = detect_compression(head)
    if kind in ("zstd", "gzip"):
        return _FrameReader(counter, kind)  # type: ignore[return-value]
    return io.BufferedReader(counter)  # type: ignore[return-value]


def read_head(path: str, size: int = 65536) -> bytes:
    """The first ``size`` decompressed bytes of ``path`` (fewer if the file is shorter or broken)."""
    stream, _ = open_decompressed(path)
    try:
        out = bytearray()
        while len(out) < size:
            block = stream.read(size - len(out))
            if not block:
                break
            out += block
        return bytes(out)
    except (OSError, EOFError, zstandard.ZstdError, zlib.error):
        return bytes(out)
    finally:
        stream.close()


@dataclass
class Chunk:
    """A run of whole lines: ``data`` ends with ``\\n`` unless ``final``."""

    data: bytes | bytearray | memoryview
    final: bool
    fraction: float  # share of the (compressed) file consumed so far
    buffer: bytearray | None = None  # the pool buffer ``data`` views, to give back after use


class BufferPool:
    """Chunk buffers given back after use and handed out again.

    A fresh 32 MB buffer costs ~20 ms on this kind of machine (zeroing it faults in every page),
    about as much as reading the data into it; a reading loop that recycles a few buffers skips
    that for every chunk after the first ones."""

    KEEP = 4  # in use at once: the one being read, two being parsed, one waiting
    ROUND = 1 << 20  # sizes rounded up so that a chunk plus any carried line fits any buffer

    def __init__(self) -> None:
        self._free: list[bytearray] = []
        self._lock = threading.Lock()
        self._usual = 0  # the first size asked for: far bigger ones (a huge line) are not kept

    def take(self, size: int) -> bytearray:
        size = -(-size // self.ROUND) * self.ROUND
        with self._lock:
            self._usual = self._usual or size
            fits = [i for i, buf in enumerate(self._free) if len(buf) >= size]
            if fits:
                return self._free.pop(min(fits, key=lambda i: len(self._free[i])))
        return bytearray(size)

    def give(self, buf: bytearray | None) -> None:
        if buf is None:
            return
        with self._lock:
            if len(self._free) < self.KEEP and len(buf) <= 2 * self._usual:
                self._free.append(buf)


class StreamError(Exception):
    """The decompressed stream broke off (truncated or corrupt compressed data)."""


def iter_chunks(
    path: str,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    start: int = 0,
    pool: BufferPool | None = None,
    end: int | None = None,
) -> Iterator[Chunk]:
    """Yield the decompressed content of ``path`` in chunks that end on line boundaries.

    Each chunk is a fresh buffer (the caller may keep or modify it) — or, with a ``pool``, a
    view of a pool buffer that the caller gives back (``chunk.buffer``) when done with it. A
    corrupt compressed stream yields what was readable as a final chunk, then raises
    ``StreamError`` so the caller can report it. ``start`` skips that many bytes of a plain
    (uncompressed) file; ``end`` stops reading at that byte of it.
    """
    total = max(os.path.getsize(path), 1)
    stream, counter = open_decompressed(path)
    if start or end is not None:
        if isinstance(stream, _FrameReader):
            stream.close()
            raise ValueError("only a plain file can be read between offsets")
        stream.seek(start)
        counter.consumed = start
        total = max(end if end is not None else total, 1)
    left = None if end is None else max(end - start, 0)  # bytes still to read
    # A small file gets a chunk buffer its size, not a 32 MB one: zeroing that buffer cost
    # ~40 ms per file, most of the time a 3 MB log takes (a compressed file's guess is 16×
    # its size; more chunks follow if it holds more).
    compressed = isinstance(stream, _FrameReader)
    expected = (total - start) * (16 if compressed else 1) + 1
    chunk_bytes = min(chunk_bytes, max(-(-expected // BufferPool.ROUND) * BufferPool.ROUND, 1))
    carry = b""
    error: Exception | None = None
    try:
        while error is None:
            room = chunk_bytes if left is None else min(chunk_bytes, left)
            want = len(carry) + room
            buf = pool.take(want) if pool is not None else bytearray(want)
            buf[: len(carry)] = carry
            with memoryview(buf) as whole, whole[len(carry) : want] as free:
                got, error = _fill(stream, free)
            if left is not None:
                left -= got
            size = len(carry) + got
            if got == 0 or error is not None:
                if size:
                    yield _chunk(buf, size, True, 1.0, pool)
                elif pool is not None:
                    pool.give(buf)
                break
            cut = buf.rfind(b"\n", 0, size)
            if cut < 0:
                carry = bytes(buf[:size])  # one long line: keep reading until it ends
                if pool is not None:
                    pool.give(buf)
                continue
            carry = bytes(buf[cut + 1 : size])
            yield _chunk(buf, cut + 1, False, min(counter.consumed / total, 1.0), pool)
    finally:
        stream.close()
    if error is not None:
        raise StreamError(str(error) or type(error).__name__) from error


def _chunk(
    buf: bytearray, size: int, final: bool, fraction: float, pool: BufferPool | None
) -> Chunk:
    if pool is not None:
        return Chunk(memoryview(buf)[:size], final, fraction, buf)
    del buf[size:]  # shrinks in place, no copy of the kept part
    return Chunk(buf, final, fraction)


def _fill(stream: BinaryIO, view: memoryview) -> tuple[int, Exception | None]:
    """Read into ``view`` until full or the stream ends; return the count and any stream error."""
    done = 0
    readinto = getattr(stream, "readinto", None)
    while done < len(view):
        try:
            if readinto is not None:
                n = readinto(view[done:])
            else:
                block = stream.read(len(view) - done)
                n = len(block)
                view[done : done + n] = block
        except (OSError, EOFError, zstandard.ZstdError, zlib.error) as exc:
            return done, exc
        if not n:
            break
        done += n
    return done, None
