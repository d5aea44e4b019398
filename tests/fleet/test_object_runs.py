"""Objects joined into one buffer: a run of rejected lines across their seams is cut at them,
so that each object's rejected lines are its own (what a scan of the object alone says)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from inspector.fleet.objects import _Remap
from inspector.schema import BAD_LINES


def test_a_run_across_objects_is_cut_at_each_seam() -> None:
    sizes = np.array([3, 4, 2], dtype=np.int64)  # lines per object
    ends = np.cumsum(sizes)
    remap = _Remap(["a", "b", "c"], ends - sizes, ends)
    bad = pa.table(
        {"source": ["joined", "joined"], "line": [2, 9], "reason": ["empty line", "x"],
         "lines": [7, 1]},
        schema=BAD_LINES,
    )  # fmt: skip
    got = remap.table(bad)
    rows = [(r["source"], r["line"], r["lines"]) for r in got.to_pylist()]
    assert rows == [("a", 2, 2), ("b", 1, 4), ("c", 1, 1), ("c", 2, 1)]
    assert remap.counts(got).tolist() == [2, 4, 2]
