"""Analysis on the demo runs: rates are complete, bursts match truth.json and nothing else."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from inspector.analysis.duplicates import duplicate_bursts, duplication_factors
from inspector.analysis.rates import event_rates
from inspector.demo.scenarios import SCENARIOS
from inspector.demo.writer import write_run
from inspector.readers.registry import LoadOptions
from inspector.workspace import load

BUCKET = 60


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"analysis-{request.param}")
    truth = write_run(str(out), request.param, seed=11, hours=6, size=4_000_000)
    ws = load([str(out)], LoadOptions(tz="UTC"))
    return truth, ws


def _t(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_rates_cover_every_row_and_fill_gaps(run) -> None:
    _, ws = run
    rates = event_rates(ws.records, BUCKET)
    con = duckdb.connect()
    con.register("r", ws.records)
    con.register("rates", rates)
    counted = con.sql("SELECT sum(rows) FROM rates").fetchall()[0][0]
    expected = con.sql(
        "SELECT count(*) FROM r WHERE CAST(format AS VARCHAR) <> 'database_stored' "
        "AND coalesce(event_time, log_time) IS NOT NULL"
    ).fetchall()[0][0]
    assert counted == expected
    # Every lane is a gapless run of buckets (zeros included).
    gaps = con.sql(
        """SELECT count(*) FROM (
               SELECT bucket - lag(bucket) OVER (PARTITION BY host, publisher, subscriber, query, stream
                                                ORDER BY bucket) AS step FROM rates)
           WHERE step IS NOT NULL AND step <> INTERVAL 60 SECOND"""
    ).fetchall()[0][0]
    assert gaps == 0


def test_bursts_match_the_truth_and_nothing_else(run) -> None:
    truth, ws = run
    bursts = duplicate_bursts(duplication_factors(ws.records, BUCKET), ws.status).to_pylist()
    results = [b for b in bursts if b["stream"] == "results"]
    faults = truth["faults"]
    assert len(results) == len(faults)
    for fault in faults:
        match = [
            b for b in results
            if b["subscriber"] == fault["subscriber"]
            and abs((b["start"] - _t(fault["start"])).total_seconds()) <= 2 * BUCKET
            and abs((b["end"] - _t(fault["end"])).total_seconds()) <= 2 * BUCKET
        ]  # fmt: skip
        assert len(match) == 1, fault
        (burst,) = match
        assert abs(burst["duplicate_factor"] - fault["factor"]) <= 0.2
        assert burst["publisher"] == fault["publisher"] and burst["host"] == fault["host"]
        assert burst["signature"] == fault["signature"]
        assert burst["marker"] == fault["marker"]["kind"]
        assert abs((burst["config_change_at"] - _t(fault["marker"]["at"])).total_seconds()) < 1
    # The database buffers only the last hour: a burst there is the end of a fault that was still on.
    for b in bursts:
        if b["stream"] == "database":
            assert any(
                f["subscriber"] == b["subscriber"] and _t(f["end"]) >= b["end"] for f in faults
            )
