"""Findings made from bursts the caller computed equal those ``find`` computes itself."""

from __future__ import annotations


def test_findings_from_precomputed_bursts_equal_those_computed_here(tmp_path) -> None:
    """The window hands ``find`` the bursts it computed for the lanes; the findings are the
    same as when ``find`` computes them itself."""
    from inspector.analysis.burst_rules import BurstOptions
    from inspector.analysis.duplicates import duplicate_bursts, duplication_factors
    from inspector.analysis.findings import find
    from inspector.demo.writer import write_run
    from inspector.loading.pipeline import load
    from inspector.model import LoadOptions

    write_run(str(tmp_path), "openbsm-double", seed=3, hours=2, size=600_000)
    ws = load([str(tmp_path)], LoadOptions(tz="UTC"))
    options = BurstOptions(bucket_seconds=60)
    factors = duplication_factors(ws.records, 60)
    bursts = duplicate_bursts(factors, ws.status, options)
    given = find(ws, options, factors=factors, bursts=bursts)
    assert given.num_rows > 0
    assert given.equals(find(ws, options, factors=factors))
