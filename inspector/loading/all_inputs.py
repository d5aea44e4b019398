"""Every input of a load read, the results in input order.

Small JSON-lines files are parsed in batches (``small_files``) on a thread of their own while
the other inputs are read two at a time (``parallel_reads``). Run one after the other, the
batches' parse (and with it the first parse's fixed costs: a database, the first queries)
kept both cores waiting before the first log was opened: 0.16 s of a 50 MB host folder's
open, for one 88 KB snapshot log. A small file that cannot join a batch (not JSON lines, a
byte-order mark …) is read on its own once the batches are done.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from inspector.files.source_file import DEFAULT_CHUNK_BYTES
from inspector.loading.inputs import InputFile
from inspector.loading.parallel_reads import SharedProgress, in_order
from inspector.loading.small_files import SMALL_FILE_BYTES, read_small_files
from inspector.model import LoadOptions, SourceReport
from inspector.progress import Progress
from inspector.readers.result import ReaderResult

Read = tuple[SourceReport, ReaderResult | None]
ReadOne = Callable[[InputFile, Progress | None], Read]
SMALL_FILES_KEY = -1  # the small files' part of the shared progress


def may_join_a_batch(f: InputFile) -> bool:
    """Whether ``f`` could be a small JSON-lines file (a regular file of at most
    ``SMALL_FILE_BYTES`` on disk): ``small_files`` then looks inside and decides."""
    if f.duplicate_of is not None:
        return False
    try:
        st = os.stat(f.path)
    except OSError:
        return False  # read on its own, which says what is wrong
    return stat.S_ISREG(st.st_mode) and 0 < st.st_size <= SMALL_FILE_BYTES


def read_all(
    files: list[InputFile],
    sizes: dict[str, int],
    options: LoadOptions,
    progress: Progress | None,
    read_one: ReadOne,
    end: float = 0.9,
) -> list[Read]:
    """Each of ``files`` read (``read_one`` for a file on its own), in the order of ``files``;
    progress runs from 0 to ``end`` of ``progress``."""
    total = sum(sizes.values()) or 1
    shared = SharedProgress(progress, 0.0, end, total)
    candidates = [k for k, f in enumerate(files) if may_join_a_batch(f)]
    joinable = set(candidates)
    others = [k for k in range(len(files)) if k not in joinable]
    candidate_bytes = sum(sizes.get(files[k].path, 0) for k in candidates)
    got: dict[int, Read] = {}

    def job(k: int) -> Callable[[], Read]:
        f, size = files[k], sizes.get(files[k].path, 0)

        def read() -> Read:
            pair = read_one(f, shared.part(k, size))
            shared.finished(k, size)
            return pair

        return read

    def read_in_order(keys: list[int]) -> None:
        large = [sizes.get(files[k].path, 0) > DEFAULT_CHUNK_BYTES for k in keys]
        with contextlib.closing(in_order([job(k) for k in keys], large)) as reads:
            for k, pair in zip(keys, reads, strict=True):
                got[k] = pair

    with ThreadPoolExecutor(1, thread_name_prefix="small-files") as side:
        batched = (
            side.submit(
                read_small_files,
                [files[k] for k in candidates],
                options,
                shared.part(SMALL_FILES_KEY, candidate_bytes),
            )
            if candidates
            else None
        )
        read_in_order(others)
        small = batched.result() if batched is not None else {}
    for k in candidates:
        if files[k].path in small:
            got[k] = small[files[k].path]
    # The files the batches took are done; the others count when they are read on their own.
    shared.finished(SMALL_FILES_KEY, sum(sizes.get(files[k].path, 0) for k in got))
    read_in_order([k for k in candidates if k not in got])
    return [got[k] for k in range(len(files))]
