"""Plausible column values for event tables, generated column-wise with numpy and pyarrow.

Every function takes the random generator, the event times (unix seconds, int64) and returns an
Arrow string array with one value per event, already safe inside a JSON string (no quote or
backslash needs escaping except the ``\\\\xHH`` sequences osquery itself writes).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Gen = Callable[[np.random.Generator, np.ndarray], pa.Array]

BINARIES = {
    "darwin": [
        "/usr/bin/curl", "/bin/zsh", "/usr/bin/git", "/usr/bin/ssh", "/usr/sbin/mDNSResponder",
        "/usr/libexec/xpcproxy", "/usr/bin/python3", "/Applications/Safari.app/Contents/MacOS/Safari",
        "/System/Library/CoreServices/Finder.app/Contents/MacOS/Finder", "/usr/bin/login",
        "/usr/local/bin/brew", "/Applications/Slack.app/Contents/MacOS/Slack", "/bin/launchctl",
    ],
    "linux": [
        "/usr/bin/curl", "/bin/bash", "/usr/bin/git", "/usr/bin/ssh", "/usr/sbin/sshd",
        "/usr/bin/python3.11", "/usr/lib/systemd/systemd-resolved", "/usr/bin/dockerd",
        "/usr/sbin/cron", "/usr/bin/apt-get", "/usr/bin/sudo", "/usr/local/bin/node", "/bin/ls",
    ],
}  # fmt: skip
ARGS = [
    "",
    " -s https://example.org",
    " --version",
    " -la",
    " status",
    " -c 'import sys'",
    " -o /tmp/out",
]
DIRS = {
    "darwin": [
        "/Users/alice",
        "/Users/alice/src/app",
        "/",
        "/private/tmp",
        "/Users/zo\\\\xC3\\\\xAB/Documents",
    ],
    "linux": ["/home/deploy", "/srv/app", "/", "/tmp", "/var/lib/docker", "/root"],
}
FILE_DIRS = {
    "darwin": ["/Users/alice/Documents", "/Users/alice/Downloads", "/Library/LaunchAgents", "/etc"],
    "linux": ["/etc", "/etc/ssh", "/home/deploy/.ssh", "/var/www/html", "/usr/local/bin"],
}
FILE_ACTIONS = ["CREATED", "UPDATED", "ATTRIBUTES_MODIFIED", "DELETED", "MOVED_TO"]
USERS = ["0", "501", "20", "1000", "33"]


def choose(
    rng: np.random.Generator, pool: list[str], n: int, p: list[float] | None = None
) -> pa.Array:
    """``n`` picks from ``pool`` (dictionary take: no Python object per value)."""
    idx = rng.choice(len(pool), size=n, p=p)
    return pc.take(pa.array(pool, pa.string()), pa.array(idx))


def ints(values: np.ndarray) -> pa.Array:
    """Integers as decimal strings."""
    return pa.array(values.astype(np.int64)).cast(pa.string())


def hexes(rng: np.random.Generator, n: int, nbytes: int) -> pa.Array:
    """Random lowercase hex digests of ``nbytes`` bytes."""
    raw = rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)
    # Hex digits straight from the bytes: two ASCII characters per byte, one buffer for all.
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.empty((n, nbytes * 2), dtype=np.uint8)
    chars[:, 0::2] = digits[raw >> 4]
    chars[:, 1::2] = digits[raw & 15]
    offsets = np.arange(0, n * nbytes * 2 + 1, nbytes * 2, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes())]
    )


def join(*parts: pa.Array | str) -> pa.Array:
    """Element-wise concatenation of arrays and literal strings."""
    return pc.binary_join_element_wise(*parts, "")


# Generators of the columns whose values do not depend on the platform.
_COMMON: dict[str, Gen] = {
    "pid": lambda rng, t: ints(rng.integers(120, 98000, len(t))),
    "parent": lambda rng, t: ints(rng.integers(1, 9000, len(t))),
    "original_parent": lambda rng, t: ints(rng.integers(1, 9000, len(t))),
    "child_pid": lambda rng, t: ints(np.zeros(len(t))),
    "mode": lambda rng, t: choose(rng, ["0755", "0644", "0100755", "0600"], len(t)),
    "auid": lambda rng, t: choose(rng, USERS, len(t)),
    "uid": lambda rng, t: choose(rng, USERS, len(t)),
    "euid": lambda rng, t: choose(rng, USERS, len(t)),
    "gid": lambda rng, t: choose(rng, USERS, len(t)),
    "egid": lambda rng, t: choose(rng, USERS, len(t)),
    "fsuid": lambda rng, t: choose(rng, USERS, len(t)),
    "suid": lambda rng, t: choose(rng, USERS, len(t)),
    "fsgid": lambda rng, t: choose(rng, USERS, len(t)),
    "sgid": lambda rng, t: choose(rng, USERS, len(t)),
    "owner_uid": lambda rng, t: choose(rng, ["0", "501"], len(t)),
    "owner_gid": lambda rng, t: choose(rng, ["0", "20", "80"], len(t)),
    "atime": lambda rng, t: ints(t - rng.integers(0, 3_000_000, len(t))),
    "mtime": lambda rng, t: ints(t - rng.integers(3_000_000, 90_000_000, len(t))),
    "ctime": lambda rng, t: ints(t - rng.integers(3_000_000, 90_000_000, len(t))),
    "btime": lambda rng, t: ints(t - rng.integers(90_000_000, 120_000_000, len(t))),
    "time": lambda rng, t: ints(t),
    "uptime": lambda rng, t: ints(t - (t.min() if len(t) else 0) + 86_400),
    "status": lambda rng, t: choose(rng, ["0", "0", "0", "1"], len(t)),
    "syscall": lambda rng, t: choose(rng, ["execve", "execve", "execveat"], len(t)),
    "action": lambda rng, t: choose(rng, ["connect", "connect", "bind", "accept"], len(t)),
    "fd": lambda rng, t: ints(rng.integers(3, 90, len(t))),
    "family": lambda rng, t: choose(rng, ["2", "2", "10"], len(t)),
    "local_address": lambda rng, t: choose(
        rng, ["192.0.2.10", "10.0.0.5", "0.0.0.0", "::1"], len(t)
    ),
    "remote_address": lambda rng, t: join("198.51.100.", ints(rng.integers(1, 255, len(t)))),
    "local_port": lambda rng, t: ints(rng.integers(32768, 60999, len(t))),
    "remote_port": lambda rng, t: choose(rng, ["443", "443", "80", "22", "53"], len(t)),
    "category": lambda rng, t: choose(rng, ["documents", "config", "ssh"], len(t)),
    "transaction_id": lambda rng, t: ints(rng.integers(1, 10**9, len(t))),
    "inode": lambda rng, t: ints(rng.integers(10**5, 10**8, len(t))),
    "size": lambda rng, t: ints(rng.integers(0, 2_000_000, len(t))),
    "md5": lambda rng, t: hexes(rng, len(t), 16),
    "sha1": lambda rng, t: hexes(rng, len(t), 20),
    "sha256": lambda rng, t: hexes(rng, len(t), 32),
    "hashed": lambda rng, t: choose(rng, ["1", "1", "0", "-1"], len(t)),
    "version": lambda rng, t: ints(np.full(len(t), 7)),
    "seq_num": lambda rng, t: ints(np.arange(len(t)) + 1),
    "global_seq_num": lambda rng, t: ints(np.arange(len(t)) + 1000),
    "cmdline_count": lambda rng, t: ints(rng.integers(1, 5, len(t))),
    "env": lambda rng, t: choose(rng, ["PATH=/usr/bin:/bin HOME=/Users/alice", ""], len(t)),
    "env_count": lambda rng, t: ints(rng.integers(0, 30, len(t))),
    "username": lambda rng, t: choose(rng, ["alice", "root", "_mdnsresponder"], len(t)),
    "signing_id": lambda rng, t: choose(
        rng, ["com.apple.curl", "com.apple.zsh", "com.tinyspeck.slackmacgap"], len(t)
    ),
    "team_id": lambda rng, t: choose(rng, ["", "", "BQR82RBBHL"], len(t)),
    "cdhash": lambda rng, t: hexes(rng, len(t), 20),
    "platform_binary": lambda rng, t: choose(rng, ["1", "1", "0"], len(t)),
    "exit_code": lambda rng, t: ints(np.zeros(len(t))),
    "event_type": lambda rng, t: choose(rng, ["exec", "exec", "fork", "exit"], len(t)),
    "codesigning_flags": lambda rng, t: choose(rng, ["ADHOC,RUNTIME", "VALID,SIGNED", ""], len(t)),
}


def generators(platform: str) -> dict[str, Gen]:
    """Column name → value generator, for the event tables the demo writes."""
    binaries = BINARIES[platform]

    def path(rng: np.random.Generator, t: np.ndarray) -> pa.Array:
        return choose(rng, binaries, len(t))

    return {
        **_COMMON,
        "path": path,
        "cmdline": lambda rng, t: join(choose(rng, binaries, len(t)), choose(rng, ARGS, len(t))),
        "cwd": lambda rng, t: choose(rng, DIRS[platform], len(t)),
        "target_path": lambda rng, t: join(
            choose(rng, FILE_DIRS[platform], len(t)),
            "/file-",
            ints(rng.integers(1, 400, len(t))),
            ".txt",
        ),
    }


def default_value(typ: str) -> str:
    """A neutral value for a column the demo has no generator for."""
    return "0" if typ in ("INTEGER", "BIGINT", "UNSIGNED_BIGINT", "DOUBLE") else ""
