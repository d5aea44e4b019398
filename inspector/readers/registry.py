"""The reader registry: each reader sniffs a file's content and says how well it fits.

The best score wins (no decisions on file names: a renamed or compressed log still reads).
A file no reader wants is skipped with a reason that says what it looked like.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from inspector.model.options import LoadOptions
from inspector.progress import Progress
from inspector.readers.config import config_kind, parse_json_document, read_config, strip_comments
from inspector.readers.database_dump import looks_like_dump, read_database_dump
from inspector.readers.glog import glog_options, looks_like_glog, read_glog
from inspector.readers.json_lines.reader import read_json_lines
from inspector.readers.result import ReaderResult, SkipFile
from inspector.readers.sniff import MAX_SNIFF_LINES, RECORD_START, Head
from inspector.readers.system_log.logfmt import read_logfmt, sniff_logfmt
from inspector.readers.system_log.reader import read_system_log, sniff_system_log

ReadFn = Callable[[str, str, LoadOptions, Progress | None], ReaderResult]


@dataclass(frozen=True)
class Reader:
    """A format: a sniffer giving a score in [0, 1] and a read function."""

    name: str
    sniff: Callable[[Head], float]
    read: ReadFn


def _is_record(obj: object) -> bool:
    if not isinstance(obj, dict):
        return False
    keys = set(obj)
    result = "name" in keys and bool(keys & {"columns", "diffResults", "snapshot"})
    status = "message" in keys and bool(keys & {"severity", "filename"})
    short = {"m", "s"} <= keys or {"m", "f"} <= keys
    envelope = "data" in keys and bool(keys & {"log_type", "node_key"})
    launcher = isinstance(obj.get("msg"), str) and looks_like_glog([obj["msg"].split("\n")[0]])
    return result or status or short or envelope or launcher


def _sniff_json_lines(head: Head) -> float:
    objects = head.json_objects()
    if not objects:
        # One line longer than the head: judge by how it starts.
        cut = head.cut_first_line
        return 0.6 if cut is not None and RECORD_START.match(cut) else 0.0
    hits = sum(1 for o in objects if _is_record(o))
    if hits == 0:
        # Only torn lines (a cut write, an envelope around a damaged record): still a log of
        # records when its first line starts as osquery writes one; its lines are rejected.
        first = next((ln for ln in head.lines if ln.strip()), "")
        torn = all(o is None for o in objects) and RECORD_START.match(first)
        return 0.55 if torn else 0.0
    if len(objects) == 1 and config_kind(objects[0]) is not None:
        return 0.0
    return 0.5 + 0.4 * hits / len(objects)


def _document(head: Head) -> object | None:
    if "document" not in head._cache:
        doc = None
        text = strip_comments(head.text.lstrip("\ufeff"))
        if head.complete and text.strip()[:1] in ("{", "["):
            try:
                doc = parse_json_document(text)
            except (ValueError, RecursionError):
                doc = None
        head._cache["document"] = doc
    return head._cache["document"]


def _sniff_config(head: Head) -> float:
    doc = _document(head)
    if doc is not None:
        return 0.95 if config_kind(doc) is not None else 0.0
    # A config too large for the head: a multi-line document naming a schedule or packs.
    multi_line = strip_comments(head.text).lstrip()[:1] == "{" and head.json_objects(1) in (
        [None],
        [],
    )
    if not head.complete and multi_line and ('"schedule"' in head.text or '"packs"' in head.text):
        return 0.6
    return 0.0


def _sniff_document(head: Head) -> float:
    doc = _document(head)
    if doc is None or config_kind(doc) is not None:
        return 0.0
    if len([ln for ln in head.lines if ln.strip()]) <= 1:
        return 0.0  # a one-line document is a JSON line: the json_lines reader decides
    return 0.7


def _sniff_glog(head: Head) -> float:
    return 0.9 if looks_like_glog(head.lines[:60]) else 0.0


def _sniff_system_log(head: Head) -> float:
    return sniff_system_log(head.lines[:200])


def _sniff_logfmt(head: Head) -> float:
    return sniff_logfmt(head.lines[:200])


def _read_system_log(
    path: str, source: str, options: LoadOptions, progress: Progress | None
) -> ReaderResult:
    return read_system_log(path, source, options=glog_options(options), progress=progress)


def _read_logfmt(
    path: str, source: str, options: LoadOptions, progress: Progress | None
) -> ReaderResult:
    return read_logfmt(path, source, options=glog_options(options), progress=progress)


def _sniff_dump(head: Head) -> float:
    return 0.92 if looks_like_dump(head.lines[:40]) else 0.0


def _read_dump(
    path: str, source: str, options: LoadOptions, progress: Progress | None
) -> ReaderResult:
    return read_database_dump(path, source)


def _read_json_lines(
    path: str, source: str, options: LoadOptions, progress: Progress | None
) -> ReaderResult:
    return read_json_lines(path, source, glog=glog_options(options), progress=progress)


def _read_glog(
    path: str, source: str, options: LoadOptions, progress: Progress | None
) -> ReaderResult:
    return read_glog(path, source, options=glog_options(options), progress=progress)


def _read_config(
    path: str, source: str, options: LoadOptions, progress: Progress | None
) -> ReaderResult:
    return read_config(path, source)


def _read_document(
    path: str, source: str, options: LoadOptions, progress: Progress | None
) -> ReaderResult:
    """A pretty-printed JSON document: a TLS envelope loads; anything else osquery never writes."""
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8-sig", "replace")
    try:
        doc = parse_json_document(text)
    except (ValueError, RecursionError) as exc:
        raise SkipFile(f"a JSON document that does not parse: {exc}") from None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if isinstance(doc, list):
        raise SkipFile(
            "a JSON array document (e.g. a test fixture wrapping osquery records); "
            "osquery writes one JSON object per line"
        )
    if isinstance(doc, dict) and _is_record(doc):
        one_line = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        result = read_json_lines(
            path, source, glog=glog_options(options), progress=progress, data=one_line
        )
        result.lines_read = lines
        result.lines_loaded = lines - len(result.bad)
        result.notes.append("a pretty-printed JSON document; rows point at its first line")
        return result
    keys = ", ".join(list(doc)[:8]) if isinstance(doc, dict) else type(doc).__name__
    raise SkipFile(f"a JSON document that osquery does not write (keys: {keys})")


READERS: tuple[Reader, ...] = (
    Reader("config", _sniff_config, _read_config),
    Reader("json_lines", _sniff_json_lines, _read_json_lines),
    Reader("glog", _sniff_glog, _read_glog),
    Reader("json_document", _sniff_document, _read_document),
    Reader("database_dump", _sniff_dump, _read_dump),
    Reader("system_log", _sniff_system_log, _read_system_log),
    Reader("logfmt", _sniff_logfmt, _read_logfmt),
)

JSON_LINES = next(r for r in READERS if r.name == "json_lines")


def choose_reader(head: Head) -> Reader:
    """The best reader for ``head``; raises ``SkipFile`` with a reason when none fits."""
    if not head.data:
        if head.skipped:
            raise SkipFile(f"only NUL bytes or whitespace ({head.skipped:,} bytes)")
        if head.size and head.compression:
            raise SkipFile(f"{head.compression} data that yields nothing (truncated or corrupt)")
        raise SkipFile("empty file")
    # Two lines that each start as osquery writes a record: JSON lines, whatever else could be
    # said of it (no config, document or text log starts so) — the other sniffers are spared (a
    # pipeline's folder of 10,000 objects is sniffed object by object).
    first = [ln for ln in head.lines[:MAX_SNIFF_LINES] if ln.strip()][:2]
    if len(first) == 2 and all(RECORD_START.match(ln) for ln in first):
        return JSON_LINES
    scored = sorted(
        ((r.sniff(head), i, r) for i, r in enumerate(READERS)), key=lambda t: (-t[0], t[1])
    )
    score, _, reader = scored[0]
    if score > 0:
        return reader
    if head.is_binary:
        raise SkipFile("binary data, not an osquery log, config or database file")
    # Described, not quoted: an unrelated file may hold anything (keys, passwords).
    raise SkipFile(f"text in no osquery format ({head.describe()} at its start)")
