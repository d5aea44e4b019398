"""Writing a dataset's tables: date partitions clustered by host, small tables once per ingest.

Rows are buffered and written when enough have gathered (and at the end), sorted by date, host
and time, one file per date partition per flush — many hosts to a file, never one file per
host. Each file is written under a temporary name and renamed, and its name carries the ingest
run, so that the files of an ingest that never finished (no manifest) can be found and removed.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inspector.fleet import layout

FLUSH_ROWS = 2_000_000
ROW_GROUP_ROWS = 256 * 1024


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` in the dataset's explicit ``schema`` (dictionaries decoded, order fixed)."""
    columns = []
    for f in schema:
        if f.name in table.column_names:
            column = table.column(f.name)
            if pa.types.is_dictionary(column.type):
                column = column.cast(column.type.value_type)
            columns.append(column.cast(f.type))
        else:
            columns.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(columns, schema=schema)


def write_file(table: pa.Table, path: str) -> None:
    """One Parquet file, written whole under a temporary name first."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    pq.write_table(table, tmp, row_group_size=ROW_GROUP_ROWS, compression="zstd")
    os.replace(tmp, path)


def _time_of(table_name: str, table: pa.Table) -> pa.ChunkedArray:
    if table_name == "records":
        return pc.coalesce(table.column("event_time"), table.column("log_time"))
    return table.column("log_time")


class DatasetWriter:
    """Buffers the dated tables of one ingest run (or one Spark task of it) and writes them."""

    def __init__(self, dataset: str, ingest: str, tag: str = "0") -> None:
        self.dataset, self.ingest, self.tag = dataset, ingest, tag
        self.buffers: dict[str, list[pa.Table]] = {name: [] for name in layout.DATED}
        self.buffered = 0
        self.sequence = 0
        self.files: list[str] = []

    def add(self, name: str, table: pa.Table) -> None:
        """Queue rows of a dated table (``records`` or ``status``)."""
        if table is None or not table.num_rows:
            return
        self.buffers[name].append(conform(table, layout.DATED[name]))
        self.buffered += table.num_rows
        if self.buffered >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered: per table, one file per date."""
        for name, parts in self.buffers.items():
            if parts:
                self._write(name, pa.concat_tables(parts))
            parts.clear()
        self.buffered = 0

    def _write(self, name: str, table: pa.Table) -> None:
        t = _time_of(name, table)
        day = pc.fill_null(pc.strftime(t, format="%Y-%m-%d"), layout.UNDATED)
        sort = pa.table({"day": day, "host": table.column("host"), "t": t})
        order = pc.sort_indices(sort, sort_keys=[("day", "ascending"), ("host", "ascending"),
                                                 ("t", "ascending")])  # fmt: skip
        table, day = table.take(order), day.take(order).to_numpy(zero_copy_only=False)
        cuts = np.flatnonzero(day[1:] != day[:-1]) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(day)], strict=True):
            self.sequence += 1
            folder = os.path.join(layout.table_dir(self.dataset, name), f"date={day[lo]}")
            path = os.path.join(
                folder, f"part-{self.ingest}-{self.tag}-{self.sequence:05d}.parquet"
            )
            write_file(table.slice(int(lo), int(hi - lo)), path)
            self.files.append(path)


def write_small(dataset: str, name: str, table: pa.Table, ingest: str) -> None:
    """A small table's rows of one ingest run, in one file (nothing when there are none)."""
    if table.num_rows:
        table = conform(table, layout.SMALL[name])
        write_file(table, os.path.join(layout.table_dir(dataset, name), f"part-{ingest}.parquet"))


def remove_unfinished(dataset: str) -> list[str]:
    """Remove the files of ingest runs that wrote no manifest (killed half-way); return them."""
    manifest_dir = layout.table_dir(dataset, "manifest")
    finished = layout.finished_ingests(dataset)
    removed = []
    for root, _, files in os.walk(dataset):
        for name in files:
            if not name.startswith("part-") or root == manifest_dir:
                continue
            if layout.ingest_of(name) not in finished or name.endswith(".tmp"):
                os.remove(os.path.join(root, name))
                removed.append(os.path.join(root, name))
    return removed
