"""What the fleet window draws, computed without Qt: a host × subscriber grid of duplication
factors over time, and the rollout lane (hosts duplicating per bucket, config changes).

The grid's columns are display buckets (the scan's bucket, widened so that at most
``max_columns`` cover the span); a cell's factor is its rows ÷ distinct contents summed over
the scan buckets it covers, NaN where the lane had no events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.duck import arrow_query


@dataclass
class HeatGrid:
    """A grid of factors (columns × rows, as an image is indexed) and its labels."""

    t0: float  # epoch seconds of column 0's start
    width_s: int  # seconds per column
    values: np.ndarray  # float32 [columns, rows]; NaN: no events
    rows: list[dict[str, Any]]  # per row: host, publisher, subscriber, stream
    hosts_duplicating: np.ndarray  # per column: hosts inside a duplicate burst
    config_changes: np.ndarray  # epoch seconds of config-change markers

    @property
    def row_hosts(self) -> list[str | None]:
        return [r["host"] for r in self.rows]

    def label(self, i: int) -> str:
        r = self.rows[i]
        db = " (db)" if r["stream"] == "database" else ""
        return f"{r['host'] or '?'} · {r['subscriber']}{db}"


def nice_width(span_s: float, bucket_s: int, max_columns: int) -> int:
    """A column width: a multiple of the bucket giving at most ``max_columns`` columns."""
    steps = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
    need = max(bucket_s, span_s / max_columns)
    for step in steps:
        if step >= need and step % bucket_s == 0:
            return step
    return int(bucket_s * np.ceil(need / bucket_s))


def heat_grid(
    factors: pa.Table, findings: pa.Table, markers: pa.Table, bucket_s: int, max_columns: int = 1200
) -> HeatGrid:
    """The grid of a fleet scan's ``factors``, its rollout lane from ``findings``' duplicate
    bursts, and the config changes among ``markers``."""
    changes = markers.filter(pc.equal(markers.column("marker").cast(pa.string()), "config_change"))
    change_s = changes.column("log_time").cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e6
    if not factors.num_rows:
        return HeatGrid(0.0, bucket_s, np.zeros((0, 0), np.float32), [], np.zeros(0), change_s)
    t = factors.column("bucket").cast(pa.int64()).to_numpy() / 1e6
    lo, hi = float(t.min()), float(t.max()) + bucket_s
    width = nice_width(hi - lo, bucket_s, max_columns)
    t0 = np.floor(lo / width) * width
    columns = int(np.ceil((hi - t0) / width))
    cells = arrow_query(
        f"""
        SELECT host, publisher, subscriber, stream,
               CAST((epoch_us(bucket) // 1000000 - {int(t0)}) // {width} AS BIGINT) AS col,
               sum(rows) / greatest(sum(distinct_rows), 1) AS factor
        FROM factors GROUP BY ALL
        """,
        factors=factors,
    )
    # Rows: one per lane, hosts in name order (a host's subscribers together).
    ranked = arrow_query(
        """
        SELECT *, dense_rank() OVER (ORDER BY host NULLS LAST, subscriber, stream, publisher) - 1
                  AS row_index
        FROM cells
        """,
        cells=cells,
    )
    lanes = arrow_query(
        "SELECT DISTINCT row_index, host, publisher, subscriber, stream FROM ranked ORDER BY 1",
        ranked=ranked,
    )
    rows = lanes.drop_columns(["row_index"]).to_pylist()
    which = ranked.column("row_index").to_numpy()
    cells = ranked
    values = np.full((columns, len(rows)), np.nan, dtype=np.float32)
    values[cells.column("col").to_numpy(), which] = cells.column("factor").to_numpy()
    return HeatGrid(
        t0, width, values, rows, _hosts_in_bursts(findings, t0, width, columns), change_s
    )


def _hosts_in_bursts(findings: pa.Table, t0: float, width: int, columns: int) -> np.ndarray:
    """Per column, how many hosts are inside one of their duplicate bursts."""
    bursts = findings.filter(pc.equal(findings.column("kind"), "duplicate_burst"))
    hosts = bursts.column("host").to_pylist()
    names = {h: i for i, h in enumerate(sorted(set(hosts), key=lambda h: h or ""))}
    inside = np.zeros((max(len(names), 1), columns), dtype=bool)
    start = bursts.column("start").cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e6
    end = bursts.column("end").cast(pa.int64()).to_numpy(zero_copy_only=False) / 1e6
    for h, a, b in zip(hosts, start, end, strict=True):  # one step per burst, not per row
        first = max(int((a - t0) // width), 0)
        last = min(int(np.ceil((b - t0) / width)), columns)
        inside[names[h], first:last] = True
    counts: np.ndarray = inside.sum(axis=0)
    return counts
