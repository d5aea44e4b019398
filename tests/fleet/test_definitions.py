"""One definition: the SQL definitions equal the Binner (the timeline's re-binning) and keep
the semantics of what counts as a delivery."""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from inspector.analysis.binning import FACTORS, Binner
from inspector.analysis.duplicates import duplication_factors
from inspector.analysis.rates import event_rates
from inspector.content_hash import with_content
from inspector.loading.pipeline import load
from inspector.schema import RECORDS
from inspector.sql import definitions, shaping
from inspector.sql.dialect import DUCKDB
from inspector.sql.in_memory import query_runs_of


@pytest.fixture(scope="module")
def demo_records(demo_fleet) -> pa.Table:
    return load(demo_fleet[:2]).records


@pytest.mark.parametrize("bucket", [1, 60, 3600])
def test_factors_equal_the_binner(demo_records, bucket):
    sql = duplication_factors(demo_records, bucket)
    assert sql.num_rows > 0
    assert sql.equals(Binner(demo_records).factors(bucket * 1_000_000))
    assert sql.schema == FACTORS


def test_rates_equal_the_binner(demo_records):
    from inspector.sql.in_memory import rates_of

    assert rates_of(demo_records, 60_000_000).equals(event_rates(demo_records, 60))


def _records(rows: list[dict]) -> pa.Table:
    base = {"source": "f", "line": 1, "format": "event", "host": "h", "publisher": "p",
            "subscriber": "s", "action": "added", "columns": "{}", "eid": None}  # fmt: skip
    table = pa.Table.from_pylist([{**base, **r} for r in rows], schema=RECORDS)
    return with_content(table)


T0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


def test_what_counts_as_a_delivery():
    same = '{"path":"/x"}'
    rows = [
        {"event_time": T0, "columns": same, "eid": "1", "line": 1},
        {"event_time": T0, "columns": same, "eid": "2", "line": 2},  # a copy with its own eid
        {"event_time": T0, "columns": same, "eid": "1", "line": 3},  # the first eid again
        {"event_time": T0, "columns": same, "action": "removed", "line": 4},  # not a delivery
        {"event_time": T0, "columns": same, "format": "database_stored", "line": 5},
        {"event_time": T0, "columns": same, "subscriber": None, "line": 6},  # no subscriber
        {"columns": same, "line": 7},  # no time at all
        {"log_time": T0, "columns": same, "line": 8},  # log time stands in for event time
        {"event_time": T0, "columns": same, "format": "database", "line": 9},  # another stream
        {"event_time": T0, "columns": same, "host": None, "line": 10},  # a lane of no host
        {"event_time": T0, "columns": same, "publisher": None, "host": None, "line": 11},
    ]
    records = _records(rows)
    got = duplication_factors(records, 60)
    assert got.equals(Binner(records).factors(60_000_000))
    lanes = {(r["host"], r["publisher"], r["stream"]): r for r in got.to_pylist()}
    results = lanes[("h", "p", "results")]
    assert (results["rows"], results["distinct_rows"]) == (4, 1)
    # content "/x" carries eids 1, 2, 1 and one row without: they differ, so each row counts
    assert results["eids"] == 4
    assert lanes[("h", "p", "database")]["rows"] == 1
    assert lanes[(None, "p", "results")]["rows"] == 1
    assert lanes[(None, None, "results")]["rows"] == 1
    assert [k for k in lanes] == [("h", "p", "database"), ("h", "p", "results"),
                                  (None, "p", "results"), (None, None, "results")]  # fmt: skip


def test_one_eid_seen_again_counts_once():
    rows = [
        {"event_time": T0, "columns": '{"a":"1","eid":"7"}', "eid": "7", "line": i}
        for i in range(3)
    ]
    got = duplication_factors(_records(rows), 60).to_pylist()[0]
    assert (got["rows"], got["distinct_rows"], got["eids"]) == (3, 1, 1)


def test_query_runs_match_the_rebaseline_rules():
    rows = [
        {
            "subscriber": None,
            "query": "q",
            "format": "batch",
            "log_time": T0,
            "counter": 0,
            "epoch": 1,
        },
        {
            "subscriber": None,
            "query": "q",
            "format": "batch",
            "log_time": T0,
            "counter": 3,
            "epoch": 1,
        },
        {"subscriber": None, "query": "q", "format": "snapshot", "log_time": T0},
        {"subscriber": None, "query": "q", "format": "database", "log_time": T0},
        {"subscriber": "s", "query": "q", "format": "batch", "log_time": T0},
    ]
    runs = query_runs_of(_records(rows)).to_pylist()
    assert runs == [
        {"host": "h", "query": "q", "log_time": T0, "epoch": 1, "counter": 0, "rows": 2}
    ]


def test_the_stable_content_hash_is_md5_based_and_strips_the_eid():
    con = duckdb.connect()
    table = pa.table({"eid": ["9", None], "columns": ['{"a":"1","eid":"9"}', '{"a":"1",}']})
    con.register("records", table)
    got = con.sql(f"SELECT {definitions.stable_content(DUCKDB)} FROM records").fetchall()
    assert got[0] == got[1]  # the same text once the eid pair is gone
    # the first 8 bytes of md5('{"a":"1",}'), big-endian, as a signed 64-bit number
    import hashlib

    expected = int.from_bytes(hashlib.md5(b'{"a":"1",}').digest()[:8], "big", signed=True)
    assert got[0][0] == expected


def test_shaping_orders_lanes_with_nulls_last():
    counts = pa.table({
        "lane": [1, 2, 3, 3], "bucket_us": [0, 0, 60_000_000, 0],
        "n_rows": [1, 1, 2, 3], "distinct_rows": [1, 1, 1, 1], "eids": [None, None, 1, 2],
    })  # fmt: skip
    lanes = pa.table({
        "host": [None, "b", "a", "x"], "publisher": ["p"] * 4, "subscriber": ["s"] * 4,
        "stream": ["results"] * 4, "lane": [1, 2, 3, 4], "n_rows": [1, 1, 5, 7],
    })  # fmt: skip
    shaped = shaping.factors_table(counts, lanes)
    assert shaped.column("host").to_pylist() == ["a", "a", "b", None]
    assert shaped.column("rows").to_pylist() == [3, 2, 1, 1]


def test_lanes_count_every_record_and_name_the_factor_keys():
    rows = [
        {"event_time": T0, "line": 1},
        {"event_time": T0, "line": 2, "action": "removed"},  # no delivery, still a record
        {"event_time": T0, "line": 3, "subscriber": None, "query": "q"},  # a lane of its own
        {"line": 4},  # no time: counted here, in no factor
        {"event_time": T0, "line": 5, "host": None},
        {"event_time": T0, "line": 6, "format": "database_event"},
    ]
    records = _records(rows)
    lanes = duckdb_sql(definitions.lanes(DUCKDB), records)
    counts = duckdb_sql(definitions.factor_counts(DUCKDB, 60_000_000), records)
    by_values = {(r["host"], r["subscriber"], r["stream"]): r["n_rows"] for r in lanes.to_pylist()}
    assert by_values == {("h", "s", "results"): 3, ("h", None, "results"): 1,
                         (None, "s", "results"): 1, ("h", "s", "database"): 1}  # fmt: skip
    assert set(counts.column("lane").to_pylist()) <= set(lanes.column("lane").to_pylist())
    hosts = shaping.host_records(lanes).sort_by("host").to_pylist()
    assert hosts == [{"host": "h", "n_rows": 5}, {"host": None, "n_rows": 1}]


def duckdb_sql(sql: str, records: pa.Table) -> pa.Table:
    con = duckdb.connect()
    con.register("records", records)
    return con.sql(sql).to_arrow_table()


def test_only_a_distributing_engine_gets_the_repartition_hint():
    from inspector.sql.dialect import SPARK

    assert DUCKDB.repartition_hint("lane", "bucket_us") == ""
    assert "/*+ REPARTITION(lane, bucket_us) */" in definitions.factor_counts(SPARK, 60_000_000)
    assert "/*+" not in definitions.factor_counts(DUCKDB, 60_000_000)
