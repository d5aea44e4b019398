"""Reading an input file in chunks of whole lines, with bounded memory whatever it holds.

Chunks always end on a line boundary (except the last), so line numbers stay exact across
chunks. A line longer than a chunk is followed to its end on its own (``long_line``): it comes
as a chunk of that one line — its text after its last NUL run, at most ``LINE_CAP`` bytes — or,
past the cap, as a chunk that stands for the rejected line (``too_long``). Decompression is in
``decompress``.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, BinaryIO

from inspector.files.decompress import (
    DECOMPRESSION_ERRORS,
    CountingReader,
    decompressing_reader,
    detect_compression,
    file_compression,
    open_decompressed,
    open_regular,
)
from inspector.files.long_line import LINE_CAP, follow_long_line
from inspector.gil_friendly import unfilled_bytearray

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "LINE_CAP",
    "BufferPool",
    "Chunk",
    "CountingReader",
    "StreamError",
    "decompressing_reader",
    "detect_compression",
    "file_compression",
    "iter_chunks",
    "open_decompressed",
    "open_regular",
    "read_head",
]

DEFAULT_CHUNK_BYTES = 32 * 1024 * 1024


def read_head(path: str, size: int = 65536) -> bytes:
    """The first ``size`` decompressed bytes of ``path`` (fewer if the file is shorter or broken)."""
    stream, _ = open_decompressed(path)
    out = bytearray(size)
    done = 0
    try:
        with memoryview(out) as view:
            done, _ = _fill(stream, view)
    finally:
        stream.close()
    return bytes(out[:done])


@dataclass
class Chunk:
    """A run of whole lines: ``data`` ends with ``\\n`` unless ``final``.

    A chunk made by following one long line holds just that line: ``dropped`` bytes (a NUL run
    and whatever came before it, ``dropped_nuls`` of them NUL) were left out before its
    ``data``; when ``too_long`` is set the line passed ``LINE_CAP`` and ``data`` is a bare
    ``"\\n"`` standing for it (reject it, do not parse it)."""

    data: bytes | bytearray | memoryview
    final: bool
    fraction: float  # share of the (compressed) file consumed so far
    buffer: bytearray | None = None  # the pool buffer ``data`` views, to give back after use
    dropped: int = 0
    dropped_nuls: int = 0
    too_long: int = 0


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
        return unfilled_bytearray(size)  # a chunk's bytes are the stream's, never the zeroes

    def release(self) -> None:
        """Let go of the buffers kept (a long line is about to take their memory)."""
        with self._lock:
            self._free.clear()

    def give(self, buf: bytearray | None) -> None:
        if buf is None:
            return
        with self._lock:
            if len(self._free) < self.KEEP and len(buf) <= 2 * self._usual:
                self._free.append(buf)


class StreamError(Exception):
    """The decompressed stream broke off (truncated or corrupt compressed data)."""


class _Source:
    """The stream being chunked: a byte budget (``end``), progress, and the first error met."""

    def __init__(self, path: str, start: int, end: int | None) -> None:
        self.stream, self.counter = open_decompressed(path)
        self.total = max(os.path.getsize(path), 1)
        if start or end is not None:
            if not isinstance(self.stream, io.BufferedReader):  # compressed
                self.stream.close()
                raise ValueError("only a plain file can be read between offsets")
            self.stream.seek(start)
            self.counter.consumed = start
            self.total = max(end if end is not None else self.total, 1)
        self.left = None if end is None else max(end - start, 0)  # bytes still to read
        self.error: Exception | None = None

    def fill(self, view: memoryview) -> int:
        """Read into ``view`` until full, the budget is spent or the stream ends (0)."""
        if self.error is not None:
            return 0
        if self.left is not None:
            view = view[: min(len(view), self.left)]
        got, self.error = _fill(self.stream, view)
        if self.left is not None:
            self.left -= got
        return got

    @property
    def fraction(self) -> float:
        return min(self.counter.consumed / self.total, 1.0)


def iter_chunks(
    path: str,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    start: int = 0,
    pool: BufferPool | None = None,
    end: int | None = None,
    line_cap: int = LINE_CAP,
) -> Generator[Chunk, None, None]:
    """Yield the decompressed content of ``path`` in chunks that end on line boundaries.

    Each chunk is a fresh buffer (the caller may keep or modify it) — or, with a ``pool``, a
    view of a pool buffer that the caller gives back (``chunk.buffer``) when done with it. A
    corrupt compressed stream yields what was readable as a final chunk, then raises
    ``StreamError`` so the caller can report it. ``start`` skips that many bytes of a plain
    (uncompressed) file; ``end`` stops reading at that byte of it. Memory stays within a few
    chunks plus ``line_cap`` (see the module docstring).
    """
    source = _Source(path, start, end)
    # A small file gets a chunk buffer its size, not a 32 MB one: zeroing that buffer cost
    # ~40 ms per file, most of the time a 3 MB log takes (a compressed file's guess is 16×
    # its size; more chunks follow if it holds more).
    compressed = not isinstance(source.stream, io.BufferedReader)
    expected = (source.total - start) * (16 if compressed else 1) + 1
    chunk_bytes = min(chunk_bytes, max(-(-expected // BufferPool.ROUND) * BufferPool.ROUND, 1))
    carry: bytes = b""  # the start of a line the previous buffer ended in
    try:
        while True:
            want = len(carry) + chunk_bytes
            buf = pool.take(want) if pool is not None else unfilled_bytearray(want)
            buf[: len(carry)] = carry
            held, carry = len(carry), b""  # the copy in buf is the one kept from here on
            with memoryview(buf) as whole, whole[held:want] as free:
                got = source.fill(free)
            size = held + got
            if got == 0 or source.error is not None:
                if size:
                    yield _chunk(buf, size, True, 1.0, pool)
                elif pool is not None:
                    pool.give(buf)
                break
            cut = buf.rfind(b"\n", 0, size)
            if cut >= 0:
                carry = bytes(buf[cut + 1 : size])
                yield _chunk(buf, cut + 1, False, source.fraction, pool)
                continue
            # Not one line end in a whole buffer: follow this line on its own.
            if pool is not None:
                pool.release()
            line = follow_long_line(buf, size, source.fill, line_cap)  # takes buf over
            del buf
            carry = line.rest
            final = not line.ended
            data = b"\n" if line.too_long else line.kept
            if data or line.dropped:
                yield Chunk(data or b"\n", final, source.fraction, None, line.dropped,
                            line.dropped_nuls, line.too_long)  # fmt: skip
            if final:
                break
    finally:
        source.stream.close()
    if source.error is not None:
        error = source.error
        raise StreamError(str(error) or type(error).__name__) from error


def _chunk(
    buf: bytearray, size: int, final: bool, fraction: float, pool: BufferPool | None
) -> Chunk:
    if pool is not None:
        return Chunk(memoryview(buf)[:size], final, fraction, buf)
    del buf[size:]  # shrinks in place, no copy of the kept part
    return Chunk(buf, final, fraction)


def _fill(stream: BinaryIO | Any, view: memoryview) -> tuple[int, Exception | None]:
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
        except DECOMPRESSION_ERRORS as exc:
            # Without its traceback: the frames in it hold views of the caller's buffer.
            return done, exc.with_traceback(None)
        if not n:
            break
        done += n
    return done, None
