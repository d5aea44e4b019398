"""What a reader sees when it sniffs a file: its first decompressed bytes, as bytes and as lines."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property

from inspector.files.decompress import DECOMPRESSION_ERRORS
from inspector.files.source_file import file_compression, open_decompressed

HEAD_BYTES = 65536
BLANK_BYTES = b"\x00\t\n\r "  # skipped before the head: NUL runs and blank lines, any length
STEP = 1 << 20
MAX_SNIFF_LINES = 200
# How a line osquery wrote starts: a result or status record, or a TLS logger's envelope.
RECORD_START = re.compile(
    r'^\s*\{\s*"(snapshot|diffResults|name|action|hostIdentifier|columns|node_key|log_type)"\s*:'
)


@dataclass
class Head:
    """The first decompressed bytes of a file (after a leading NUL block), and facts about it."""

    path: str
    data: bytes
    size: int
    compression: str | None
    complete: bool  # the head holds the whole (decompressed) file
    skipped: int = 0  # NUL and blank bytes passed over before the head
    _cache: dict[str, object] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, path: str) -> Head:
        data, skipped = head_after_blanks(path, HEAD_BYTES + 1)
        return cls(
            path=path,
            data=data[:HEAD_BYTES],
            size=os.path.getsize(path),
            compression=file_compression(path),
            complete=len(data) <= HEAD_BYTES,
            skipped=skipped,
        )

    def describe(self) -> str:
        """What the head looks like, without quoting it (an unknown file may hold secrets)."""
        return describe_bytes(self.data)

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


def head_after_blanks(path: str, size: int) -> tuple[bytes, int]:
    """Up to ``size`` decompressed bytes of ``path`` from its first byte that is not NUL or blank
    (a zero-filled block or a flood of empty lines of any length is passed over, a megabyte at a
    time), and how many bytes were passed over. A broken compressed stream ends the head."""
    stream, _ = open_decompressed(path)
    skipped = 0
    out = bytearray()
    try:
        while len(out) < size:
            block = stream.read(STEP if not out else size - len(out))
            if not block:
                break
            if not out:
                content = block.lstrip(BLANK_BYTES)
                skipped += len(block) - len(content)
                block = content
            out += block
    except DECOMPRESSION_ERRORS:
        pass
    finally:
        stream.close()
    return bytes(out[:size]), skipped


def describe_bytes(data: bytes) -> str:
    """A description of some bytes by their size, lines and kinds of characters — never their
    content."""
    if not data:
        return "nothing"
    text = data.decode("utf-8", "replace")
    letters = sum(ch.isalpha() for ch in text)
    digits = sum(ch.isdigit() for ch in text)
    spaces = sum(ch.isspace() for ch in text)
    control = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r")
    other = len(text) - letters - digits - spaces - control
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    kinds = [
        f"{share:.0%} {name}"
        for share, name in sorted(
            [(letters / len(text), "letters"), (digits / len(text), "digits"),
             (spaces / len(text), "spaces"), (other / len(text), "punctuation and symbols"),
             (control / len(text), "control characters")],
            reverse=True,
        )
        if share >= 0.01
    ]  # fmt: skip
    ascii_only = all(b < 0x80 for b in data)
    encoding = "ASCII" if ascii_only else "non-ASCII UTF-8" if "\ufffd" not in text else "binary"
    line_word = "line" if lines == 1 else "lines"
    return f"{len(data):,} bytes in {lines:,} {line_word} of {encoding} text: {', '.join(kinds)}"
