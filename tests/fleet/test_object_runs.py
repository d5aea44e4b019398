"""Objects joined into one buffer: a run of rejected lines across their seams is cut at them,
so that each object's rejected lines are its own (what a scan of the object alone says)."""

from __future__ import annotations

from inspector.loading.batch_split import LineMap
from inspector.readers.result import EMPTY_LINE, BadLines


def test_a_run_across_objects_is_cut_at_each_seam() -> None:
    line_map = LineMap(["a", "b", "c"], [3, 4, 2])  # lines per object
    bad = BadLines()
    bad.add_run(2, 7, EMPTY_LINE)  # a's lines 2–3, all of b, c's first line
    bad.add(9, "x")
    per_object = line_map.bad_lines(bad)
    rows = [
        (name, line, count)
        for name, b in zip("abc", per_object, strict=True)
        for line, count in zip(b.lines, b.counts, strict=True)
    ]
    assert rows == [("a", 2, 2), ("b", 1, 4), ("c", 1, 1), ("c", 2, 1)]
    assert [len(b) for b in per_object] == [2, 4, 2]
