"""What a reader sees when it sniffs a file: its first decompressed bytes, as bytes and as lines."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from functools import cached_property

from inspector.readers.source_file import file_compression, read_head

HEAD_BYTES = 65536


@dataclass
class Head:
    """The first ``HEAD_BYTES`` decompressed bytes of a file, and facts about the file."""

    path: str
    data: bytes
    size: int
    compression: str | None
    complete: bool  # the head holds the whole (decompressed) file
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, path: str) -> Head:
        data = read_head(path, HEAD_BYTES + 1)
        return cls(
            path=path,
            data=data[:HEAD_BYTES],
            size=os.path.getsize(path),
            compression=file_compression(path),
            complete=len(data) <= HEAD_BYTES,
        )

    @cached_property
    def text(self) -> str:
        return self.data.decode("utf-8", "replace")

    @cached_property
    def lines(self) -> list[str]:
        """Whole lines of the head (a cut-off last line dropped unless the head is complete)."""
        lines = self.text.split("\n")
        if not self.complete and len(lines) > 1:
            lines = lines[:-1]
        return [ln.rstrip("\r") for ln in lines]

    @cached_property
    def is_binary(self) -> bool:
        """Control bytes other than NUL runs, tab, CR, LF, ESC in more than 5 % of the head."""
        sample = self.data.replace(b"\x00", b"")
        if not sample:
            return bool(self.data)
        control = sum(1 for b in sample if b < 9 or (13 < b < 32 and b != 27))
        return control > 0.05 * len(sample)

    def json_objects(self, limit: int = 20) -> list[object]:
        """Up to ``limit`` non-empty lines parsed as JSON from their first ``{`` (None if not)."""
        out: list[object] = []
        for line in self.lines:
            stripped = line.strip().strip("\x00")
            if not stripped:
                continue
            brace = stripped.find("{")
            try:
                out.append(json.loads(stripped[brace:]) if brace >= 0 else None)
            except ValueError:
                out.append(None)
            if len(out) >= limit:
                break
        return out
