"""Why a line was rejected: short, specific reasons, computed only for rejected lines."""

from __future__ import annotations

import json

from inspector.files.line_index import LineChunk

MAX_SAMPLE = 60


def reason_for(lines: LineChunk, i: int, shape: str | None, final: bool) -> str:
    """The reason line ``i`` of the chunk did not load (its shape as the parser saw it)."""
    raw = lines.line_bytes(i)
    size = len(raw)
    nuls = raw.count(0)
    if not raw.strip(b" \t\r\x00"):
        return f"{nuls:,} NUL bytes (a crash left a zero-filled block)" if nuls else "empty line"
    if shape == "unknown":
        return unknown_reason(raw)
    if b"{" not in raw:
        sample = raw[:MAX_SAMPLE].decode("utf-8", "replace")
        return f"not a JSON record: {sample!r}" + (
            f" ({size:,} bytes)" if size > MAX_SAMPLE else ""
        )
    if nuls:
        return f"record broken by {nuls:,} NUL bytes (a crash left a zero-filled block)"
    last = final and i == lines.count - 1
    try:
        json.loads(raw[raw.index(b"{") :])
        detail = "rejected by the JSON parser"
    except json.JSONDecodeError as exc:
        if last and lines.unterminated_last and exc.msg.startswith(("Expecting", "Unterminated")):
            return f"truncated record at end of file (no newline; a torn write), {size:,} bytes"
        # "Unterminated string starting at" names its own place: no second "at"
        detail = f"{exc.msg}{'' if exc.msg.endswith(' at') else ' at'} column {exc.colno}"
    except (UnicodeDecodeError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else type(exc).__name__
    return f"malformed JSON: {detail}" + (f" ({size:,}-byte line)" if size > 100_000 else "")


def unknown_reason(raw: bytes) -> str:
    """A valid JSON object that is no osquery record: say what it looks like."""
    try:
        obj = json.loads(raw[raw.index(b"{") :])
    except (ValueError, RecursionError):
        obj = None
    if not isinstance(obj, dict):
        return "JSON but not an osquery result or status record"
    if isinstance(obj.get("msg"), str):
        sample = obj["msg"].split("\n", 1)[0][:50]
        return f"launcher log line whose msg holds no osquery status line: {sample!r}"
    diff = obj.get("diffResults")
    if isinstance(diff, dict):
        wrong = [k for k in ("added", "removed") if k in diff and not isinstance(diff[k], list)]
        if wrong:
            return f"batch record whose diffResults.{wrong[0]} is not a list"
    keys = ", ".join(list(obj)[:8])
    return f"JSON object but not an osquery result or status record (keys: {keys})"
