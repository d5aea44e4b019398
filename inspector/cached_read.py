"""Reading one input file through the read cache (``inspector.cache``).

- unchanged file (size, modification and change times, inode, first 64 KB) → the cached tables;
- a plain JSON-lines log that grew (the part read before is intact: first 64 KB and the 64 KB
  before the last complete line) → the cached part plus only its new tail, read from that byte;
- anything else (changed, truncated, rotated over, damaged entry) → read afresh, cached again.

Records leave here with their ``content`` hash, so a cached read needs no hashing either.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.content import with_content
from inspector.cache import Entry, ReadCache, write_later
from inspector.progress import Progress, report
from inspector.readers.json_lines import kind_of_shapes, read_json_lines
from inspector.readers.registry import LoadOptions
from inspector.readers.result import BadLines, ReaderResult

FINGERPRINT_BYTES = 64 * 1024
SEGMENTS_MAX = 16  # a log grown many times is compacted into one segment again

# (bytes to read, None: all) → result, reader name, compression
FreshRead = Callable[[int | None], tuple[ReaderResult, str, str | None]]


@dataclass(frozen=True)
class FileState:
    """What identifies a file's content without reading all of it."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    head: str  # hash of the first 64 KB

    @classmethod
    def of(cls, path: str) -> FileState:
        st = os.stat(path)
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, _digest(path, 0))


def read_through_cache(
    cache: ReadCache,
    path: str,
    source: str,
    options: LoadOptions,
    read_fresh: FreshRead,
    progress: Progress | None = None,
) -> tuple[ReaderResult, str | None, str]:
    """``(result, compression, how)`` for ``path``; ``how`` is ``cache``, ``tail`` or ``read``.

    A plain JSON-lines log is read up to its size when the read started: an agent appending to
    it meanwhile changes nothing in that prefix, so the read is cached all the same (and the
    lines added since come as the tail next time)."""
    key = _key(cache, path, source, options)
    before = FileState.of(path)
    entry = cache.get(key)
    if entry is not None:
        cached = entry.meta
        try:
            if cached["state"] == list(astuple(before)):
                report(progress, 1.0, f"{source}: from the cache")
                how = "read" if key in cache.written else "cache"  # e.g. by this load's preview
                return _result_of(entry), cached["compression"], how
            if _grown(path, before, cached):
                result = _with_tail(cache, key, entry, path, source, options, before, progress)
                if result is not None:
                    return result, None, "tail"
        except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
            pass  # a damaged entry: read the file again
        cache.discard(key)
    result, reader, compression = read_fresh(before.size)
    if result.records is not None:
        result.records = with_content(result.records)
    tail_ok = reader == "json_lines" and compression is None
    seam = _seam(path, before.size, result.lines_read) if tail_ok else None
    if _unchanged(path, before, seam):
        cache.written.add(key)
        write_later(
            key,
            lambda: _store(cache, key, before, result, compression, seam, [result.records], None),
        )
    return result, compression, "read"


def _key(cache: ReadCache, path: str, source: str, options: LoadOptions) -> str:
    # The resolved zone, not just the option: with none given, glog times follow this machine's.
    zone = str(options.glog.zone) if options.tz is None else options.tz
    return cache.key(path, source, json.dumps([*astuple(options), zone]))


@dataclass(frozen=True)
class Seam:
    """Where a cached read of a plain log ends: after its last complete line."""

    offset: int  # byte just after the last newline read
    lines: int  # complete lines before it
    digest: str  # hash of the 64 KB before it

    def meta(self) -> dict[str, Any]:
        return {"complete_offset": self.offset, "complete_lines": self.lines, "seam": self.digest}


def _seam(path: str, size: int, lines_read: int) -> Seam:
    offset, lines = _last_complete_line(path, size, lines_read)
    return Seam(offset, lines, _digest(path, offset))


def _unchanged(path: str, before: FileState, seam: Seam | None) -> bool:
    """What was read is still what the file holds: the same file (or, for a log read up to
    ``before.size``, the same file that at most grew: same beginning, same seam)."""
    try:
        now = FileState.of(path)
        if seam is None:
            return now == before
        return (
            now.inode == before.inode
            and now.size >= before.size
            and _digest(path, min(before.size, FINGERPRINT_BYTES), start=0) == before.head
            and _digest(path, seam.offset) == seam.digest
        )
    except OSError:
        return False


def is_cached(cache: ReadCache, path: str, source: str, options: LoadOptions) -> bool:
    """``path`` is in the cache and unchanged since (reading it again costs next to nothing)."""
    entry = cache.get(_key(cache, path, source, options))
    try:
        return entry is not None and entry.meta["state"] == list(astuple(FileState.of(path)))
    except (OSError, KeyError):
        return False


def _grown(path: str, now: FileState, cached: dict[str, Any]) -> bool:
    """The file only grew since it was cached: what was read then is still there, unchanged."""
    was = FileState(*cached["state"])
    seam = cached.get("complete_offset")
    return (
        seam is not None
        and now.size > was.size
        and now.inode == was.inode
        and _digest(path, min(was.size, FINGERPRINT_BYTES), start=0) == was.head
        and _digest(path, seam) == cached["seam"]
    )


def _with_tail(
    cache: ReadCache,
    key: str,
    entry: Entry,
    path: str,
    source: str,
    options: LoadOptions,
    state: FileState,
    progress: Progress | None,
) -> ReaderResult | None:
    """The cached part up to its last complete line, plus the lines after it."""
    meta = entry.meta
    lines_done = meta["complete_lines"]
    report(progress, 0.0, f"{source}: reading what was added since line {lines_done:,}")
    tail = read_json_lines(
        path,
        source,
        glog=options.glog,
        progress=progress,
        start=meta["complete_offset"],
        first_line=lines_done + 1,
        end=state.size,
    )
    if tail.records is not None:
        tail.records = with_content(tail.records)
    segments = list(meta["records"])
    records = entry.records()
    if tail.records is not None and records is not None:
        tail.records = tail.records.cast(records.schema)
    new = [tail.records]
    if records is not None and pc.max(records.column("line")).as_py() > lines_done:
        # The cached read ended in an unterminated line that parsed; the tail reads it again.
        records = _upto(records, lines_done)
        segments, new = [], [records, tail.records]
    bad = _upto(entry.table("bad"), lines_done)
    status = _upto(entry.table("status"), lines_done)
    merged = ReaderResult(kind=meta["kind"])
    merged.lines_read = lines_done + tail.lines_read
    loaded_before = meta["lines_loaded"] - _loaded_after(meta, bad, lines_done)
    merged.lines_loaded = loaded_before + tail.lines_loaded
    merged.records = _concat([records, tail.records])
    merged.status = _concat([status, tail.status])
    merged.queries = entry.table("queries")
    merged.bad = _bad_lines(bad)
    merged.bad.extend(tail.bad.lines, tail.bad.reasons)
    merged.notes = list(meta["notes"]) + [n for n in tail.notes if n not in meta["notes"]]
    shapes = dict(meta["meta"].get("shapes", {}))
    for k, v in tail.meta.get("shapes", {}).items():
        shapes[k] = shapes.get(k, 0) + v
    merged.meta = {**meta["meta"], "shapes": shapes}
    merged.kind = kind_of_shapes(shapes)
    if not merged.accounted:
        return None  # the cached accounting does not add up: read the whole file instead
    seam = _seam(path, state.size, merged.lines_read)
    if _unchanged(path, state, seam):
        if len(segments) + len(new) > SEGMENTS_MAX:
            segments, new = [], [merged.records]
        # Written now, not later: the new entry keeps segment files of the one read from.
        _store(cache, key, state, merged, None, seam, new, segments)
    return merged


def _concat(tables: list[pa.Table | None]) -> pa.Table | None:
    parts = [t for t in tables if t is not None and t.num_rows]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else pa.concat_tables(parts).unify_dictionaries()


def _loaded_after(meta: dict[str, Any], bad: pa.Table | None, lines_done: int) -> int:
    """Lines after ``lines_done`` (at most the unterminated last one) that had loaded."""
    after = meta["lines_read"] - lines_done
    rejected_after = meta["lines_rejected"] - (bad.num_rows if bad is not None else 0)
    return after - rejected_after


def _upto(table: pa.Table | None, last_line: int) -> pa.Table | None:
    if table is None:
        return None
    return table.filter(pc.less_equal(table.column("line"), last_line))


def _bad_lines(table: pa.Table | None) -> BadLines:
    bad = BadLines()
    if table is not None:
        bad.extend(table.column("line").to_pylist(), table.column("reason").to_pylist())
    return bad


def _result_of(entry: Entry) -> ReaderResult:
    meta = entry.meta
    result = ReaderResult(
        kind=meta["kind"],
        lines_read=meta["lines_read"],
        lines_loaded=meta["lines_loaded"],
        records=entry.records(),
        status=entry.table("status"),
        queries=entry.table("queries"),
        bad=_bad_lines(entry.table("bad")),
        notes=list(meta["notes"]),
        meta=dict(meta["meta"]),
    )
    return result


def _store(
    cache: ReadCache,
    key: str,
    state: FileState,
    result: ReaderResult,
    compression: str | None,
    seam: Seam | None,
    new_records: list[pa.Table | None],
    keep_segments: list[str] | None,
) -> None:
    try:
        json.dumps(result.meta)
    except (TypeError, ValueError):
        return  # a reader's notes this cache cannot keep: such inputs are read each time
    meta: dict[str, Any] = {
        "state": list(astuple(state)),
        "compression": compression,
        "kind": result.kind,
        "lines_read": result.lines_read,
        "lines_loaded": result.lines_loaded,
        "lines_rejected": len(result.bad),
        "notes": result.notes,
        "meta": result.meta,
    }
    if seam is not None:
        meta.update(seam.meta())
    bad = result.bad.table("") if len(result.bad) else None
    tables = {"status": result.status, "queries": result.queries, "bad": bad}
    cache.put(key, meta, [t for t in new_records if t is not None], tables, keep_segments)


def _last_complete_line(path: str, size: int, lines_read: int) -> tuple[int, int]:
    """Byte offset just after the last newline within ``size``, and the lines before it."""
    with open(path, "rb") as f:
        pos = size
        while pos > 0:
            start = max(0, pos - FINGERPRINT_BYTES)
            f.seek(start)
            block = f.read(pos - start)
            cut = block.rfind(b"\n")
            if cut >= 0:
                offset = start + cut + 1
                return offset, lines_read - (1 if offset < size else 0)
            pos = start
    return 0, 0


def _digest(path: str, end: int, start: int | None = None) -> str:
    """Hash of bytes ``start``…``end`` (default: the 64 KB before ``end``; ``end`` 0: the first
    64 KB of the file)."""
    if start is None:
        start = max(0, end - FINGERPRINT_BYTES) if end else 0
    if not end:
        end = start + FINGERPRINT_BYTES
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    return hashlib.sha256(data).hexdigest()
