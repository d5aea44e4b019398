"""Reading one input file through the read cache (``inspector.loading.read_cache``).

- unchanged file (size, modification and change times, inode, first 64 KB) → the cached tables;
- a plain JSON-lines log that grew (the part read before is intact: first 64 KB and the 64 KB
  before the last complete line) → the cached part plus only its new tail, read from that byte;
- anything else (changed, truncated, rotated over, damaged entry) → read afresh, cached again.

Records leave here with their ``content`` hash, so a cached read needs no hashing either.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import astuple
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.content_hash import with_content
from inspector.loading import content_identity
from inspector.loading.cache_integrity import prefix_crc
from inspector.loading.file_state import (
    FileState,
    Seam,
    digest,
    only_grew,
    seam_of,
    still_there,
)
from inspector.loading.read_cache import Entry, ReadCache, cache_versions
from inspector.model import LoadOptions
from inspector.progress import Progress, report
from inspector.readers.glog import glog_options
from inspector.readers.json_lines.reader import kind_of_shapes, read_json_lines
from inspector.readers.result import BadLines, ReaderResult, concat_unified, rejected_count

SEGMENTS_MAX = 16  # a log grown many times is compacted into one segment again

# (bytes to read, None: all) → result, reader name, compression
FreshRead = Callable[[int | None], tuple[ReaderResult, str, str | None]]


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
            if only_grew(path, before, cached):
                result = _with_tail(cache, key, entry, path, source, options, before, progress)
                if result is not None:
                    return result, None, "tail"
        except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
            pass  # a damaged entry: read the file again
        # This name held another content (a rotation shifted the names). Dropped on the writer
        # thread, after the load's lookups: another input of the load may be that content.
        cache.write_later(key, lambda: cache.discard(key))
    moved = _read_under_another_name(cache, key, path, source, options, before, progress)
    if moved is not None:
        return moved
    result, reader, compression = read_fresh(before.size)
    if result.records is not None:
        result.records = with_content(result.records)
    tail_ok = reader == "json_lines" and compression is None
    seam = seam_of(path, before.size, result.lines_read) if tail_ok else None
    if still_there(path, before, seam):
        cache.written.add(key)
        cache.write_later(
            key,
            lambda: _store(
                cache,
                key,
                before,
                result,
                compression,
                seam,
                [result.records],
                None,
                identity=(path, _identity_options(options)),
            ),
        )
    return result, compression, "read"


def _identity_options(options: LoadOptions) -> str:
    """What must match for a read of one file to stand for a read of its renamed copy."""
    return json.dumps([list(astuple(glog_options(options))), cache_versions()])


def _read_under_another_name(
    cache: ReadCache,
    key: str,
    path: str,
    source: str,
    options: LoadOptions,
    before: FileState,
    progress: Progress | None,
) -> tuple[ReaderResult, str | None, str] | None:
    """A read of this very content stored under another name (the file was rotated, renamed
    or copied): its tables with the new name, plus any lines the file gained since."""
    identity = _identity_options(options)
    for other in content_identity.candidates(cache.directory, path, before, identity):
        entry = cache.get(other)
        if entry is None:
            continue
        try:
            if content_identity.unchanged_content(path, before, entry.meta) and _prefix_intact(
                path, entry.meta
            ):
                report(progress, 1.0, f"{source}: from the cache (read under another name)")
                result = _renamed(_result_of(entry), source)
                seam = _seam_of_meta(entry.meta)
                compression = entry.meta["compression"]
                _store_later(cache, key, before, result, compression, seam, (path, identity))
                return result, compression, "cache"
            if only_grew(path, before, entry.meta):
                grown = _with_tail(
                    cache, key, entry, path, source, options, before, progress, renamed=True
                )
                if grown is not None:
                    return grown, None, "tail"
        except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
            continue  # a damaged or foreign entry: try the next, or read the file
    return None


def _prefix_intact(path: str, meta: dict[str, Any]) -> bool:
    """The part of ``path`` a cached log read covered still has the CRC-32 it had then (an
    entry without one — a compressed or non-log file — is judged by its fingerprint alone)."""
    if meta.get("prefix_crc") is None or meta.get("complete_offset") is None:
        return True
    return bool(prefix_crc(path, meta["complete_offset"]) == meta["prefix_crc"])


def _store_later(
    cache: ReadCache,
    key: str,
    state: FileState,
    result: ReaderResult,
    compression: str | None,
    seam: Seam | None,
    identity: tuple[str, str],
) -> None:
    """Store ``result`` under ``key`` on the cache's writer thread."""

    def store() -> None:
        _store(cache, key, state, result, compression, seam, [result.records], None, identity)

    cache.write_later(key, store)


def _seam_of_meta(meta: dict[str, Any]) -> Seam | None:
    if meta.get("complete_offset") is None:
        return None
    return Seam(meta["complete_offset"], meta["complete_lines"], meta["seam"])


def _renamed(result: ReaderResult, source: str) -> ReaderResult:
    """``result`` with every table's ``source`` naming ``source`` (a read under another name)."""
    for name in ("records", "status", "empty_runs"):
        table = getattr(result, name)
        if table is None or "source" not in table.column_names:
            continue
        index = table.schema.get_field_index("source")
        typ = table.schema.field("source").type
        values = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(table.num_rows, np.int32)), pa.array([source], pa.string())
        )
        setattr(result, name, table.set_column(index, "source", values.cast(typ)))
    return result


def _key(cache: ReadCache, path: str, source: str, options: LoadOptions) -> str:
    # What the readers are given: the year. The zone is not theirs (status rows keep their wall
    # clock; the pipeline places them), so one entry serves every zone.
    return cache.key(path, source, json.dumps(list(astuple(glog_options(options)))))


def is_cached(cache: ReadCache, path: str, source: str, options: LoadOptions) -> bool:
    """``path`` is in the cache and unchanged since (reading it again costs next to nothing)."""
    entry = cache.get(_key(cache, path, source, options))
    try:
        return entry is not None and entry.meta["state"] == list(astuple(FileState.of(path)))
    except (OSError, KeyError):
        return False


def _with_tail(
    cache: ReadCache,
    key: str,
    entry: Entry,
    path: str,
    source: str,
    options: LoadOptions,
    state: FileState,
    progress: Progress | None,
    renamed: bool = False,
) -> ReaderResult | None:
    """The cached part up to its last complete line, plus the lines after it (``renamed``: the
    entry was stored under another name — its tables take ``source``, stored afresh). None
    when the cached part is no longer what the file holds up to there (edited in the middle)."""
    meta = entry.meta
    lines_done = meta["complete_lines"]
    cached_crc = meta.get("prefix_crc")
    if cached_crc is None or prefix_crc(path, meta["complete_offset"]) != cached_crc:
        return None
    report(progress, 0.0, f"{source}: reading what was added since line {lines_done:,}")
    tail = read_json_lines(
        path,
        source,
        glog=glog_options(options),
        progress=progress,
        start=meta["complete_offset"],
        first_line=lines_done + 1,
        end=state.size,
    )
    if tail.records is not None:
        tail.records = with_content(tail.records)
    segments = list(meta["records"])
    records = entry.records()
    if renamed:
        records = _renamed(ReaderResult(kind="", records=records), source).records
        segments = []  # the segments are another entry's: this one stores its own
    if tail.records is not None and records is not None:
        tail.records = tail.records.cast(records.schema)
    new = [records, tail.records] if renamed else [tail.records]
    if records is not None and pc.max(records.column("line")).as_py() > lines_done:
        # The cached read ended in an unterminated line that parsed; the tail reads it again.
        records = _upto(records, lines_done)
        segments, new = [], [records, tail.records]
    merged = _merged(entry, records, tail, source, renamed)
    if not merged.accounted:
        return None  # the cached accounting does not add up: read the whole file instead
    seam = seam_of(path, state.size, merged.lines_read)
    if still_there(path, state, seam):
        if len(segments) + len(new) > SEGMENTS_MAX:
            segments, new = [], [merged.records]
        # The cached part's CRC carried on over the new lines only.
        crc = prefix_crc(path, seam.offset, start=meta["complete_offset"], value=cached_crc)
        # Written now, not later: the new entry keeps segment files of the one read from.
        _store(
            cache,
            key,
            state,
            merged,
            None,
            seam,
            new,
            segments,
            identity=(path, _identity_options(options)),
            crc=crc,
        )
    return merged


def _merged(
    entry: Entry, records: pa.Table | None, tail: ReaderResult, source: str, renamed: bool
) -> ReaderResult:
    """The cached read up to its last complete line (``records`` already cut there) joined with
    the read of the lines after it: rows, rejected lines, accounting, notes and shapes."""
    meta = entry.meta
    lines_done = meta["complete_lines"]
    bad = _bad_upto(entry.table("bad"), lines_done)
    status = _upto(entry.table("status"), lines_done)
    if renamed and status is not None:
        status = _renamed(ReaderResult(kind="", status=status), source).status
    merged = ReaderResult(kind=meta["kind"])
    merged.lines_read = lines_done + tail.lines_read
    loaded_before = meta["lines_loaded"] - _loaded_after(meta, bad, lines_done)
    merged.lines_loaded = loaded_before + tail.lines_loaded
    merged.records = concat_unified([records, tail.records])
    merged.status = concat_unified([status, tail.status])
    merged.queries = entry.table("queries")
    merged.empty_runs = concat_unified(
        [_upto(entry.table("empty_runs"), lines_done), tail.empty_runs]
    )
    merged.bad = BadLines.of_table(bad)
    merged.bad.merge(tail.bad)
    merged.notes = list(meta["notes"]) + [n for n in tail.notes if n not in meta["notes"]]
    shapes = dict(meta["meta"].get("shapes", {}))
    for k, v in tail.meta.get("shapes", {}).items():
        shapes[k] = shapes.get(k, 0) + v
    merged.meta = {**meta["meta"], "shapes": shapes}
    merged.kind = kind_of_shapes(shapes)
    return merged


def _loaded_after(meta: dict[str, Any], bad: pa.Table | None, lines_done: int) -> int:
    """Lines after ``lines_done`` (at most the unterminated last one) that had loaded."""
    after = int(meta["lines_read"]) - lines_done
    rejected_after = int(meta["lines_rejected"]) - (rejected_count(bad) if bad is not None else 0)
    return after - rejected_after


def _upto(table: pa.Table | None, last_line: int) -> pa.Table | None:
    if table is None:
        return None
    return table.filter(pc.less_equal(table.column("line"), last_line))


def _bad_upto(table: pa.Table | None, last_line: int) -> pa.Table | None:
    """Rejected lines up to ``last_line``; a run that goes on past it is cut there."""
    table = _upto(table, last_line)
    if table is None or not table.num_rows:
        return table
    room = pc.add(pc.subtract(last_line, table.column("line")), 1)
    lines = pc.min_element_wise(table.column("lines"), room)
    return table.set_column(table.schema.get_field_index("lines"), "lines", lines)


def _result_of(entry: Entry) -> ReaderResult:
    meta = entry.meta
    result = ReaderResult(
        kind=meta["kind"],
        lines_read=meta["lines_read"],
        lines_loaded=meta["lines_loaded"],
        records=entry.records(),
        status=entry.table("status"),
        queries=entry.table("queries"),
        empty_runs=entry.table("empty_runs"),
        bad=BadLines.of_table(entry.table("bad")),
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
    identity: tuple[str, str] | None = None,
    crc: int | None = None,
) -> None:
    """Store a read (``identity``: the file's path and the identity options, to index it by
    content as well — a rotation then finds it under the new name; ``crc``: the CRC-32 of the
    part read up to the seam, taken here from the file when not given)."""
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
        if crc is None:  # on the cache's writer thread: the whole part read, once more
            if identity is None:
                return  # no file to take it from: no entry (a tail needs the CRC)
            try:
                crc = prefix_crc(identity[0], seam.offset)
            except (OSError, ValueError):
                return
            if not still_there(identity[0], state, seam):
                return
        meta["prefix_crc"] = crc
    bad = result.bad.table("") if len(result.bad) else None
    tables = {
        "status": result.status,
        "queries": result.queries,
        "empty_runs": result.empty_runs,
        "bad": bad,
    }
    if identity is not None:
        with contextlib.suppress(OSError):
            meta["tail_digest"] = digest(identity[0], state.size)
    stored = cache.put(key, meta, [t for t in new_records if t is not None], tables, keep_segments)
    if stored and identity is not None:
        content_identity.remember(cache.directory, key, identity[0], state, identity[1])
