"""Opening an input file: transparent zstd/gzip decompression and chunked reading on line bounds.

Compression is recognised by magic bytes, not by the file name, so a renamed ``.2.zst`` still reads.
Chunks always end on a line boundary (except the last), so line numbers stay exact across chunks.
"""

from __future__ import annotations

import gzip
import io
import os
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

    def readinto(self, b) -> int:  # type: ignore[override]
        n = self.raw.readinto(b)
        self.consumed += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


class _ZstdReader:
    """Streams zstd frames one after another and notices a stream that ends mid-frame.

    (``zstandard``'s ``stream_reader`` reports a truncated file as a clean end of data.)
    """

    def __init__(self, raw: _CountingReader) -> None:
        self.raw = raw
        self.dobj = zstandard.ZstdDecompressor().decompressobj()
        self.pending = b""
        self.in_frame = False
        self.truncated = False

    def read(self, size: int = -1) -> bytes:
        if self.truncated and not self.pending:
            raise zstandard.ZstdError("compressed stream ends in the middle of a frame")
        out = bytearray(self.pending)
        self.pending = b""
        want = size if size > 0 else 1 << 62
        while len(out) < want:
            block = self.raw.raw.read(1 << 20)
            self.raw.consumed += len(block)
            if not block:
                # Hand out what was decompressed; the next read reports the truncation.
                self.truncated = self.in_frame
                break
            while block:
                self.in_frame = True
                out += self.dobj.decompress(block)
                if self.dobj.eof:
                    block = self.dobj.unused_data
                    self.dobj = zstandard.ZstdDecompressor().decompressobj()
                    self.in_frame = False
                else:
                    block = b""
        if len(out) > want:
            self.pending = bytes(out[want:])
            del out[want:]
        return bytes(out)

    def close(self) -> None:
        self.raw.close()


def open_decompressed(path: str) -> tuple[BinaryIO, _CountingReader]:
    """Open ``path`` for reading its decompressed bytes; also return the raw byte counter."""
    raw = _CountingReader(open(path, "rb"))  # noqa: SIM115 - closed by the caller via the stream
    head = raw.raw.read(4)
    raw.raw.seek(0)
    kind = detect_compression(head)
    stream: BinaryIO
    if kind == "zstd":
        stream = _ZstdReader(raw)  # type: ignore[assignment]
    elif kind == "gzip":
        stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
    else:
        stream = io.BufferedReader(raw)  # type: ignore[assignment]
    return stream, raw


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
    except (OSError, EOFError, zstandard.ZstdError):
        return bytes(out)
    finally:
        stream.close()


@dataclass
class Chunk:
    """A run of whole lines: ``data`` ends with ``\\n`` unless ``final``."""

    data: bytes | bytearray | memoryview
    final: bool
    fraction: float  # share of the (compressed) file consumed so far


class StreamError(Exception):
    """The decompressed stream broke off (truncated or corrupt compressed data)."""


def iter_chunks(path: str, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[Chunk]:
    """Yield the decompressed content of ``path`` in chunks that end on line boundaries.

    Each chunk is a fresh buffer (the caller may keep or modify it). A corrupt compressed stream
    yields what was readable as a final chunk, then raises ``StreamError`` so the caller can
    report it.
    """
    total = max(os.path.getsize(path), 1)
    stream, counter = open_decompressed(path)
    carry = b""
    error: Exception | None = None
    try:
        while error is None:
            buf = bytearray(len(carry) + chunk_bytes)
            buf[: len(carry)] = carry
            with memoryview(buf) as whole, whole[len(carry) :] as free:
                got, error = _fill(stream, free)
            size = len(carry) + got
            if got == 0 or error is not None:
                if size:
                    del buf[size:]
                    yield Chunk(buf, True, 1.0)
                break
            cut = buf.rfind(b"\n", 0, size)
            if cut < 0:
                carry = bytes(buf[:size])  # one long line: keep reading until it ends
                continue
            carry = bytes(buf[cut + 1 : size])
            del buf[cut + 1 :]  # shrinks in place, no copy of the kept part
            yield Chunk(buf, False, min(counter.consumed / total, 1.0))
    finally:
        stream.close()
    if error is not None:
        raise StreamError(str(error) or type(error).__name__) from error


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
        except (OSError, EOFError, zstandard.ZstdError) as exc:
            return done, exc
        if not n:
            break
        done += n
    return done, None
