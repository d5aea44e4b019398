"""The read cache: what a reader got out of an input file, kept as Arrow IPC files in the user's
cache directory (never beside the input), so reopening a big log maps it back in a blink.

An entry is a folder named by a hash of the file's real path, the name it was given as, the load
options and the versions that shape the tables (schema version, DuckDB — its ``hash`` feeds the
``content`` column and changes between versions). ``entry.json`` holds the file's fingerprint and
the reader's accounting and a checksum of every file (and of itself); the tables are uncompressed
IPC files read back memory-mapped, checked against their checksums first (``cache_integrity``).
Entries are written to a temporary folder and renamed into place, so a reader never sees half an
entry and a table still mapped from an older entry stays valid. An entry that is damaged or
fails its checksum is dropped and its input read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.ipc as ipc
from platformdirs import user_cache_dir

from inspector import __version__
from inspector.loading.cache_integrity import (
    CacheDamaged,
    file_checksum,
    meta_checksum,
    verify_file,
)
from inspector.readers.result import concat_unified
from inspector.schema import BAD_LINES, EMPTY_RUNS, LOADED_RECORDS, QUERIES, STATUS

CACHE_FORMAT = 3  # bump when a reader's output or this layout changes
DEFAULT_LIMIT = 5 * 10**9  # bytes, as disks count
TABLES = (
    "status",
    "queries",
    "empty_runs",
    "bad",
)  # small tables, one file each; records come in segments
STALE_TEMP_SECONDS = 3600  # staging/trash folders older than this were left by a crash
_VERSIONS = "\0".join(
    [str(CACHE_FORMAT), __version__, duckdb.__version__, pa.__version__,
     str(LOADED_RECORDS), str(STATUS), str(QUERIES), str(EMPTY_RUNS), str(BAD_LINES)]
)  # fmt: skip


def cache_versions() -> str:
    """The versions that shape what a read stores (an entry from other versions is not used)."""
    return hashlib.sha256(_VERSIONS.encode()).hexdigest()[:16]


@dataclass
class Entry:
    """One cached read: ``meta`` (entry.json) and the folder its tables are in."""

    folder: str
    meta: dict[str, Any]

    def table(self, name: str) -> pa.Table | None:
        """A small table of the entry, or None when the reader gave none. ``CacheDamaged``
        (a ``ValueError``) when its file is not what was written."""
        if name not in self.meta["tables"]:
            return None
        return self._mapped(f"{name}.arrow")

    def records(self) -> pa.Table | None:
        """All record segments, in file order (memory-mapped; several segments share their
        dictionaries at the price of a copy of the dictionary indices)."""
        names = self.meta["records"]
        if not names:
            return None
        return concat_unified([self._mapped(n) for n in names])

    def _mapped(self, name: str) -> pa.Table:
        path = os.path.join(self.folder, name)
        verify_file(path, self.meta.get("files", {}).get(name))
        return _read_ipc(path)


_writer: ThreadPoolExecutor | None = None  # one thread for every cache: writes never overlap
_pending: dict[str, Future[object]] = {}  # entry key → its write under way
_writer_lock = threading.Lock()


def write_later(key: str, fn: Callable[[], object]) -> None:
    """Run ``fn`` (the write of entry ``key``) on the cache's writer thread, so that a load
    returns as soon as its tables are read; the interpreter waits for the thread at exit."""
    global _writer
    with _writer_lock:
        if _writer is None:
            _writer = ThreadPoolExecutor(1, thread_name_prefix="read-cache")
        for done in [k for k, f in _pending.items() if f.done()]:
            del _pending[done]
        _pending[key] = _writer.submit(fn)


def flush(key: str | None = None) -> None:
    """Wait until the write of entry ``key`` (default: every write started so far) is done."""
    with _writer_lock:
        waiting = list(_pending.values()) if key is None else [_pending.get(key)]
    for future in waiting:
        if future is not None:
            future.exception()  # waits; a failed write only means no entry


def default_directory() -> str:
    """``<user cache>/osquery-inspector/reads``."""
    return os.path.join(user_cache_dir("osquery-inspector"), "reads")


class ReadCache:
    """Cached reads in ``directory`` (default: the user's cache), at most ``limit`` bytes.

    The limit is kept in ``settings.json`` beside the entries so the window and the command line
    share it; least recently used entries go first when it is exceeded."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = directory or default_directory()
        self._held: list[tuple[str, Callable[[], object]]] = []
        self._holds = 0
        self._hold_lock = threading.Lock()
        # Entries stored by the load under way (and its preview): read back, they are reported
        # as read, not as "from the cache"; ``workspace.load`` empties it when it ends.
        self.written: set[str] = set()

    def write_later(self, key: str, fn: Callable[[], object]) -> None:
        """``write_later`` for this cache: held while a load reads its inputs (``holding``)."""
        with self._hold_lock:
            if self._holds:
                self._held.append((key, fn))
                return
        write_later(key, fn)

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """Writes wait until the block ends: inputs read at once each look entries up as the
        cache was before the load (a rotated set's reads under new names must not replace the
        entries another input of the same load is about to find)."""
        with self._hold_lock:
            self._holds += 1
        try:
            yield
        finally:
            with self._hold_lock:
                self._holds -= 1
                held, self._held = (self._held, []) if not self._holds else ([], self._held)
            for key, fn in held:
                write_later(key, fn)

    # -- settings -------------------------------------------------------------------------------
    @property
    def limit(self) -> int:
        try:
            with open(os.path.join(self.directory, "settings.json"), encoding="utf-8") as f:
                return int(json.load(f)["limit_bytes"])
        except (OSError, ValueError, KeyError, TypeError):
            return DEFAULT_LIMIT

    def set_limit(self, limit: int) -> None:
        """Keep at most ``limit`` bytes (evicting now if the cache holds more)."""
        os.makedirs(self.directory, exist_ok=True)
        _write_json(os.path.join(self.directory, "settings.json"), {"limit_bytes": int(limit)})
        self._evict()

    # -- entries --------------------------------------------------------------------------------
    def key(self, path: str, source: str, options: str) -> str:
        """The entry name for ``path`` read as ``source`` with ``options`` (everything that
        shapes what is read: the app's version and table schemas, DuckDB's — its ``hash`` makes
        the ``content`` column — and pyarrow's)."""
        parts = [os.path.realpath(path), source, options, _VERSIONS]
        return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]

    def get(self, key: str) -> Entry | None:
        """The entry ``key``, or None (a damaged entry is removed). Waits for writes under way:
        reading an entry about to be complete beats reading its file again."""
        flush(key)
        folder = os.path.join(self.directory, key)
        try:
            with open(os.path.join(folder, "entry.json"), encoding="utf-8") as f:
                meta = json.load(f)
            if not isinstance(meta, dict) or meta.get("format") != CACHE_FORMAT:
                raise ValueError("old format")
            if meta.get("meta_sum") != meta_checksum(meta):
                raise CacheDamaged("entry.json: checksum mismatch")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError):
            self.discard(key)
            return None
        with contextlib.suppress(OSError):
            os.utime(os.path.join(folder, "entry.json"))  # last use, for eviction
        return Entry(folder, meta)

    def put(
        self,
        key: str,
        meta: dict[str, Any],
        records: list[pa.Table],
        tables: dict[str, pa.Table | None],
        keep_segments: list[str] | None = None,
    ) -> bool:
        """Store an entry (replacing any); ``keep_segments`` are record files of the entry
        already in place that stay (a grown log adds its tail as a new segment). Returns whether
        it was stored (not when it alone exceeds the limit or the disk refuses)."""
        final = os.path.join(self.directory, key)
        try:
            os.makedirs(self.directory, exist_ok=True)
            staging = tempfile.mkdtemp(prefix=f".{key}-", dir=self.directory)
        except OSError:
            return False  # no cache today (read-only home, full disk): loading goes on
        try:
            names = list(keep_segments or [])
            sums = _kept_sums(final, names)
            for name in names:
                os.link(os.path.join(final, name), os.path.join(staging, name))
            number = 1 + max((int(n.split("-")[1].split(".")[0]) for n in names), default=0)
            for table in records:
                if table is not None and table.num_rows:
                    name = f"records-{number:04d}.arrow"
                    sums[name] = _write_ipc(os.path.join(staging, name), table)
                    names.append(name)
                    number += 1
            for name, table in tables.items():
                if table is not None:
                    sums[f"{name}.arrow"] = _write_ipc(
                        os.path.join(staging, f"{name}.arrow"), table
                    )
            meta = {
                **meta,
                "format": CACHE_FORMAT,
                "records": names,
                "tables": [n for n, t in tables.items() if t is not None],
                "files": sums,
            }
            meta["bytes"] = sum(e.stat().st_size for e in os.scandir(staging))
            if meta["bytes"] > self.limit:
                shutil.rmtree(staging, ignore_errors=True)
                return False
            meta["meta_sum"] = meta_checksum(meta)
            _write_json(os.path.join(staging, "entry.json"), meta)
            self.discard(key)
            os.rename(staging, final)
            self._evict(keep=key)
        except (OSError, pa.ArrowException, TypeError, ValueError, RuntimeError):
            # No entry (a full disk, an exiting interpreter …): the load itself is unaffected.
            logging.getLogger(__name__).warning(
                "read cache: entry %s not stored", key, exc_info=True
            )
            shutil.rmtree(staging, ignore_errors=True)
            return False
        return True

    def discard(self, key: str) -> None:
        """Remove one entry (tables still mapped by a loaded run stay readable)."""
        folder = os.path.join(self.directory, key)
        if not os.path.isdir(folder):
            return
        try:  # out of the way first (atomic), so no reader sees half an entry
            trash = tempfile.mkdtemp(prefix=".trash-", dir=self.directory)
            os.rename(folder, os.path.join(trash, key))
            folder = trash
        except OSError:
            pass  # a full or read-only disk: remove it in place, as far as it goes
        shutil.rmtree(folder, ignore_errors=True)

    def usage(self, wait: bool = True) -> tuple[int, int]:
        """(entries, bytes) the cache holds (after the writes under way, if ``wait``)."""
        if wait:
            flush()
        entries = self._entries()
        return len(entries), sum(size for _, size, _ in entries)

    def clear(self) -> int:
        """Remove every entry (and leftovers of interrupted writes); return the bytes freed."""
        flush()
        _, size = self.usage()
        if os.path.isdir(self.directory):
            for e in os.scandir(self.directory):
                if e.is_dir(follow_symlinks=False):
                    shutil.rmtree(e.path, ignore_errors=True)
        return size

    def _entries(self) -> list[tuple[str, int, float]]:
        """(key, bytes, last use) of every complete entry."""
        out: list[tuple[str, int, float]] = []
        if not os.path.isdir(self.directory):
            return out
        for e in os.scandir(self.directory):
            if not e.is_dir(follow_symlinks=False) or e.name.startswith("."):
                continue
            try:
                meta_path = os.path.join(e.path, "entry.json")
                size = sum(f.stat().st_size for f in os.scandir(e.path))
                out.append((e.name, size, os.stat(meta_path).st_mtime))
            except OSError:
                continue
        return out

    def _evict(self, keep: str | None = None) -> None:
        """Least recently used entries out until the limit holds; leftovers of crashes out."""
        now = time.time()
        for e in os.scandir(self.directory) if os.path.isdir(self.directory) else []:
            if e.name.startswith(".") and e.is_dir(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    if now - e.stat().st_mtime > STALE_TEMP_SECONDS:
                        shutil.rmtree(e.path, ignore_errors=True)
        limit = self.limit
        entries = sorted(self._entries(), key=lambda t: t[2])  # oldest use first
        total = sum(size for _, size, _ in entries)
        for key, size, _ in entries:
            if total <= limit:
                break
            if key != keep:
                self.discard(key)
                total -= size


def _write_ipc(path: str, table: pa.Table) -> str:
    """Write ``table`` as an IPC file; return the file's checksum."""
    table = table.unify_dictionaries()  # the IPC file format allows one dictionary per column
    with pa.OSFile(path, "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return file_checksum(path)


def _kept_sums(folder: str, names: list[str]) -> dict[str, str]:
    """Checksums of segment files kept from the entry in ``folder`` (from its metadata, else
    taken afresh)."""
    try:
        with open(os.path.join(folder, "entry.json"), encoding="utf-8") as f:
            known = dict(json.load(f).get("files") or {})
    except (OSError, ValueError, AttributeError):
        known = {}
    return {n: known.get(n) or file_checksum(os.path.join(folder, n)) for n in names}


def _read_ipc(path: str) -> pa.Table:
    table = ipc.open_file(pa.memory_map(path, "r")).read_all()
    table.validate()  # buffer sizes against lengths: catches a truncated or mangled file cheaply
    return table


def _write_json(path: str, data: dict[str, Any]) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f)
    os.replace(tmp, path)
