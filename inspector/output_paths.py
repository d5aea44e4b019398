"""Whether an output file can be written, asked before any work is done (loading a big run takes
a while; finding out afterwards that ``--findings`` names a missing folder wastes it)."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat


def output_problem(path: str) -> str | None:
    """Why ``path`` cannot be written as an output file, or None when it can.

    The folder must exist and take a new file (tried for real: permissions, read-only mounts and
    full disks all show), and an existing ``path`` must be a regular file (never a folder, a
    device or a pipe: the output replaces it).
    """
    if not path:
        return "no file name given"
    full = os.path.abspath(path)
    folder = os.path.dirname(full)
    try:
        info = os.stat(full)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        return f"{path}: {exc.strerror or exc}"
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            return f"{path} is a folder; give a file name inside it"
        if not stat.S_ISREG(info.st_mode):
            return f"{path} exists and is not a regular file (a device or a pipe?)"
    if not os.path.isdir(folder):
        what = "does not exist" if not os.path.exists(folder) else "is not a folder"
        return f"cannot write {path}: the folder {folder} {what}"
    probe = os.path.join(folder, f".osquery-inspector-probe-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        if exc.errno == errno.ENOENT:  # the folder is there: /proc, /sys say ENOENT to a new file
            return f"cannot write into {folder}: it does not take new files"
        return f"cannot write into {folder}: {_reason(exc)}"
    try:
        os.write(fd, b"\0")  # a full disk refuses even one byte on most file systems
    except OSError as exc:
        return f"cannot write into {folder}: {_reason(exc)}"
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
    return None


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return exc.strerror or str(exc)


def write_error(path: str, exc: OSError) -> str:
    """A one-line reason for a failed write of ``path``."""
    return f"cannot write {path}: {_reason(exc)}"
