"""Opening an input's bytes: regular files only, zstd/gzip decompressed on the fly in bounded
pieces.

Compression is recognised by magic bytes, not by the file name, so a renamed ``.2.zst`` still
reads. Decompression never produces more than a few megabytes per step, however well the data
compresses: 33 KB of zstd can hold a gigabyte of newlines, and asking a decompressor for "all
of this input" would hold that gigabyte at once.
"""

from __future__ import annotations

import errno
import io
import os
import stat
import zlib
from collections import deque
from typing import Any, BinaryIO

import zstandard

from inspector.files.zstd_frames import truncated_at
from inspector.gil_friendly import unfilled_bytearray

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
RAW_BLOCK = 1 << 20  # compressed bytes read from the file at a time
# zstd has no output limit per call: feed it small pieces instead. A zstd block of 128 KB can
# come from 4 bytes (RLE), so a piece of 4 KB gives at most ~128 MB, and typically ~40 KB.
ZSTD_PIECE = 4096
GZIP_STEP = 8 << 20  # most decompressed bytes per zlib call (zlib takes a limit)
DECOMPRESSION_ERRORS = (OSError, EOFError, zstandard.ZstdError, zlib.error)


def detect_compression(head: bytes) -> str | None:
    """Return ``"zstd"``, ``"gzip"`` or None for the first bytes of a file."""
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    return None


def open_regular(path: str) -> BinaryIO:
    """Open ``path`` for reading bytes if it is a regular file; a named pipe, device or socket
    is refused (``OSError``) without waiting: opening a pipe for reading blocks until a writer
    comes, so it is opened non-blocking and checked before anything is read."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a pipe or a device?)", path)
        os.set_blocking(fd, True)
        return open(fd, "rb", closefd=True)
    except BaseException:
        os.close(fd)
        raise


def file_compression(path: str) -> str | None:
    """The compression of the file at ``path`` (by magic bytes)."""
    with open_regular(path) as f:
        return detect_compression(f.read(4))


class CountingReader(io.RawIOBase):
    """Wraps a raw file and counts bytes read, so progress can follow the compressed position."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw: Any = raw  # a buffered binary file (it has readinto)
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self.raw.seekable())

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return int(self.raw.seek(offset, whence))

    def tell(self) -> int:
        return int(self.raw.tell())

    def readinto(self, b: Any) -> int:
        n = self.raw.readinto(b)
        self.consumed += n or 0
        return n or 0

    def close(self) -> None:
        self.raw.close()
        super().close()


class FrameReader:
    """Decompresses frames (zstd) or members (gzip) one after another from a raw file.

    Unlike ``zstandard.stream_reader`` and ``gzip.GzipFile`` it hands out everything it could
    decompress before reporting a truncated or corrupt stream (on the next read), and trailing
    padding after the last frame is reported rather than fatal to what came before. Output is
    produced in bounded steps (see ``ZSTD_PIECE``, ``GZIP_STEP``) and copied straight into the
    caller's buffer by ``readinto``.
    """

    def __init__(self, raw: CountingReader, kind: str) -> None:
        self.raw = raw
        self.kind = kind
        self.dobj: Any = self._new()
        self.ready: deque[memoryview] = deque()  # decompressed, not handed out yet
        self.compressed = b""  # read from the file, not fed to the decompressor yet
        self.in_frame = False
        self.eof = False
        self.error: Exception | None = None

    def _new(self) -> Any:
        if self.kind == "zstd":
            return zstandard.ZstdDecompressor().decompressobj()
        return zlib.decompressobj(16 + zlib.MAX_WBITS)

    def readinto(self, view: Any) -> int:
        """Fill ``view`` with decompressed bytes; 0 at the end. A stream error is raised once
        everything decompressed before it has been handed out."""
        out = memoryview(view).cast("B")
        done = 0
        while done < len(out):
            if self.ready:
                piece = self.ready[0]
                n = min(len(piece), len(out) - done)
                out[done : done + n] = piece[:n]
                done += n
                if n == len(piece):
                    self.ready.popleft()
                else:
                    self.ready[0] = piece[n:]
                continue
            if self.error is not None or self.eof:
                break
            self._step()
        if not done and self.error is not None:
            raise self.error
        return done

    def read(self, size: int = -1) -> bytes:
        buf = unfilled_bytearray(size if size >= 0 else RAW_BLOCK)
        n = self.readinto(buf)
        del buf[n:]
        return bytes(buf)

    def _step(self) -> None:
        """Decompress one bounded step into ``ready`` (or note the end or an error)."""
        if not self.compressed:
            block = self.raw.raw.read(RAW_BLOCK)
            self.raw.consumed += len(block)
            if not block:
                if self.in_frame and self.kind == "gzip":
                    rest = self.dobj.flush()  # output of input already consumed (bounded)
                    if rest:
                        self.ready.append(memoryview(rest))
                    if self.dobj.eof:
                        self.in_frame = False
                if self.in_frame:
                    self.error = EOFError("the compressed stream ends in the middle of a frame")
                self.eof = True
                return
            self.compressed = block
        if not self.in_frame and not self.compressed.strip(b"\x00"):
            self.compressed = b""  # zero padding after the last frame (preallocated files)
            return
        self.in_frame = True
        try:
            if self.kind == "zstd":
                piece, self.compressed = (
                    self.compressed[:ZSTD_PIECE],
                    self.compressed[ZSTD_PIECE:],
                )
                produced = self.dobj.decompress(piece)
                unused = self.dobj.unused_data if self.dobj.eof else b""
            else:
                produced = self.dobj.decompress(self.compressed, GZIP_STEP)
                # At a member's end zlib puts what follows in both unused_data and
                # unconsumed_tail: take it once.
                self.compressed = b"" if self.dobj.eof else self.dobj.unconsumed_tail
                unused = self.dobj.unused_data if self.dobj.eof else b""
        except (zstandard.ZstdError, zlib.error) as exc:
            self.error = exc
            return
        if produced:
            self.ready.append(memoryview(produced))
        if self.dobj.eof:
            self.compressed = unused + self.compressed
            self.dobj = self._new()
            self.in_frame = False

    def close(self) -> None:
        self.raw.close()


class ZstdReader:
    """zstd at full speed (``zstandard``'s stream reader, straight into the caller's buffer),
    with ``FrameReader``'s care where it matters: a stream error makes it read again carefully
    from the start (skipping what it already handed out) so that everything before the damage is
    handed out and the damage reported; at the end, a walk over the frame headers tells a torn
    last frame (which the stream reader ends quietly) from a complete one."""

    def __init__(self, raw: CountingReader, path: str) -> None:
        self.raw, self.path = raw, path
        source: Any = raw  # a readable raw file: read(size) is all the stream reader needs
        self.fast = zstandard.ZstdDecompressor().stream_reader(
            source, read_size=RAW_BLOCK, read_across_frames=True, closefd=False
        )
        self.handed = 0
        self.careful: FrameReader | None = None
        self.end_checked = False

    def readinto(self, view: Any) -> int:
        if self.careful is not None:
            return self.careful.readinto(view)
        try:
            n = int(self.fast.readinto(view))
        except zstandard.ZstdError:
            self._read_carefully()
            return self.readinto(view)
        if n:
            self.handed += n
            return n
        if not self.end_checked:
            self.end_checked = True
            with open_regular(self.path) as f:
                if truncated_at(f) is not None:
                    raise EOFError("the compressed stream ends in the middle of a frame")
        return 0

    def read(self, size: int = -1) -> bytes:
        buf = unfilled_bytearray(size if size >= 0 else RAW_BLOCK)
        n = self.readinto(buf)
        return bytes(buf[:n])

    def _read_carefully(self) -> None:
        """Switch to ``FrameReader`` from the file's start, past what was handed out already."""
        self.raw.seek(0)
        self.raw.consumed = 0
        careful = FrameReader(self.raw, "zstd")
        scratch = bytearray(min(RAW_BLOCK * 8, max(self.handed, 1)))
        left = self.handed
        with memoryview(scratch) as view:
            while left:
                try:
                    n = careful.readinto(view[: min(left, len(view))])
                except DECOMPRESSION_ERRORS:
                    break
                if not n:
                    break
                left -= n
        self.careful = careful

    def close(self) -> None:
        self.raw.close()


def open_decompressed(path: str) -> tuple[BinaryIO, CountingReader]:
    """Open ``path`` for reading its decompressed bytes; also return the raw byte counter."""
    raw = CountingReader(open_regular(path))  # closed by the caller via the stream
    head = raw.raw.read(4)
    raw.raw.seek(0)
    kind = detect_compression(head)
    stream: Any
    if kind == "zstd":
        stream = ZstdReader(raw, path)
    elif kind == "gzip":
        stream = FrameReader(raw, kind)
    else:
        stream = io.BufferedReader(raw)
    return stream, raw


def decompressing_reader(raw: BinaryIO) -> BinaryIO:
    """Read the decompressed bytes of an already open file (from its start): zstd frames or
    gzip members one after another (in bounded steps), plain bytes as they are. A truncated or
    corrupt stream hands out what decoded, then raises on the next read."""
    counter = CountingReader(raw)
    raw.seek(0)
    head = raw.read(4)
    raw.seek(0)
    kind = detect_compression(head)
    if kind in ("zstd", "gzip"):
        # FrameReader has the read side of a binary file, all that its callers use.
        return FrameReader(counter, kind)  # type: ignore[return-value]
    return io.BufferedReader(counter)
