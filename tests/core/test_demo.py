"""Demo runs: they load with no unexpected rejected line, and truth.json agrees with the data."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import duckdb
import pyarrow.compute as pc
import pytest
from rocksdict import AccessType, Options, Rdict

from inspector.demo.osquery_info import QUERY as INFO_QUERY
from inspector.demo.scenarios import SCENARIOS
from inspector.demo.writer import write_run
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.units import parse_size

SIZE = 3_000_000


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    truth = write_run(str(out), request.param, seed=3, hours=6, size=SIZE)
    ws = load([str(out)], LoadOptions(tz="UTC"))
    return request.param, out, truth, ws


def test_rejected_lines_are_exactly_the_damaged_ones(run) -> None:
    _, out, truth, ws = run
    got = {(os.path.relpath(r["source"], out), r["line"]) for r in ws.bad_lines.to_pylist()}
    assert got == {(d["file"], d["line"]) for d in truth["damaged_lines"]}
    statuses = {os.path.basename(s.path): s.status for s in ws.sources}
    assert statuses.pop("truth.json") == "skipped"
    assert statuses.pop("osqueryd.INFO") == "duplicate"
    assert set(statuses.values()) == {"loaded"}


def test_rows_per_query_and_subscribers(run) -> None:
    _, _, truth, ws = run
    con = duckdb.connect()
    con.register("r", ws.records)
    counts = dict(
        con.sql(
            "SELECT CAST(query AS VARCHAR), count(*) FROM r "
            "WHERE NOT starts_with(CAST(format AS VARCHAR), 'database') GROUP BY 1"
        ).fetchall()
    )
    host = truth["hosts"][0]["host"]
    for query, rows in truth["rows_per_query"][host].items():
        assert counts[query] == rows, query
    mapping = {m["query"]: (m["subscriber"], m["publisher"]) for m in ws.mapping.to_pylist()}
    for s in truth["subscribers"]:
        assert mapping[s["query"]] == (s["subscriber"], s["publisher"])
    assert {h["host"]: h["platform"] for h in ws.hosts.to_pylist()} == {
        host: truth["hosts"][0]["platform"]
    }


def test_duplication_factors_recomputed_from_the_records(run) -> None:
    """Per minute of event time: rows ÷ distinct contents (eid left out) equals the truth's
    factor inside each fault and 1 elsewhere — except for the legitimate file twins."""
    _, _, truth, ws = run
    con = duckdb.connect()
    con.register("r", ws.records)
    for s in truth["subscribers"]:
        rows = con.sql(
            """SELECT epoch(date_trunc('minute', event_time)) AS minute, count(*) AS n,
                      count(DISTINCT regexp_replace(columns, '"eid":"[0-9]+",?', '')) AS d
               FROM r WHERE CAST(query AS VARCHAR) = ? GROUP BY 1 ORDER BY 1""",
            params=[s["query"]],
        ).fetchall()
        faults = [f for f in truth["faults"] if f["query"] == s["query"]]
        if not s["doubles"]:
            extra = sum(n - d for _, n, d in rows)
            assert extra == s["legitimate_twins"], s["query"]
            continue
        spans = [(_epoch(f["start"]), _epoch(f["end"]), f["factor"]) for f in faults]
        checked = 0
        for minute, n, d in rows:
            inside = [fac for lo, hi, fac in spans if lo <= minute and minute + 60 <= hi]
            outside = all(minute + 60 <= lo or minute >= hi for lo, hi, _ in spans)
            if inside:
                assert n / d == inside[0], (s["query"], minute)
                checked += 1
            elif outside:
                assert n == d, (s["query"], minute)
        assert checked > 0
        extra = sum(f["extra_rows"] for f in faults)
        assert sum(n - d for _, n, d in rows) == extra


def test_markers_in_the_status_log_match_the_truth(run) -> None:
    _, _, truth, ws = run
    got = sorted(
        (r["marker"], r["log_time"].timestamp())
        for r in ws.status.to_pylist()
        if r["marker"] is not None
    )
    want = sorted((m["kind"], round(_epoch(m["at"]), 6)) for m in truth["markers"])
    assert [(k, round(t, 6)) for k, t in got] == want
    for fault in truth["faults"]:
        assert fault["marker"]["kind"] == "config_change"


def test_rebaselines_log_the_full_state_with_counter_zero(run) -> None:
    name, _, truth, ws = run
    if name != "rebaseline":
        assert truth["rebaselines"] == []
        return
    con = duckdb.connect()
    con.register("r", ws.records)
    # listening_ports, users and osquery_info after the epoch change and after the wiped database
    assert len(truth["rebaselines"]) == 6
    for rb in truth["rebaselines"]:
        counters = con.sql(
            "SELECT DISTINCT counter, epoch FROM r WHERE CAST(query AS VARCHAR) = ? AND epoch(log_time) = ?",
            params=[rb["query"], _epoch(rb["at"])],
        ).fetchall()
        expected_epoch = 1  # the epoch changed once before both re-baselines
        assert counters == [(0, expected_epoch)], rb


@pytest.mark.parametrize("run", ["linux-control"], indirect=True)
def test_linux_control_shapes(run) -> None:
    """The batch-format, numerics-on scenario's own shapes (the other scenarios write events)."""
    _, _, _, ws = run
    formats = set(ws.records.column("format").cast("string").to_pylist())
    # The results log in batch format, the snapshots log, and the rows of osquery.db.
    assert formats == {"batch", "snapshot", "database_event", "database_stored"}
    batch = ws.records.filter(pc.equal(ws.records.column("format").cast("string"), "batch"))
    row = batch.slice(0, 1).to_pylist()[0]
    assert row["numerics"] is True and isinstance(json.loads(row["columns"])["pid"], int)
    assert json.loads(row["decorations"]) == {
        "host_uuid": "9F3C5E2A-1B7D-4C8E-A0F1-2D3E4F5A6B7C",
        "username": "root",
    }


def test_same_seed_same_bytes(tmp_path) -> None:
    def digest(folder) -> str:
        """Every file's bytes; for osquery.db (RocksDB writes a random IDENTITY) its content."""
        h = hashlib.sha256()
        for root, _dirs, files in sorted(os.walk(folder)):
            if root.endswith("osquery.db"):
                families = Rdict.list_cf(root)
                db = Rdict(root, options=Options(raw_mode=True), access_type=AccessType.read_only(),
                           column_families={c: Options(raw_mode=True) for c in families if c != "default"})  # fmt: skip
                for cf in sorted(families):
                    store = db if cf == "default" else db.get_column_family(cf)
                    for k, v in store.items():
                        h.update(cf.encode() + k + v)
                db.close()
                continue
            for f in sorted(files):
                with open(os.path.join(root, f), "rb") as fh:
                    h.update(f.encode() + fh.read())
        return h.hexdigest()

    write_run(str(tmp_path / "a"), "openbsm-double", seed=9, hours=2, size=500_000)
    write_run(str(tmp_path / "b"), "openbsm-double", seed=9, hours=2, size=500_000)
    write_run(str(tmp_path / "c"), "openbsm-double", seed=10, hours=2, size=500_000)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")


def test_size_is_met(tmp_path) -> None:
    write_run(str(tmp_path), "openbsm-double", seed=1, hours=6, size=8_000_000)
    import zstandard

    total = 0
    for f in os.listdir(tmp_path / "mbp-demo-01"):
        path = tmp_path / "mbp-demo-01" / f
        if f.startswith("osqueryd.results.log"):
            data = path.read_bytes()
            total += (
                len(zstandard.ZstdDecompressor().decompressobj().decompress(data))
                if f.endswith(".zst")
                else len(data)
            )
    assert 0.85 * 8_000_000 < total < 1.15 * 8_000_000


def test_parse_size() -> None:
    assert (
        parse_size("1GB") == 10**9
        and parse_size("40MB") == 40 * 10**6
        and parse_size("512k") == 512_000
    )
    with pytest.raises(ValueError):
        parse_size("lots")


def test_demo_command(tmp_path) -> None:
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "demo", str(tmp_path), "--scenario", "rebaseline", "--size", "1MB",
         "--hours", "3"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "6 re-baselines" in done.stdout and (tmp_path / "truth.json").exists()
    bad = subprocess.run(
        [sys.executable, "-c", code, "demo", str(tmp_path), "--size", "lots"], capture_output=True
    )
    assert bad.returncode == 2


def _epoch(iso: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_database_and_snapshots_follow_the_scenario(run) -> None:
    name, _out, _truth, ws = run
    stored = ws.records.filter(
        pc.equal(ws.records.column("format").cast("string"), "database_stored")
    )
    scenario = SCENARIOS[name]
    counts = {}
    for q in stored.column("query").cast("string").to_pylist():
        counts[q] = counts.get(q, 0) + 1
    want = {d.query: d.rows for d in scenario.differentials}  # the last state, once
    want[INFO_QUERY] = 1  # osquery_info: the worker running at the end
    assert counts == want
    snaps = ws.records.filter(pc.equal(ws.records.column("format").cast("string"), "snapshot"))
    first = snaps.slice(0, 1).to_pylist()[0]
    assert first["numerics"] is scenario.numerics
    last_epoch = snaps.column("epoch")[snaps.num_rows - 1].as_py()
    assert last_epoch == len(scenario.epoch_changes)
