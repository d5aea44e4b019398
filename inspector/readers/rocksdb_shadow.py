"""Opening an ``osquery.db`` without writing anything into its folder: a shadow folder of links.

rocksdict writes ``rocksdict-config.json`` into whatever folder it opens (read-only and secondary
opens included) and RocksDB wants to own the folder's ``LOCK`` and ``LOG``. Copying the database
costs time, and hard-linking its table files changes their ctime and link count. Instead the
database is opened through a private folder in the user's cache that holds a symbolic link to
each of the database's files (never to ``LOCK``, ``LOG*`` or rocksdict's file): whatever RocksDB
or rocksdict writes lands in the shadow folder, and the input's files are only read.

Table files are immutable, and RocksDB keeps every one it opened open (``max_open_files=-1``), so
a compaction that deletes one afterwards does not disturb a read in progress; a file deleted
between listing and opening makes the open fail, and the caller refreshes the links and retries.

Each shadow folder's name carries the process id that made it: a later start removes the ones
whose process is gone (a read that was killed). When the cache folder cannot be written the
shadow goes to the system's temporary folder instead: the cache is an optimisation, never a
condition for reading.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator

from platformdirs import user_cache_dir

from inspector.files.pid_alive import pid_alive

# Files never linked: RocksDB's lock and info log (it would write them), rocksdict's own file.
NOT_LINKED_PREFIXES = ("LOCK", "LOG", "rocksdict-config.json")
SHADOW_PREFIX = "osquery-db-"


def shadow_root() -> str:
    """The folder in the user's cache that holds the shadow folders."""
    return os.path.join(user_cache_dir("osquery-inspector"), "shadows")


def _linked(name: str) -> bool:
    return not name.startswith(NOT_LINKED_PREFIXES)


class ShadowFolder:
    """A private folder of symbolic links to a database's files, refreshed on demand."""

    def __init__(self, database: str, root: str | None = None) -> None:
        self.database = os.path.realpath(database)
        prefix = f"{SHADOW_PREFIX}{os.getpid()}-"
        root = root or shadow_root()
        try:
            os.makedirs(root, exist_ok=True)
            remove_stale_shadows(root)
            self.path = tempfile.mkdtemp(prefix=prefix, dir=root)
        except OSError:
            # The cache folder cannot be written (a read-only home, a full disk, a file where
            # the folder should be): the shadow is scratch space, the system's temporary folder
            # serves as well. The database is still only read.
            fallback = tempfile.gettempdir()
            remove_stale_shadows(fallback)
            self.path = tempfile.mkdtemp(prefix=prefix, dir=fallback)
        self.refresh()

    def refresh(self) -> list[str]:
        """Link files the database gained, drop links to files it lost; return the linked names.

        Raises ``FileNotFoundError``/``PermissionError`` when the database folder cannot be listed.
        """
        names = sorted(n for n in os.listdir(self.database) if _linked(n))
        wanted = set(names)
        for entry in os.scandir(self.path):
            if entry.is_symlink() and entry.name not in wanted:
                os.unlink(entry.path)
        for name in names:
            link = os.path.join(self.path, name)
            if not os.path.lexists(link):
                os.symlink(os.path.join(self.database, name), link)
        return names

    def close(self) -> None:
        """Remove the shadow folder (links and whatever RocksDB or rocksdict wrote into it)."""
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> ShadowFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def shadow_of(database: str) -> Iterator[ShadowFolder]:
    """A shadow folder of ``database`` for the duration of the block."""
    shadow = ShadowFolder(database)
    try:
        yield shadow
    finally:
        shadow.close()


def remove_stale_shadows(root: str | None = None) -> int:
    """Remove shadow folders left by processes that are gone (killed reads); return how many."""
    root = root or shadow_root()
    removed = 0
    try:
        entries = list(os.scandir(root))
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(SHADOW_PREFIX) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue  # another user's (a shared temporary folder): not ours to remove
        except OSError:
            continue
        pid_text = entry.name[len(SHADOW_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and pid_alive(int(pid_text)):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        removed += 1
    return removed
