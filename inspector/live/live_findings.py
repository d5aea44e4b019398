"""The bursts of a followed run in the findings contract's columns, marked provisional while
they reach into buckets that are still open."""

from __future__ import annotations

import pyarrow as pa

from inspector.analysis.findings import FINDINGS
from inspector.live.incremental import IncrementalDuplicates
from inspector.live.stable_mapping import StableMapping

LIVE_FINDINGS = pa.schema([*FINDINGS, pa.field("provisional", pa.bool_())])


def live_findings(
    analysis: IncrementalDuplicates, mapping: StableMapping, now_us: int | None
) -> pa.Table:
    """``FINDINGS`` columns (evidence included, ``subscriptions_*`` null) plus ``provisional``,
    most extra rows first."""
    bursts = analysis.bursts
    if not bursts.num_rows:
        return LIVE_FINDINGS.empty_table()
    provisional = analysis.provisional(now_us)
    rows = []
    for b, open_ in zip(bursts.to_pylist(), provisional.tolist(), strict=True):
        results = b["stream"] == "results"
        rows.append(
            {
                **{k: b[k] for k in ("kind", "host", "publisher", "subscriber", "start", "end")},
                "query": mapping.query_of(b["host"], b["subscriber"]) if results else None,
                "duplicate_factor": b["duplicate_factor"],
                "extra_rows": b["extra_rows"],
                "config_change_at": b["config_change_at"],
                "source": "results_log" if results else "osquery_db",
                **{k: b[k] for k in ("signature", "baseline_factor", "rows", "marker",
                                     "marker_message", "open_start")},
                "subscriptions_before": None,
                "subscriptions_during": None,
                "provisional": bool(open_),
            }
        )  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=LIVE_FINDINGS)
    return table.sort_by([("extra_rows", "descending"), ("start", "ascending")])
