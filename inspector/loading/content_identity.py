"""Finding a cached read by what a file is, not what it is called: a rotation renames every file
of a set (the live log becomes ``.1``, ``.1`` becomes ``.2``), and a cache keyed by path alone
read them all again (measured: 2.67 s against 1.17 s unchanged, 10 files).

An index in the cache folder (``identities.json``) maps two identities of every stored read to
its entry: the inode (the same file renamed, perhaps grown since) and the
size with the first and last 64 KB (a copy, as logrotate's ``copytruncate`` makes). A lookup
checks the entry's recorded state against the file before it is used.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from typing import Any

from inspector.loading.file_state import FileState, digest

INDEX_FILE = "identities.json"
INDEX_LIMIT = 4096  # identities kept (the oldest forgotten first)
_lock = threading.Lock()


def _hash(*parts: object) -> str:
    return hashlib.sha256("\0".join(str(p) for p in parts).encode()).hexdigest()[:32]


def same_file_key(state: FileState, options: str) -> str:
    """The identity of one file under any name: its inode (the entry's recorded first bytes
    are checked before use, so a reused inode is not mistaken for the file)."""
    return _hash("inode", state.inode, options)


def copy_key(size: int, head: str, tail: str, options: str) -> str:
    """The identity of one content in any file (its size, first and last 64 KB)."""
    return _hash("copy", size, head, tail, options)


def _read(directory: str) -> dict[str, str]:
    try:
        with open(os.path.join(directory, INDEX_FILE), encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def remember(directory: str, entry_key: str, path: str, state: FileState, options: str) -> None:
    """Index a stored read of ``path`` (best effort: a lost update only costs a re-read)."""
    try:
        identities = {
            same_file_key(state, options): entry_key,
            copy_key(state.size, state.head, digest(path, state.size), options): entry_key,
        }
    except OSError:
        return
    with _lock:
        index = _read(directory)
        for k in identities:
            index.pop(k, None)
        index.update(identities)
        if len(index) > INDEX_LIMIT:
            index = dict(list(index.items())[-INDEX_LIMIT:])
        tmp = os.path.join(directory, f"{INDEX_FILE}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(index, f)
            os.replace(tmp, os.path.join(directory, INDEX_FILE))
        except OSError:
            return


def candidates(directory: str, path: str, state: FileState, options: str) -> list[str]:
    """Entry keys that may hold a read of this file under another name: the same file first."""
    index = _read(directory)
    out = []
    same = index.get(same_file_key(state, options))
    if same is not None:
        out.append(same)
    try:
        copy = index.get(copy_key(state.size, state.head, digest(path, state.size), options))
    except OSError:
        copy = None
    if copy is not None and copy not in out:
        out.append(copy)
    return out


def unchanged_content(path: str, now: FileState, cached: dict[str, Any]) -> bool:
    """The entry read exactly what the file holds now (renamed or copied: name, inode and
    change time aside)."""
    was = FileState(*cached["state"])
    if (now.size, now.head) != (was.size, was.head):
        return False
    if now.inode == was.inode and now.mtime_ns == was.mtime_ns:
        return True  # renamed: the same inode, not written since
    tail = cached.get("tail_digest")
    return tail is not None and digest(path, now.size) == tail
