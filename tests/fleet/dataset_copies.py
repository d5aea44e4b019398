"""Copies of a fleet dataset for tests: one with the files of an ingest still under way."""

from __future__ import annotations

import glob
import os
import shutil


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
