"""Small JSON-lines files read many at a time: one parse for a whole batch of them.

A log pipeline's bucket holds thousands of objects of a few hundred bytes; parsing each on its
own costs tens of milliseconds of fixed work (threads, queries) per file. Files up to
``SMALL_FILE_BYTES`` (decompressed) that sniff as JSON lines are joined into buffers of up to
``BATCH_BYTES`` and parsed once; every row and rejected line is then given back its file and
line (``batch_split``). They skip the read cache: reading them again costs less than an entry.

A file that does not end with a newline gets one in the buffer; should its last line be
rejected, the reason is given again as the end of that file (a torn write). A file is read on
its own, the usual way, when joining could change what it says: it starts with a byte-order
mark, or its batch notes something that cannot be told apart per file (prefixed lines, NUL
remnants …) — then the batch is halved until the note belongs to one file.
"""

from __future__ import annotations

import os
import stat
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import zstandard

from inspector.files.decompress import DECOMPRESSION_ERRORS, detect_compression
from inspector.files.line_index import line_count, split_lines
from inspector.files.source_file import open_decompressed, open_regular
from inspector.loading.batch_split import split_batch
from inspector.loading.inputs import InputFile
from inspector.model import LoadOptions, SourceReport
from inspector.progress import Progress, report
from inspector.readers.glog import glog_options
from inspector.readers.json_lines.reader import empty_runs_note, read_json_lines
from inspector.readers.json_lines.rejection_reasons import reason_for
from inspector.readers.registry import choose_reader
from inspector.readers.result import BadLines, ReaderResult, SkipFile
from inspector.readers.sniff import BLANK_BYTES, HEAD_BYTES, Head

SMALL_FILE_BYTES = 2 * 2**20  # decompressed; larger files are read (and cached) on their own
BATCH_BYTES = 64 * 2**20  # joined bytes parsed at once
BOM = b"\xef\xbb\xbf"
BATCH_LABEL = "<small files>"


@dataclass
class SmallFile:
    """A small JSON-lines file's decompressed bytes, ending with a newline."""

    path: str
    data: bytes
    size: int  # on disk
    compression: str | None
    lines: int
    unterminated: bool = False  # the file's last line had no newline (one was added)


def small_json_lines(f: InputFile) -> SmallFile | None:
    """``f`` read whole when it is a small JSON-lines file that can join a batch, else None
    (it is then read on its own, which also says what is wrong with it)."""
    if f.duplicate_of is not None:
        return None
    try:
        st = os.stat(f.path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > SMALL_FILE_BYTES or not st.st_size:
            return None
        with open_regular(f.path) as raw:
            first = raw.read(SMALL_FILE_BYTES + 1)
        compression = detect_compression(first[:4])
        if compression is not None and _says_larger(first, compression):
            return None
        data = first if compression is None else _decompressed(first, compression, f.path)
    except (OSError, *DECOMPRESSION_ERRORS):
        return None
    if data is None or len(data) > SMALL_FILE_BYTES or data.startswith(BOM):
        return None
    content = data.lstrip(BLANK_BYTES)
    head = Head(
        path=f.path,
        data=content[:HEAD_BYTES],
        size=st.st_size,
        compression=compression,
        complete=len(content) <= HEAD_BYTES,
        skipped=len(data) - len(content),
    )
    try:
        if choose_reader(head).name != "json_lines":
            return None
    except SkipFile:
        return None
    unterminated = not data.endswith(b"\n")
    if unterminated:
        data += b"\n"
    return SmallFile(f.path, data, st.st_size, compression, line_count(data), unterminated)


def says_larger(path: str) -> bool:
    """Whether ``path`` is a compressed file whose own header (zstd) or trailer (gzip) says it
    holds more than ``SMALL_FILE_BYTES``: read alone, without reading it whole to find out."""
    try:
        with open_regular(path) as raw:
            head = raw.read(64)
            compression = detect_compression(head[:4])
            if compression == "zstd":
                return _says_larger(head, compression)
            if compression == "gzip":
                raw.seek(-4, os.SEEK_END)
                return _says_larger(head[:14] + raw.read(4), compression)
    except OSError:
        return False  # read alone or in a batch, the reading says what is wrong
    return False


def _says_larger(raw: bytes, compression: str) -> bool:
    """Whether the compressed file's own header or trailer says it holds more than
    ``SMALL_FILE_BYTES`` (a rotated log of megabytes need not be decompressed to find out)."""
    if compression == "zstd":
        try:
            return int(zstandard.frame_content_size(raw)) > SMALL_FILE_BYTES  # -1: not said
        except zstandard.ZstdError:
            return False
    if compression == "gzip" and len(raw) >= 18:
        return int.from_bytes(raw[-4:], "little") > SMALL_FILE_BYTES  # ISIZE of the last member
    return False


def _decompressed(raw: bytes, compression: str, path: str) -> bytes | None:
    """The whole decompressed file (``raw`` is all of it), or None past ``SMALL_FILE_BYTES`` (a
    small archive of a huge stream is read by the bounded reader). A damaged stream raises: the
    file is then read on its own, which keeps what came before the damage and says so."""
    if compression == "gzip":
        clean = _gunzipped(raw)  # the usual case, in one call (no stream read in steps)
        if clean is not None:
            return clean if len(clean) <= SMALL_FILE_BYTES else None
    stream, _ = open_decompressed(path)
    out = bytearray()
    try:
        while len(out) <= SMALL_FILE_BYTES:
            block = stream.read(SMALL_FILE_BYTES + 1 - len(out))
            if not block:
                return bytes(out)
            out += block
    finally:
        stream.close()
    return None


def _gunzipped(raw: bytes) -> bytes | None:
    """``raw``'s gzip members decompressed, or None for anything but clean members one after
    another (damage, padding, trailing bytes: the careful reader decides those)."""
    out, rest = [], raw
    while rest:
        if rest[:2] != b"\x1f\x8b":
            return None
        d = zlib.decompressobj(wbits=31)
        try:
            out.append(d.decompress(rest, SMALL_FILE_BYTES + 1))
        except zlib.error:
            return None
        if not d.eof or d.unconsumed_tail:
            return None
        rest = d.unused_data
    return b"".join(out)


def _last_line_as_file_end(f: SmallFile, bad: BadLines) -> None:
    """The reason for a rejected last line of a file without a final newline, as the file read
    alone gives it (a record cut off at the end of the file is a torn write)."""
    for j, (line, count) in enumerate(zip(bad.lines, bad.counts, strict=True)):
        if line == f.lines and count == 1 and bad.reasons[j].startswith("malformed JSON"):
            lines = split_lines(bytearray(f.data[:-1]), 1)
            bad.reasons[j] = reason_for(lines, lines.count - 1, None, True)


def batches(files: list[InputFile]) -> Iterator[list[SmallFile]]:
    """The small JSON-lines files among ``files``, in order, in batches of ``BATCH_BYTES``."""
    batch: list[SmallFile] = []
    size = 0
    for f in files:
        small = small_json_lines(f)
        if small is None:
            continue
        batch.append(small)
        size += len(small.data)
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def read_small_files(
    files: list[InputFile], options: LoadOptions, progress: Progress | None = None
) -> dict[str, tuple[SourceReport, ReaderResult]]:
    """Read the small JSON-lines files among ``files`` in batches; by path, each file's report
    and result. The first file of a batch carries the batch's tables (rows name their own
    file); every file keeps its own line counts, rejected lines, kind and notes."""
    out: dict[str, tuple[SourceReport, ReaderResult]] = {}
    for batch in batches(files):
        report(progress, len(out) / max(len(files), 1), f"reading {len(batch):,} small files")
        for small, pair in zip(batch, read_batch(batch, options), strict=True):
            out[small.path] = pair
    return out


def read_batch(
    batch: list[SmallFile], options: LoadOptions
) -> list[tuple[SourceReport, ReaderResult]]:
    """One parse for ``batch``; halved while a note of the parse cannot be given to one file."""
    started = time.perf_counter()
    result = read_json_lines(
        BATCH_LABEL,
        BATCH_LABEL,
        glog=glog_options(options),
        data=b"".join(f.data for f in batch),
        line_shapes=True,
    )
    empty = result.empty_runs.num_rows if result.empty_runs is not None else 0
    shared = [n for n in result.notes if not (empty and n == empty_runs_note(empty))]
    if shared and len(batch) > 1:
        half = len(batch) // 2
        return read_batch(batch[:half], options) + read_batch(batch[half:], options)
    results = split_batch(result, [f.path for f in batch], [f.lines for f in batch])
    for f, r in zip(batch, results, strict=True):
        if f.unterminated:
            _last_line_as_file_end(f, r.bad)
    seconds = time.perf_counter() - started
    total = sum(len(f.data) for f in batch) or 1
    out = []
    for f, r in zip(batch, results, strict=True):
        if len(batch) == 1:
            r.notes = list(result.notes)
        source = SourceReport(f.path, r.kind, "loaded", size=f.size, compression=f.compression)
        source.seconds = seconds * len(f.data) / total
        source.lines_read, source.lines_loaded = r.lines_read, r.lines_loaded
        source.lines_rejected = len(r.bad)
        source.rows = int(r.meta.pop("rows", 0))
        source.notes = list(r.notes)
        out.append((source, r))
    return out
