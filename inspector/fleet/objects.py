"""Many small log-pipeline objects read in one parse.

A pipeline writes thousands of objects of a few KB each (gzip, zstd or plain JSON lines;
results and status mixed, with or without ``log_type``, TLS envelopes). Opening each with the
reader would cost milliseconds apiece; instead the objects of a batch are decompressed, their
bytes joined (each ending with a newline) and parsed by the app's JSON-lines reader as one
buffer, then every row and rejected line is given back its object and line number from the
per-object line counts — a few numpy operations per batch, not per line.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import zstandard

from inspector.files.line_index import line_count
from inspector.files.source_file import detect_compression
from inspector.loading.pipeline import assemble
from inspector.model import LoadOptions, SourceReport, Workspace
from inspector.readers.glog import glog_options
from inspector.readers.json_lines.reader import read_json_lines

BATCH_LABEL = "<objects>"


@dataclass
class ObjectBytes:
    """One object decompressed: its bytes (ending with a newline) and what went wrong."""

    path: str
    data: bytes
    compression: str | None
    lines: int
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def decompress(raw: bytes) -> tuple[bytes, str | None, str | None]:
    """(decompressed bytes, compression, note when the data ended damaged — what came before
    it is kept). Concatenated gzip members and zstd frames are read through."""
    kind = detect_compression(raw[:4])
    if kind == "gzip":
        out, rest = [], raw
        try:
            while rest:
                d = zlib.decompressobj(wbits=47)
                out.append(d.decompress(rest))
                if not d.eof:
                    return b"".join(out), kind, "gzip data is truncated; the lines before it loaded"
                rest = d.unused_data.lstrip(b"\x00")
        except zlib.error as exc:
            return b"".join(out), kind, f"gzip data is corrupt ({exc}); the lines before it loaded"
        return b"".join(out), kind, None
    if kind == "zstd":
        reader = zstandard.ZstdDecompressor().stream_reader(
            io.BytesIO(raw), read_across_frames=True
        )
        buf = bytearray()
        try:
            while chunk := reader.read(1 << 20):
                buf += chunk
        except zstandard.ZstdError as exc:
            return bytes(buf), kind, f"zstd data is corrupt ({exc}); the lines before it loaded"
        return bytes(buf), kind, None
    return raw, None, None


def read_object(path: str) -> ObjectBytes:
    """One object from disk, decompressed, ending with a newline (unless empty)."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        return ObjectBytes(path, b"", None, 0, error=f"cannot read: {exc.strerror or exc}")
    data, compression, note = decompress(raw)
    if data and not data.endswith(b"\n"):
        data += b"\n"  # a final line without a newline is still one line
    return ObjectBytes(path, data, compression, line_count(data), [note] if note else [])


def read_objects(
    objects: list[ObjectBytes], options: LoadOptions
) -> tuple[Workspace, list[SourceReport]]:
    """Parse ``objects`` as one buffer and assemble them as one run; per object its report."""
    readable = [o for o in objects if o.error is None]
    ends = np.cumsum([o.lines for o in readable], dtype=np.int64)
    starts = ends - np.array([o.lines for o in readable], dtype=np.int64)
    buffer = b"".join(o.data for o in readable)
    result = read_json_lines(BATCH_LABEL, BATCH_LABEL, glog=glog_options(options), data=buffer)
    batch = SourceReport(BATCH_LABEL, result.kind, "loaded", size=len(buffer))
    batch.lines_read, batch.lines_loaded = result.lines_read, result.lines_loaded
    batch.lines_rejected, batch.rows = len(result.bad), result.rows
    batch.zone_evidence = list(result.meta.get("zone_evidence", []))
    ws = assemble([batch], [(batch, result)], options)
    paths = [o.path for o in readable]
    remap = _Remap(paths, starts, ends)
    ws.records = remap.table(ws.records)
    ws.status = remap.table(ws.status)
    ws.subscriptions = remap.table(ws.subscriptions)
    ws.empty_runs = remap.table(ws.empty_runs)
    ws.bad_lines = remap.table(ws.bad_lines)
    return ws, _reports(objects, readable, remap, ws, result.kind, batch.notes)


class _Remap:
    """Global line numbers of the joined buffer → (object, line within it)."""

    def __init__(self, paths: list[str], starts: np.ndarray, ends: np.ndarray) -> None:
        self.paths = pa.array(paths, pa.string())
        self.starts, self.ends = starts, ends

    def index(self, lines: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.ends, lines, side="left")

    def table(self, table: pa.Table) -> pa.Table:
        if not table.num_rows or "line" not in table.column_names:
            return table
        if "lines" in table.column_names:
            table = self._split_runs(table)
        lines = table.column("line").to_numpy()
        which = self.index(lines)
        source_type = table.schema.field("source").type
        source = pa.DictionaryArray.from_arrays(pa.array(which, pa.int32()), self.paths)
        table = table.set_column(
            table.schema.get_field_index("source"),
            table.schema.field("source"),
            source if pa.types.is_dictionary(source_type) else source.cast(pa.string()),
        )
        return table.set_column(
            table.schema.get_field_index("line"), "line", pa.array(lines - self.starts[which])
        )

    def counts(self, table: pa.Table) -> np.ndarray:
        """Rows of ``table`` per object (its ``source`` already remapped); for rejected lines,
        lines (a run of empty lines counts every line of it)."""
        if not table.num_rows:
            return np.zeros(len(self.paths), np.int64)
        index = pc.index_in(table.column("source").cast(pa.string()), self.paths)
        weights = table.column("lines").to_numpy() if "lines" in table.column_names else None
        counts = np.bincount(
            index.to_numpy(zero_copy_only=False), weights=weights, minlength=len(self.paths)
        )
        return counts.astype(np.int64)

    def _split_runs(self, table: pa.Table) -> pa.Table:
        """Runs of rejected lines that cross from one object into the next, cut at the seam
        (the joined buffer's empty lines at one object's end and the next one's start)."""
        first = table.column("line").to_numpy()
        count = table.column("lines").to_numpy()
        last = first + count - 1
        crossing = np.flatnonzero(self.index(first) != self.index(last))
        if not len(crossing):
            return table
        cut = set(crossing.tolist())
        objects_of = self.index(first), self.index(last)
        out = []
        for i, row in enumerate(table.to_pylist()):  # only runs of rejected lines: a few rows
            if i not in cut:
                out.append(row)
                continue
            for k in range(int(objects_of[0][i]), int(objects_of[1][i]) + 1):
                lo = max(int(first[i]), int(self.starts[k]) + 1)
                hi = min(int(last[i]), int(self.ends[k]))
                if hi >= lo:
                    out.append(dict(row, line=lo, lines=hi - lo + 1))
        return pa.Table.from_pylist(out, schema=table.schema)


def _reports(
    objects: list[ObjectBytes],
    readable: list[ObjectBytes],
    remap: _Remap,
    ws: Workspace,
    kind: str,
    notes: list[str],
) -> list[SourceReport]:
    rejected = remap.counts(ws.bad_lines)
    records = remap.counts(ws.records)
    position = {o.path: i for i, o in enumerate(readable)}
    out = []
    for o in objects:
        report = SourceReport(o.path, kind, "loaded", size=len(o.data), compression=o.compression)
        if o.error is not None:
            report.kind, report.status, report.reason = "error", "error", o.error
        else:
            i = position[o.path]
            report.lines_read = o.lines
            report.lines_rejected = int(rejected[i])
            report.lines_loaded = o.lines - report.lines_rejected
            report.rows = int(records[i])
            report.notes = list(o.notes)
        out.append(report)
    if notes and out:
        out[0].notes.extend(notes)  # the batch's own notes (e.g. legacy empty lists) go once
    return out
