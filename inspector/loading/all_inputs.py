"""Every input of a load read, the results in input order.

Small JSON-lines files are parsed first, many at a time (``small_files``); the other inputs are
then read two at a time (``parallel_reads``), in their order. A small file that cannot join a
batch (not JSON lines, a byte-order mark …) is read with the others. Which files may join a batch
is decided without reading them whole: a compressed file whose header says it holds more than a
small file never gets that far (a rotated set of 2 MB archives was read twice before).

(Parsing the batches on a thread of their own, beside the large reads, took ~45 ms off a 50 MB
folder's open but doubled the window's longest freeze while a 1 GB run opened: one more thread
taking the GIL and the cores from the one that draws.)
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable

from inspector.files.source_file import DEFAULT_CHUNK_BYTES
from inspector.loading.inputs import InputFile
from inspector.loading.parallel_reads import SharedProgress, in_order
from inspector.loading.small_files import SMALL_FILE_BYTES, read_small_files, says_larger
from inspector.model import LoadOptions, SourceReport
from inspector.progress import Progress
from inspector.readers.result import ReaderResult

Read = tuple[SourceReport, ReaderResult | None]
ReadOne = Callable[[InputFile, Progress | None], Read]
SMALL_FILES_KEY = -1  # the small files' part of the shared progress


def may_join_a_batch(f: InputFile) -> bool:
    """Whether ``f`` could be a small JSON-lines file (a regular file of at most
    ``SMALL_FILE_BYTES`` on disk, not compressed from more): ``small_files`` then looks inside
    and decides."""
    if f.duplicate_of is not None:
        return False
    try:
        st = os.stat(f.path)
    except OSError:
        return False  # read on its own, which says what is wrong
    if not (stat.S_ISREG(st.st_mode) and 0 < st.st_size <= SMALL_FILE_BYTES):
        return False
    # A rotated log's compressed megabytes that say they hold tens: read with the large ones
    # (sniffed for a batch, each was read whole to find out).
    return not says_larger(f.path)


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

    if candidates:
        small = read_small_files(
            [files[k] for k in candidates],
            options,
            shared.part(SMALL_FILES_KEY, candidate_bytes),
        )
        for k in candidates:
            if files[k].path in small:
                got[k] = small[files[k].path]
        # The files the batches took are done; the others count when they are read on their own.
        shared.finished(SMALL_FILES_KEY, sum(sizes.get(files[k].path, 0) for k in got))
    read_in_order([k for k in range(len(files)) if k not in got])
    return [got[k] for k in range(len(files))]
