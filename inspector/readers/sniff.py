"""What a reader sees when it sniffs a file: its first decompressed bytes, as bytes and as lines."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property

from inspector.files.source_file import file_compression, read_head

HEAD_BYTES = 65536
DEEP_HEAD_BYTES = 4 * 1024 * 1024  # looked at when the start is a NUL block
MAX_SNIFF_LINES = 200
RECORD_START = re.compile(
    r'^\s*\{\s*"(snapshot|diffResults|name|action|hostIdentifier|columns)"\s*:'
)


@dataclass
class Head:
    """The first decompressed bytes of a file (after a leading NUL block), and facts about it."""

    path: str
    data: bytes
    size: int
    compression: str | None
    complete: bool  # the head holds the whole (decompressed) file
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, path: str) -> Head:
        data = read_head(path, HEAD_BYTES + 1)
        complete = len(data) <= HEAD_BYTES
        stripped = data.lstrip(b"\x00")
        if not complete and len(stripped) < 4096:
            # A crash can leave a long zero-filled block at the start: look past it.
            data = read_head(path, DEEP_HEAD_BYTES + 1)
            complete = len(data) <= DEEP_HEAD_BYTES
            stripped = data.lstrip(b"\x00")
        return cls(
            path=path,
            data=stripped[:HEAD_BYTES] if stripped else data[:HEAD_BYTES],
            size=os.path.getsize(path),
            compression=file_compression(path),
            complete=complete and len(stripped) <= HEAD_BYTES,
        )

    @cached_property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace").lstrip("\ufeff")

    @cached_property
    def lines(self) -> list[str]:
        """Whole lines of the head (a cut-off last line dropped unless the head is complete)."""
        lines = self.text.split("\n")
        if not self.complete:
            lines = lines[:-1]  # cut off by the head's end (possibly the only, very long, line)
        return [ln.rstrip("\r") for ln in lines]

    @cached_property
    def cut_first_line(self) -> str | None:
        """The start of a first line too long for the head (a 2,000-row snapshot, say)."""
        if self.complete or "\n" in self.text:
            return None
        return self.text[:4096]

    @cached_property
    def is_binary(self) -> bool:
        """Control bytes other than NUL runs, tab, CR, LF, ESC in more than 5 % of the head."""
        sample = self.data.replace(b"\x00", b"")
        if not sample:
            return bool(self.data)
        control = sum(1 for b in sample if b < 9 or (13 < b < 32 and b != 27))
        return control > 0.05 * len(sample)

    def json_objects(self, limit: int = 20) -> list[object]:
        """Up to ``limit`` lines holding a ``{``, parsed as JSON from there (None if they do not
        parse). Lines without a brace (damage, blank lines) are passed over, up to a point."""
        out: list[object] = []
        for line in self.lines[:MAX_SNIFF_LINES]:
            stripped = line.strip().strip("\x00")
            brace = stripped.find("{")
            if brace < 0:
                continue
            try:
                out.append(json.loads(stripped[brace:]))
            except (ValueError, RecursionError):
                out.append(None)
            if len(out) >= limit:
                break
        return out
