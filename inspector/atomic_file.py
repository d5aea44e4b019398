"""Writing an output file so that a crash, a kill or a full disk never leaves half a file under
its name: the data goes to a temporary file in the same folder, is flushed to the disk, and is
renamed over the final name in one step. The previous file stays whole until that rename.

A temporary file left by a killed process carries that process's id in its name; the next write
of the same output removes it once that process is gone.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

from inspector.files.pid_alive import pid_alive

PART_SUFFIX = ".part"


def _temporary_name(path: str) -> str:
    folder, name = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{name}.{os.getpid()}-{secrets.token_hex(4)}{PART_SUFFIX}")


def remove_stale_parts(path: str) -> int:
    """Remove temporary files of ``path`` left by processes that are gone; return how many."""
    folder, name = os.path.split(os.path.abspath(path))
    prefix, removed = f".{name}.", 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(PART_SUFFIX)):
            continue
        pid = entry.name[len(prefix) : -len(PART_SUFFIX)].split("-", 1)[0]
        if pid.isdigit() and not pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed += 1
    return removed


@contextlib.contextmanager
def atomic_output(path: str) -> Iterator[str]:
    """A temporary path to write; on leaving the block it is synced and renamed to ``path``.

    If the block raises (or the sync or rename fails) the temporary file is removed and
    ``path`` is left as it was. The file gets the usual permissions (0666 less the umask).
    """
    remove_stale_parts(path)
    temporary = _temporary_name(path)
    # Created here (not by mkstemp, which makes 0600 files) so that the umask applies.
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield temporary
        fd = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(os.path.dirname(os.path.abspath(path)))


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_bytes_atomically(path: str, data: bytes) -> None:
    """``data`` as the whole content of ``path``, replaced in one step."""
    with atomic_output(path) as temporary, open(temporary, "wb") as f:
        f.write(data)
