"""Which manifest rows still stand: a file an ingest could not read for a passing reason
(permission denied, an I/O error) is tried again by the next ingest, and its failed read no
longer counts once a later run read it."""

from __future__ import annotations

import pyarrow as pa

# The reasons ``inspector.loading.pipeline`` gives a read that failed on the file system, not
# on the file's content: worth trying again. A file that crashed the parser, or a database that
# does not open, fails the same way next time (its traceback is in the log once).
PASSING_FAILURES = ("permission denied", "cannot read ")


def tried_again(status: str | None, reason: str | None) -> bool:
    """Whether a manifest row is a read the next ingest tries again."""
    return status == "error" and (reason or "").startswith(PASSING_FAILURES)


def standing(manifest: pa.Table) -> pa.Table:
    """``manifest`` (rows in ingest order) without the failed reads a later run tried again
    (the file's next row). Other repeats of a path stay: a new file at a known path (a
    rotation) is read again, and both files' lines count."""
    paths = manifest.column("path").to_pylist()
    status = manifest.column("status").to_pylist()
    reason = manifest.column("reason").to_pylist()
    later: set[str] = set()
    keep = []
    for i in range(len(paths) - 1, -1, -1):
        if not (tried_again(status[i], reason[i]) and paths[i] in later):
            keep.append(i)
        later.add(paths[i])
    return manifest.take(keep[::-1])
