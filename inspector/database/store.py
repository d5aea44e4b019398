"""Every key and value of an ``osquery.db``, per column family, read without writing beside it.

The database is opened read-only through a shadow folder of symbolic links in the user's cache
(``inspector.readers.rocksdb_shadow``): rocksdict and RocksDB write their own files there, never
into the input. Keys and values come back as Arrow binary arrays in key order (one joined buffer
and its offsets: building them from a million ``bytes`` objects one by one would be far slower),
with RocksDB's own properties of each family read while it is open.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pyarrow as pa

from inspector import gil_friendly
from inspector.database.properties import read_properties
from inspector.gil_friendly import take_all
from inspector.progress import Progress, report
from inspector.readers.database_error import DatabaseError
from inspector.readers.rocksdb_db import looks_like_rocksdb
from inspector.readers.rocksdb_shadow import ShadowFolder

log = logging.getLogger(__name__)

OPEN_TRIES = 6
FileState = tuple[int, int, int, int, int]  # size, mtime, ctime, inode, link count


@dataclass
class Family:
    """One column family as RocksDB lists it: its keys and values in key order."""

    name: str
    keys: pa.Array  # large_binary
    values: pa.Array  # large_binary
    properties: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def key_lengths(self) -> np.ndarray:
        return lengths(self.keys)

    @property
    def value_lengths(self) -> np.ndarray:
        return lengths(self.values)


@dataclass
class StoredDatabase:
    """What one read of a database gave: its families in RocksDB's listing order."""

    path: str
    families: list[Family]
    unchanged: bool  # the folder's files (names, sizes, times, inodes, links) are as before


def read_database(path: str, progress: Progress | None = None) -> StoredDatabase:
    """Read every column family of the RocksDB database at ``path``.

    Raises ``DatabaseError`` (naming ``path``) when it is not a readable RocksDB database.
    """
    if not os.path.isdir(path) or not looks_like_rocksdb(path):
        raise DatabaseError(f"{path}: not a RocksDB database folder (no CURRENT/MANIFEST)")
    before = folder_state(path)
    try:
        shadow = ShadowFolder(path)
    except PermissionError as exc:
        raise DatabaseError(f"{path}: permission denied reading {exc.filename or path}") from None
    try:
        for attempt in range(OPEN_TRIES):
            started = folder_state(path)
            try:
                families = _read_families(shadow.path, path, progress)
                break
            except DatabaseError:
                # A live osqueryd flushed or compacted between linking and opening: again.
                if folder_state(path) == started or attempt == OPEN_TRIES - 1:
                    raise
                shadow.refresh()
    except PermissionError as exc:
        raise DatabaseError(f"{path}: permission denied reading {exc.filename or path}") from None
    finally:
        shadow.close()
    return StoredDatabase(path, families, unchanged=folder_state(path) == before)


def folder_state(path: str) -> dict[str, FileState]:
    """Name → (size, mtime, ctime, inode, link count) of every entry of the folder."""
    out = {}
    for entry in os.scandir(path):
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        out[entry.name] = (
            info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_nlink,
        )  # fmt: skip
    return out


def _read_families(shadow: str, path: str, progress: Progress | None) -> list[Family]:
    from rocksdict import AccessType, Options, Rdict

    try:
        names = Rdict.list_cf(shadow)
        options = {cf: Options(raw_mode=True) for cf in names if cf != "default"}
        db = Rdict(shadow, options=Options(raw_mode=True), column_families=options,
                   access_type=AccessType.read_only())  # fmt: skip
    except Exception as exc:  # rocksdict raises plain Exceptions with RocksDB's status text
        raise DatabaseError(
            f"{path}: not a readable RocksDB database ({_short(exc, shadow, path)})"
        ) from None
    try:
        out = []
        for i, name in enumerate(names):
            report(progress, i / max(len(names), 1), f"{path}: reading column family {name}")
            handle = db if name == "default" else db.get_column_family(name)
            properties = read_properties(handle)
            # raw mode: every key is bytes (rocksdict's stubs allow any key type)
            # In slices (inspector.gil_friendly): the window's GUI thread waits for the GIL.
            keys = binary_array(cast(list[bytes], take_all(handle.keys())))
            values = binary_array(take_all(handle.values()))
            out.append(Family(name, keys, values, properties))
        return out
    except DatabaseError:
        raise
    except Exception as exc:
        log.warning("reading %s failed", path, exc_info=True)
        raise DatabaseError(
            f"{path}: the database is damaged ({_short(exc, shadow, path)})"
        ) from None
    finally:
        db.close()


def binary_array(raw: list[bytes]) -> pa.Array:
    """``bytes`` objects as one Arrow ``large_binary`` array (one joined buffer, its offsets)."""
    offsets = np.zeros(len(raw) + 1, dtype=np.int64)
    np.cumsum(gil_friendly.lengths(raw), out=offsets[1:])
    data = pa.py_buffer(gil_friendly.joined(raw, int(offsets[-1])))
    return pa.Array.from_buffers(pa.large_binary(), len(raw), [None, pa.py_buffer(offsets), data])


def lengths(array: pa.Array) -> np.ndarray:
    """Byte length of each element of a ``large_binary``/``large_string`` array (its offsets)."""
    offsets = np.frombuffer(array.buffers()[1], np.int64, len(array) + 1, array.offset * 8)
    return np.diff(offsets)


def as_strings(binary: pa.Array) -> pa.Array:
    """Binary → ``large_string``; invalid UTF-8 (osquery never writes it) replaced, not fatal."""
    try:
        return binary.cast(pa.large_string())
    except pa.ArrowInvalid:
        texts = [b.decode("utf-8", "replace") for b in binary.to_pylist()]
        return pa.array(texts, pa.large_string())


def _short(exc: Exception, shadow: str, path: str) -> str:
    """RocksDB's message, naming the user's database rather than its shadow folder."""
    text = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return text.replace(shadow, path)
