"""A batch of files parsed as one buffer, given back to its files.

Line ``L`` of the joined buffer is line ``L - start[k]`` of file ``k``, where file ``k`` holds
the buffer's lines ``start[k] + 1 … end[k]``: rows get their file as ``source`` and their own
line numbers, rejected lines go to their file (a run of empty lines crossing from one file into
the next is cut at the seam), and each file is given the kind its own lines' shapes say.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from inspector.readers.json_lines.reader import empty_runs_note, kind_of_shapes
from inspector.readers.result import BadLines, ReaderResult


class LineMap:
    """Lines of the joined buffer → (file, line within it)."""

    def __init__(self, paths: list[str], lines: list[int]) -> None:
        self.paths = pa.array(paths, pa.string())
        self.ends = np.cumsum(np.asarray(lines, dtype=np.int64))
        self.starts = self.ends - np.asarray(lines, dtype=np.int64)

    def file_of(self, lines: np.ndarray) -> np.ndarray:
        """The file index of each (1-based) buffer line."""
        return np.searchsorted(self.ends, lines, side="left")

    def table(self, table: pa.Table | None) -> tuple[pa.Table | None, np.ndarray]:
        """``table`` with ``source``/``line`` naming each row's file, rows grouped by file (in
        their order within it); and the rows per file."""
        if table is None or not table.num_rows:
            return table, np.zeros(len(self.paths), np.int64)
        lines = table.column("line").to_numpy()
        which = self.file_of(lines)
        order = np.argsort(which, kind="stable")
        table, which, lines = table.take(pa.array(order)), which[order], lines[order]
        field = table.schema.field("source")
        source = pa.DictionaryArray.from_arrays(pa.array(which, pa.int32()), self.paths)
        table = table.set_column(
            table.schema.get_field_index("source"),
            field,
            source.cast(field.type) if source.type != field.type else source,
        )
        table = table.set_column(
            table.schema.get_field_index("line"),
            table.schema.field("line"),
            pa.array(lines - self.starts[which], pa.int64()),
        )
        return table, np.bincount(which, minlength=len(self.paths)).astype(np.int64)

    def bad_lines(self, bad: BadLines) -> list[BadLines]:
        """Each file's rejected lines, numbered within it."""
        out = [BadLines() for _ in range(len(self.paths))]
        for line, reason, count in zip(bad.lines, bad.reasons, bad.counts, strict=True):
            first, last = line, line + count - 1
            for k in range(int(self.file_of(np.array([first]))[0]), len(self.paths)):
                lo, hi = max(first, int(self.starts[k]) + 1), min(last, int(self.ends[k]))
                if lo > last:
                    break
                if hi < lo:
                    continue
                local = lo - int(self.starts[k])
                if count == 1:
                    out[k].add(local, reason)
                else:
                    out[k].add_run(local, hi - lo + 1, reason)
        return out

    def shapes(self, line_shapes: pa.Table) -> list[dict[str, int]]:
        """Each file's shape counts, from the batch's ``(line, shape)`` table."""
        out: list[dict[str, int]] = [{} for _ in range(len(self.paths))]
        if not line_shapes.num_rows:
            return out
        which = self.file_of(line_shapes.column("line").to_numpy())
        counts = (
            pa.table({"file": pa.array(which), "shape": line_shapes.column("shape")})
            .group_by(["file", "shape"])
            .aggregate([([], "count_all")])
        )
        for k, shape, n in zip(
            counts.column("file").to_pylist(),
            counts.column("shape").to_pylist(),
            counts.column("count_all").to_pylist(),
            strict=True,
        ):
            if shape is not None:
                out[k][shape] = n
        return out


def split_batch(result: ReaderResult, paths: list[str], lines: list[int]) -> list[ReaderResult]:
    """``result`` (of the files ``paths``, ``lines`` lines each, joined) as one result per file.
    The first carries every table of the batch, its rows naming their own files; each result's
    ``meta["rows"]`` is its own file's rows."""
    lines_map = LineMap(paths, lines)
    records, record_rows = lines_map.table(result.records)
    status, status_rows = lines_map.table(result.status)
    empty_runs, empty_run_rows = lines_map.table(result.empty_runs)
    bad = lines_map.bad_lines(result.bad)
    shapes = lines_map.shapes(result.meta["line_shapes"])
    out = []
    for k, path_lines in enumerate(lines):
        r = ReaderResult(kind=kind_of_shapes(shapes[k]), lines_read=path_lines, bad=bad[k])
        r.lines_loaded = path_lines - len(bad[k])
        r.meta["shapes"] = shapes[k]
        r.meta["rows"] = int(record_rows[k] + status_rows[k])
        if empty_run_rows[k]:
            r.notes.append(empty_runs_note(int(empty_run_rows[k])))
        out.append(r)
    if out:
        first = out[0]
        first.records, first.status, first.empty_runs = records, status, empty_runs
    return out
