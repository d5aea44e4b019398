"""Following a live ``osquery.db``: a RocksDB secondary instance opened through a shadow folder.

Nothing is written beside the database: rocksdict and RocksDB write into the shadow folder of
links in the user's cache (``rocksdb_shadow``), refreshed before every catch-up so the secondary
sees the table files a flush or compaction made. New events are found per subscriber from the
highest key read before (event keys are ``data.<publisher>.<subscriber>.<eid10>``, eids only
grow): one seek per subscriber plus the new keys.

osqueryd writes events without a write-ahead log: they reach the files, and so this reader, only
when it flushes its write buffer (~18 s at 200 events/s; minutes on a quiet host). The results
log is the real-time source; ``FLUSH_NOTE`` says so wherever a database is followed.
"""

from __future__ import annotations

import logging
import os
import shutil
from typing import Any

from inspector.readers.osquery_db import Domain, database_tables
from inspector.readers.result import ReaderResult
from inspector.readers.rocksdb_shadow import ShadowFolder

log = logging.getLogger(__name__)

FLUSH_NOTE = (
    "osqueryd writes events into osquery.db without a write-ahead log: new events show here only "
    "when it flushes (about every 20 s under load, minutes on a quiet host); the results log is "
    "the real-time source"
)
EVENT_PREFIX = b"data."


class DatabaseFollower:
    """New events of one ``osquery.db`` since the last check."""

    def __init__(self, path: str, shadow_root: str | None = None) -> None:
        self.path = path
        self.shadow = ShadowFolder(path, shadow_root)
        self.secondary = self.shadow.path + ".secondary"  # the instance's own files (cache)
        self.db: Any = None
        self.families: list[str] = []
        self.events_family: str | None = None
        self.last_key: dict[bytes, bytes] = {}  # b"data.<publisher>.<subscriber>." → last key
        self.events = 0
        self.error: str | None = None
        self.seen: tuple[tuple[str, int, int], ...] | None = None  # the folder at the last catch-up

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        self.shadow.close()
        shutil.rmtree(self.secondary, ignore_errors=True)

    def last_flush(self) -> float | None:
        """When osqueryd last wrote a table file (a flush or compaction), as epoch seconds."""
        newest = None
        try:
            for entry in os.scandir(self.path):
                if entry.name.endswith(".sst"):
                    mtime = entry.stat(follow_symlinks=False).st_mtime
                    newest = mtime if newest is None else max(newest, mtime)
        except OSError:
            return None
        return newest

    def _folder(self) -> tuple[tuple[str, int, int], ...]:
        """Name, size and modification time of the database's files (a flush changes them)."""
        out = []
        try:
            for entry in os.scandir(self.path):
                st = entry.stat(follow_symlinks=False)
                out.append((entry.name, st.st_size, st.st_mtime_ns))
        except OSError:
            return ()
        return tuple(sorted(out))

    def check(self) -> ReaderResult | None:
        """Events the database gained since the last check (None: none, or not readable now)."""
        folder = self._folder()
        if folder == self.seen and self.db is not None:
            return None  # nothing flushed since: a catch-up would find nothing new
        try:
            self.shadow.refresh()
            if self.db is None:
                self._open()
            else:
                self.db.try_catch_up_with_primary()
        except Exception as exc:  # rocksdict raises plain Exceptions with RocksDB's status text
            log.warning("%s: cannot follow the database", self.path, exc_info=True)
            self.error = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            if self.db is not None:
                self.db.close()
            self.db = None  # opened afresh next time (a compaction removed a file meanwhile)
            return None
        self.error = None
        self.seen = folder
        keys, values = self._new_events()
        if not keys:
            return None
        self.events += len(keys)
        result = ReaderResult(kind="osquery_db")
        database_tables({"events": Domain.of(keys, values)}, self.path, result)
        return result

    def _open(self) -> None:
        from rocksdict import AccessType, Options, Rdict

        self.families = Rdict.list_cf(self.shadow.path)
        os.makedirs(self.secondary, exist_ok=True)
        options = {cf: Options(raw_mode=True) for cf in self.families if cf != "default"}
        main = Options(raw_mode=True)
        main.set_max_open_files(16)  # an idle catch-up costs ~1 ms instead of 9–35 (measured)
        self.db = Rdict(
            self.shadow.path,
            options=main,
            column_families=options,
            access_type=AccessType.secondary(self.secondary),
        )

    def _find_events_family(self) -> Any:
        if self.events_family is not None:
            return self._handle(self.events_family)
        for cf in self.families:
            handle = self._handle(cf)
            it = handle.iter()
            it.seek(EVENT_PREFIX)
            if it.valid() and bytes(it.key()).startswith(EVENT_PREFIX):
                self.events_family = cf
                return handle
        return None

    def _handle(self, cf: str) -> Any:
        return self.db if cf == "default" else self.db.get_column_family(cf)

    def _new_events(self) -> tuple[list[bytes], list[bytes]]:
        handle = self._find_events_family()
        if handle is None:
            return [], []
        keys: list[bytes] = []
        values: list[bytes] = []
        it = handle.iter()
        it.seek(EVENT_PREFIX)
        while it.valid():
            key = bytes(it.key())
            if not key.startswith(EVENT_PREFIX):
                break
            prefix = key[: key.rfind(b".") + 1]
            last = self.last_key.get(prefix)
            if last is not None and key <= last:
                it.seek(last)  # skip what was read: straight past the last key
                if it.valid() and bytes(it.key()) == last:
                    it.next()
                continue
            keys.append(key)
            values.append(bytes(it.value()))
            self.last_key[prefix] = key
            it.next()
        return keys, values
