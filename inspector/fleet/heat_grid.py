"""What the fleet window draws, computed without Qt: a host × subscriber grid of duplication
factors over time, and the rollout lane (hosts duplicating per bucket, config changes).

The grid's columns are display buckets (the scan's bucket, widened so that at most
``max_columns`` cover the span); a cell's factor is its rows ÷ distinct contents summed over
the scan buckets it covers, NaN where the lane had no events.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
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
    # Per host: the extra rows of its duplicate bursts (hosts without one are not in it).
    extra_rows: dict[str | None, int] = field(default_factory=dict)

    @property
    def row_hosts(self) -> list[str | None]:
        return [r["host"] for r in self.rows]

    @functools.cached_property
    def host_starts(self) -> np.ndarray:
        """The first row of each host (a host's lanes are consecutive rows)."""
        hosts = self.row_hosts
        return np.array(
            [i for i in range(len(hosts)) if i == 0 or hosts[i] != hosts[i - 1]], dtype=np.intp
        )

    @functools.cached_property
    def host_values(self) -> np.ndarray:
        """Columns × hosts: each host's highest factor over its lanes (NaN: none had events)
        — what a pixel row shows when a host's lanes do not fit on the screen."""
        if not self.rows:
            return np.zeros((self.values.shape[0], 0), dtype=self.values.dtype)
        out: np.ndarray = np.fmax.reduceat(self.values, self.host_starts, axis=1)
        return out

    def label(self, i: int) -> str:
        r = self.rows[i]
        db = " (db)" if r["stream"] == "database" else ""
        return f"{r['host'] or '?'} · {r['subscriber']}{db}"


ROW_ORDERS = ("duplicating", "name")  # duplicating hosts first (most extra rows); by name


def ordered(grid: HeatGrid, order: str) -> HeatGrid:
    """``grid`` with its rows in ``order``: ``"name"`` (hosts by name, as ``heat_grid`` makes
    them) or ``"duplicating"`` (hosts with duplicate bursts first, most extra rows first, the
    rest by name) — a host's lanes stay together, in their own order."""
    if order not in ROW_ORDERS:
        raise ValueError(f"unknown row order {order!r} (one of {', '.join(ROW_ORDERS)})")
    by_name = sorted(range(len(grid.rows)), key=lambda i: _name_key(grid.rows[i]))
    if order == "duplicating":
        extra = grid.extra_rows  # a stable sort: by name within equal extra rows
        by_name.sort(key=lambda i: -extra.get(grid.rows[i]["host"], 0))
    if by_name == list(range(len(grid.rows))):
        return grid
    out = replace(grid, values=grid.values[:, by_name], rows=[grid.rows[i] for i in by_name])
    if "host_values" in grid.__dict__:  # computed (in the scan's worker): moved, not redone
        host_of = {int(r): k for k, r in enumerate(grid.host_starts)}
        hosts = [host_of[by_name[int(r)]] for r in out.host_starts]
        out.__dict__["host_values"] = grid.host_values[:, hosts]
    return out


def _name_key(row: dict[str, Any]) -> tuple[tuple[bool, str], ...]:
    # heat_grid's own order: host, subscriber, stream, publisher, each with none last
    return tuple(
        (row[k] is None, row[k] or "") for k in ("host", "subscriber", "stream", "publisher")
    )


def pooled(
    values: np.ndarray,
    cols: tuple[int, int],
    rows: tuple[int, int],
    k: tuple[int, int],
    hosts: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """The cells ``cols`` × ``rows`` of ``values`` in blocks of ``k`` (columns, rows), each
    block the highest factor in it (NaN only where none of its cells had events): when a
    screen pixel covers several cells, a duplicating lane is never dropped for a healthy
    neighbour, as sampling or averaging would. With ``hosts`` (``HeatGrid.host_starts`` and
    ``host_values``) and rows pooled, a block takes the highest factor of every host it
    touches: a pixel row shows whole hosts, not a stripe of some of one host's lanes."""
    (c0, c1), (r0, r1), (kx, ky) = cols, rows, k
    if ky > 1 and r1 > r0 and hosts is not None:
        part = _pooled_hosts(hosts, (c0, c1), (r0, r1), ky)
    else:
        part = values[c0:c1, r0:r1]
        if ky > 1 and part.shape[1]:  # plain blocks of ky rows
            part = np.fmax.reduceat(part, np.arange(0, part.shape[1], ky), axis=1)
    if kx > 1 and part.shape[0]:
        part = np.fmax.reduceat(part, np.arange(0, part.shape[0], kx), axis=0)
    return part


def _pooled_hosts(
    hosts: tuple[np.ndarray, np.ndarray], cols: tuple[int, int], rows: tuple[int, int], ky: int
) -> np.ndarray:
    """Rows ``rows`` in blocks of ``ky``, each the highest factor of the hosts whose rows it
    touches, from the hosts' own highest factors (a pass over hosts, not over cells)."""
    starts, per_host = hosts
    (c0, c1), (r0, r1) = cols, rows
    blocks = np.arange(r0, r1, ky)
    first = np.searchsorted(starts, blocks, side="right") - 1  # the host of a block's first row
    last = np.searchsorted(starts, np.minimum(blocks + ky, r1) - 1, side="right") - 1  # …last
    view = per_host[c0:c1, first[0] : last[-1] + 1]
    first, last = first - first[0], last - first[0]
    # Blocks are consecutive, so [first_b, first_b+1) and the host last_b cover [first_b, last_b]
    # (a host across a block edge counts in both blocks).
    out: np.ndarray = np.fmax(np.fmax.reduceat(view, first, axis=1), view[:, last])
    return out


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
        t0, width, values, rows, _hosts_in_bursts(findings, t0, width, columns), change_s,
        _extra_rows(findings),
    )  # fmt: skip


def _extra_rows(findings: pa.Table) -> dict[str | None, int]:
    """Per host, the extra rows of its duplicate bursts."""
    bursts = findings.filter(pc.equal(findings.column("kind"), "duplicate_burst"))
    if not bursts.num_rows:
        return {}
    per_host = bursts.group_by("host").aggregate([("extra_rows", "sum")])
    return {
        h: int(n or 0)
        for h, n in zip(
            per_host.column("host").to_pylist(),
            per_host.column("extra_rows_sum").to_pylist(),
            strict=True,
        )
    }


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
