"""The heat map's grid without Qt: rows in the chosen order, cells pooled for the screen."""

from __future__ import annotations

import numpy as np
import pytest

from inspector.fleet.heat_grid import HeatGrid, ordered, pooled

NAN = np.nan


def _grid() -> HeatGrid:
    rows = [{"host": h, "publisher": "inotify", "subscriber": s, "stream": "results"}
            for h in ("a", "b", "c") for s in ("file_events", "process_events")]  # fmt: skip
    values = np.arange(2 * 6, dtype=np.float32).reshape(2, 6)  # 2 columns, 6 rows
    return HeatGrid(0.0, 60, values, rows, np.zeros(2), np.zeros(0), {"c": 500, "b": 20})


def test_duplicating_hosts_come_first_their_lanes_together():
    grid = ordered(_grid(), "duplicating")
    assert grid.row_hosts == ["c", "c", "b", "b", "a", "a"]
    assert [r["subscriber"] for r in grid.rows[:2]] == ["file_events", "process_events"]
    assert grid.values[:, 0].tolist() == [4.0, 10.0]  # c's first lane moved with its row
    back = ordered(grid, "name")
    assert back.row_hosts == ["a", "a", "b", "b", "c", "c"]
    assert np.array_equal(back.values, _grid().values)


def test_without_duplication_the_order_is_by_name_and_an_unknown_order_is_refused():
    plain = _grid()
    plain.extra_rows = {}
    assert ordered(plain, "duplicating") is plain  # nothing to move
    with pytest.raises(ValueError, match="unknown row order"):
        ordered(plain, "size")


def test_pooling_keeps_the_highest_factor_and_no_events_only_where_none_had_any():
    values = np.array([[1.0, 3.0, NAN, NAN, 1.0], [1.0, 1.0, NAN, 2.0, NAN]], dtype=np.float32)
    out = pooled(values, (0, 2), (0, 5), (1, 2))
    # rows in pairs (the last alone, padded): a ×3 lane is never averaged or sampled away
    assert out[0, 0] == 3.0 and np.isnan(out[0, 1]) and out[0, 2] == 1.0
    assert out[1, 0] == 1.0 and out[1, 1] == 2.0 and np.isnan(out[1, 2])
    both = pooled(values, (0, 2), (0, 5), (2, 5))
    assert both.shape == (1, 1) and both[0, 0] == 3.0
    assert pooled(values, (0, 2), (1, 3), (1, 1)).shape == (2, 2)  # one cell a pixel: as is


def test_pooled_rows_draw_hosts_whole():
    """Seven lanes a host, blocks of four: without the hosts, a block of a duplicating host's
    healthy lanes would draw a healthy stripe through it."""
    rows = [{"host": f"h{k // 7}", "publisher": "p", "subscriber": f"s{k % 7}", "stream": "results"}
            for k in range(21)]  # fmt: skip
    lanes = np.ones((2, 21), dtype=np.float32)
    lanes[0, 4] = 3.0  # host 0's lane 4, in column 0
    lanes[1, 15:] = np.nan  # host 2's lanes 1–6 had no events in column 1
    lanes[1, 7:14] = np.nan  # nor had host 1's
    grid = HeatGrid(0.0, 60, lanes, rows, np.zeros(2), np.zeros(0))
    hosts = (grid.host_starts, grid.host_values)
    assert grid.host_starts.tolist() == [0, 7, 14]
    out = pooled(lanes, (0, 2), (0, 21), (1, 4), hosts)
    # blocks 0–3, 4–7 (host 1's first row too), 8–11, 12–15, 16–19, 20
    assert out[0].tolist() == [3.0, 3.0, 1.0, 1.0, 1.0, 1.0]
    assert np.isnan(out[1, 2]) and out[1].tolist()[3:] == [1.0, 1.0, 1.0]
    striped = pooled(lanes, (0, 1), (0, 21), (1, 4))
    assert striped[0].tolist() == [1.0, 3.0, 1.0, 1.0, 1.0, 1.0]
    view = pooled(lanes, (0, 1), (9, 14), (1, 2), hosts)  # a view starting inside host 1
    assert view.tolist() == [[1.0, 1.0, 1.0]]
    both = pooled(lanes, (0, 2), (0, 21), (2, 21), hosts)
    assert both.tolist() == [[3.0]]


def test_reordering_moves_the_hosts_highest_factors_with_them():
    grid = _grid()
    before = grid.host_values.copy()  # computed: a, b, c
    moved = ordered(grid, "duplicating")  # c, b, a
    assert "host_values" in moved.__dict__
    assert np.array_equal(moved.host_values, before[:, [2, 1, 0]])
    fresh = ordered(_grid(), "duplicating")  # not computed before: computed from its rows
    assert np.array_equal(fresh.host_values, moved.host_values)
