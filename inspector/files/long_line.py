"""One line longer than a chunk, read to its end with bounded memory.

A line that does not end within a chunk is collected piece by piece (each byte copied once). Two
things keep it bounded, whatever the file holds:

- a NUL run is not part of the text after it: everything up to the line's last NUL byte is left
  out (counted), and only what follows the run is kept — a zero-filled block left by a crash,
  of any length, costs no memory, and the record written after it still loads;
- what is kept may grow to ``cap`` bytes (``LINE_CAP``); past that the line is counted to its
  end and rejected unread (an 8 GiB line in a 262 KB ``.zst`` is 8 GiB of counting, not of RAM).

The searches are the bytearray's own (memchr speed, no temporaries).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

LINE_CAP = 256 * 1024 * 1024  # bytes one line may hold (the README says so)
PIECE = 8 * 1024 * 1024  # bytes read at a time while following a long line

Fill = Callable[[memoryview], int]  # read into the view, return the count (0 at the end)


@dataclass
class LongLine:
    """The outcome of following one long line."""

    kept: bytearray  # the text kept (after the last NUL run), ending with "\n" unless at the end
    dropped: int = 0  # bytes left out before ``kept`` (NUL runs and what came before them)
    dropped_nuls: int = 0  # NUL bytes among them
    too_long: int = 0  # 0, or the line's whole length when what was to be kept passed the cap
    rest: bytes = b""  # bytes read past the line's end (the start of the next line)
    ended: bool = False  # the line ended with "\n" (False: the data ended first)
    overflowing: bool = False  # what would be kept is past the cap: counted, not kept

    def take(self, raw: bytearray, lo: int, hi: int, cap: int) -> None:
        """Add ``raw[lo:hi]`` (no newline inside but possibly at its end) to the line."""
        last = raw.rfind(b"\x00", lo, hi)
        if last >= 0:
            self.dropped += len(self.kept) + last + 1 - lo
            self.dropped_nuls += raw.count(b"\x00", lo, last + 1)
            self.kept = raw[last + 1 : hi]
            self.overflowing = False
        elif self.overflowing:
            self.dropped += hi - lo
        else:
            with memoryview(raw) as view:
                self.kept += view[lo:hi]
        if not self.overflowing and len(self.kept) - self.kept.endswith(b"\n") > cap:
            self.dropped += len(self.kept)
            self.kept = bytearray()
            self.overflowing = True


def follow_long_line(start: bytearray, size: int, fill: Fill, cap: int = LINE_CAP) -> LongLine:
    """Read the line that begins with ``start[:size]`` (which holds no newline) to its end;
    ``fill`` reads more of the stream. ``start`` becomes the line's (no copy): the caller must
    not use it afterwards."""
    line = LongLine(bytearray())
    if start.rfind(b"\x00", 0, size) < 0:
        del start[size:]  # shrinks in place: the buffer is the start of the line, not copied
        line.kept = start
        if len(line.kept) > cap:
            line.dropped, line.kept, line.overflowing = len(start), bytearray(), True
    else:
        line.take(start, 0, size, cap)
    del start
    block = bytearray(PIECE)
    with memoryview(block) as view:
        while True:
            got = fill(view)
            if not got:
                break
            newline = block.find(b"\n", 0, got)
            if newline < 0:
                line.take(block, 0, got, cap)
                continue
            line.take(block, 0, newline + 1, cap)
            line.rest = bytes(block[newline + 1 : got])
            line.ended = True
            break
    if line.overflowing:
        line.too_long = line.dropped - (1 if line.ended else 0)
    return line
