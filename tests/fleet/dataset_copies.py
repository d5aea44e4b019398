"""Copies of a fleet dataset for tests: one with the files of an ingest still under way."""

from __future__ import annotations

import glob
import os
import shutil

import pyarrow as pa
import pyarrow.parquet as pq


def same_scan(one, other) -> None:
    """The two scans' answers are the same."""
    assert one.factors.equals(other.factors)
    assert one.findings.equals(other.findings)
    assert one.hosts.equals(other.hosts)
    assert one.markers.equals(other.markers)


def unfinished_copy(dataset: str, ingest: str) -> list[str]:
    """Every part of ``dataset`` copied as a part of ``ingest``, which wrote no manifest (it is
    still writing, or was killed): what a scan running beside that ingest finds on disk."""
    strays = []
    for path in glob.glob(
        os.path.join(glob.escape(dataset), "*", "**", "part-*.parquet"), recursive=True
    ):
        if os.path.basename(os.path.dirname(path)) == "manifest":
            continue
        stray = os.path.join(os.path.dirname(path), f"part-{ingest}-0-00001.parquet")
        if not os.path.exists(stray):
            shutil.copy(path, stray)
            strays.append(stray)
    return strays


def doubled_copy(dataset: str, copy: str) -> None:
    """``dataset`` copied to ``copy`` with every part holding its rows twice, under the same
    file names: a look-alike whose scan differs, wherever a name is read from the wrong one."""
    shutil.copytree(dataset, copy)
    for path in glob.glob(
        os.path.join(glob.escape(copy), "*", "**", "part-*.parquet"), recursive=True
    ):
        if os.path.basename(os.path.dirname(path)) != "manifest":
            table = pq.read_table(path)
            pq.write_table(pa.concat_tables([table, table]), path)
