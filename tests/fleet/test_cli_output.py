"""What the fleet command line prints: the same bytes on every run (a total order of fleet
compare's pairs), singular words for one, a friendly word when no fleet command is given."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil

import pyarrow as pa

from inspector.analysis.compare import COMPARISON
from inspector.analysis.findings import FINDINGS
from inspector.cli.fleet import scan_text
from inspector.cli.main import main
from inspector.fleet.accounting import IngestAccounting
from inspector.fleet.compare import FleetComparison, compare_text, fleet_compare, in_total_order
from inspector.fleet.scan import HOST_SUMMARY, FleetScan

BEFORE = "2026-11-02T00:00Z..2026-11-02T00:14Z"
AFTER = "2026-11-02T00:32Z..2026-11-02T00:44Z"


def fleet(*args: str) -> int:
    try:
        return main(["fleet", *args])
    except SystemExit as exc:
        return int(exc.code or 0)


def pair(host: str | None, **values) -> dict:
    row = dict.fromkeys(COMPARISON.names)
    row.update(host=host, publisher="openbsm", subscriber="process_events", change="same",
               source="results_log", rows_before=10, rows_after=10)  # fmt: skip
    row.update(values)
    return row


def test_pairs_that_tie_on_compares_order_are_ordered_by_host_and_the_rest():
    rows = [
        pair("web-1"), pair("mac-1"), pair(None), pair("mac-0"),
        pair("mac-0", source="osquery_db"), pair("mac-0", rows_after=11),
        pair("mac-0", rate_after=float("nan")), pair("mac-0", rate_after=2.0),
        pair("zz", change="appeared", subscriber="file_events"),
        pair("aa", change="duplication", extra_rows_after=5),
        pair("bb", change="duplication", extra_rows_after=50),
        pair("cc", subscriber=None, query="pack_x"),
    ]  # fmt: skip
    expected = None
    for seed in range(20):
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        ordered = in_total_order(pa.Table.from_pylist(shuffled, schema=COMPARISON)).to_pylist()
        got = json.dumps(ordered, default=str)
        expected = expected or got
        assert got == expected
    hosts = [(r["change"], r["host"]) for r in json.loads(expected)]
    # compare's own order first: change, subscriber (or query), the larger extra-rows change
    assert hosts[:3] == [("appeared", "zz"), ("duplication", "bb"), ("duplication", "aa")]
    # then the tie-breakers: host (none last), publisher, source, then every other column
    # (a query's lane, pack_x, sorts among the subscribers by its name)
    assert [h for _, h in hosts[3:]] == [
        "cc", "mac-0", "mac-0", "mac-0", "mac-0", "mac-0", "mac-1", "web-1", None,
    ]  # fmt: skip


def test_fleet_compare_gives_its_pairs_in_that_order(fleet_dataset):
    to_us = [int(dt.datetime(2026, 11, 2, 0, m, tzinfo=dt.UTC).timestamp() * 1e6) for m in
             (0, 14, 32, 44)]  # fmt: skip
    result = fleet_compare(fleet_dataset, (to_us[0], to_us[1]), (to_us[2], to_us[3]))
    assert result.pairs.num_rows > 4
    assert result.pairs.equals(in_total_order(result.pairs))
    shuffled = result.pairs.take(list(reversed(range(result.pairs.num_rows))))
    assert in_total_order(shuffled).equals(result.pairs)


def test_fleet_compare_json_is_the_same_bytes_on_every_run(fleet_dataset, capsys):
    outputs = set()
    for _ in range(4):
        assert fleet("compare", fleet_dataset, "--before", BEFORE, "--after", AFTER, "--json") == 0
        outputs.add(capsys.readouterr().out)
    assert len(outputs) == 1


def finding(extra_rows: int) -> dict:
    row = dict.fromkeys(FINDINGS.names)
    row.update(kind="rebaseline", host="h1", query="pack_q", source="results_log",
               start=dt.datetime(2026, 11, 2, tzinfo=dt.UTC), extra_rows=extra_rows)  # fmt: skip
    return row


def test_one_is_said_in_the_singular():
    hosts = pa.Table.from_pylist([{"host": "h1", "records": 1, "findings": 1}], HOST_SUMMARY)
    findings = pa.Table.from_pylist([finding(1)], schema=FINDINGS)
    text = scan_text(FleetScan("duckdb", findings, hosts, pa.table({}), pa.table({}), 60))
    assert text.startswith("1 host, 1 record (duckdb); 1 finding on 1 host\n")
    assert ", 1 extra row from" in text
    findings = pa.Table.from_pylist([finding(11), finding(2)], schema=FINDINGS)
    text = scan_text(FleetScan("duckdb", findings, hosts, pa.table({}), pa.table({}), 60))
    assert text.startswith("1 host, 1 record (duckdb); 2 findings on 1 host\n")
    assert ", 11 extra rows from" in text


def test_compare_text_says_1_host():
    rollup = pa.Table.from_pylist(
        [{"publisher": "openbsm", "subscriber": "process_events", "source": "results_log",
          "hosts": 1, "started": 1, "stopped": 0, "unchanged": 0, "appeared": 0, "vanished": 0,
          "started_hosts": ["h1"], "stopped_hosts": []}],
    )  # fmt: skip
    result = FleetComparison("duckdb", (0, 60_000_000), (60_000_000, 120_000_000), 60,
                             COMPARISON.empty_table(), rollup)  # fmt: skip
    assert "  openbsm → process_events: 1 host — started duplicating 1" in compare_text(result)


def test_a_range_without_records_has_every_lane_vanished_and_says_so(fleet_dataset):
    """Both ranges are the same dataset: a range the hosts sent no results in is hosts that
    went silent (vanished), not a source the other side lacks; the text says it is empty."""
    hour = [int(dt.datetime(2026, 11, 2, 0, m, tzinfo=dt.UTC).timestamp() * 1e6) for m in
            (0, 14)]  # fmt: skip
    later = [t + 30 * 24 * 3600 * 10**6 for t in hour]  # a month on: nothing there
    result = fleet_compare(fleet_dataset, (hour[0], hour[1]), (later[0], later[1]))
    assert result.empty_ranges == ["after"]
    changes = {(p["source"], p["change"]) for p in result.pairs.to_pylist()}
    # osquery.db lanes keep source_missing: a database copy holds only its retention window
    assert changes == {("results_log", "vanished"), ("osquery_db", "source_missing")}
    for r in result.subscribers.to_pylist():
        assert r["vanished"] == (r["hosts"] if r["source"] == "results_log" else 0)
    text = compare_text(result)
    assert "the after range (2026-12-02 00:00..2026-12-02 00:14 UTC) holds no records" in text
    assert "openbsm → process_events: 2 hosts" in text


def test_ingest_text_says_1_new_file(demo_fleet, tmp_path, capsys):
    folder = tmp_path / "host"
    folder.mkdir()
    log = next(
        os.path.join(demo_fleet[0], f) for f in sorted(os.listdir(demo_fleet[0])) if "results" in f
    )
    shutil.copyfile(log, folder / "osqueryd.results.log")
    assert fleet("ingest", str(folder), "--to", str(tmp_path / "ds"), "-q") == 0
    out = capsys.readouterr().out
    assert ": 1 new file (1 loaded), " in out


def test_no_fleet_command_lists_the_commands(capsys):
    assert fleet() == 2
    err = capsys.readouterr().err
    assert "fleet_command" not in err
    assert "ingest, scan, compare, prepare-spark" in err


def test_scan_says_what_the_ingests_left_out(tmp_path, capsys):
    """A rejected line and an empty object, ingested: the scan's text says so, and beside
    --json (whose shape is fixed) stderr does."""
    hour = tmp_path / "pipe" / "2026" / "11" / "02" / "00"
    hour.mkdir(parents=True)
    good = {"name": "pack_ps", "hostIdentifier": "h1", "unixTime": 1_793_577_660, "epoch": 0,
            "counter": 1, "numerics": False, "action": "added", "columns": {"pid": "1"}}  # fmt: skip
    (hour / "a.json").write_text(json.dumps(good) + "\n{not json\n")
    (hour / "b.json").write_text("")
    dataset = str(tmp_path / "ds")
    assert fleet("ingest", str(tmp_path / "pipe"), "--to", dataset) == 0
    said = capsys.readouterr().out
    assert f"a.json: loaded: 1 line rejected\n    {hour / 'a.json'}:2: malformed JSON" in said
    assert fleet("scan", dataset) == 0
    out = capsys.readouterr().out
    assert (
        "of 2 files and 2 lines ingested: 1 line rejected in 1 file (fleet ingest listed each "
        "file and line; the dataset's rejected/ folder keeps them); 1 file not read (fleet "
        "ingest said why; the manifest keeps the reason)"
    ) in out
    assert fleet("scan", dataset, "--json") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["hosts"][0]["records"] == 1
    assert "1 line rejected in 1 file" in captured.err


def test_nothing_left_out_is_not_mentioned():
    assert IngestAccounting(files=3, lines=90, rejected_lines=0, files_with_rejected=0,
                            files_not_read=0).note() is None  # fmt: skip


def test_findings_file_says_when_and_from_which_ingests(fleet_dataset, tmp_path):
    import pyarrow.parquet as pq

    from inspector.export import METADATA_KEY
    from inspector.fleet.layout import finished_ingests

    out = tmp_path / "f.parquet"
    assert fleet("scan", fleet_dataset, "--findings", str(out)) == 0
    meta = json.loads(pq.read_schema(out).metadata[METADATA_KEY])
    assert meta["ingests"] == sorted(finished_ingests(fleet_dataset)) and meta["ingests"]
    assert meta["created"].endswith("Z") and "ingests_read" not in meta["parameters"]
    assert meta["dataset"] == os.path.abspath(fleet_dataset)


def test_ingest_names_the_rejected_lines_as_scan_does(tmp_path, capsys):
    """The first ten of a file in the text (a run of lines rejected for one reason as one
    range), all with --all-bad-lines, and each source's in --json as scan --json has them."""
    folder = tmp_path / "web-1"
    folder.mkdir()
    good = {"name": "pack_ps", "hostIdentifier": "web-1", "unixTime": 1_793_577_660, "epoch": 0,
            "counter": 1, "numerics": False, "action": "added", "columns": {"pid": "1"}}  # fmt: skip
    bad = [f'{{"broken": {k}' for k in range(12)] + ["", "", ""]
    log = folder / "osqueryd.results.log"
    log.write_text("\n".join([json.dumps(good), *bad[:6], json.dumps(good), *bad[6:]]) + "\n")
    assert fleet("ingest", str(folder), "--to", str(tmp_path / "ds")) == 0
    out = capsys.readouterr().out
    listed = [line for line in out.splitlines() if line.startswith(f"    {log}:")]
    assert len(listed) == 10 and listed[0].startswith(f"    {log}:2: malformed JSON")
    assert f"… and 5 more in {log} (--all-bad-lines or --json)" in out
    assert fleet("ingest", str(folder), "--to", str(tmp_path / "ds2"), "--all-bad-lines") == 0
    out = capsys.readouterr().out
    assert f"    {log}:15–17: empty line (3 lines)\n" in out and "more in" not in out
    assert fleet("ingest", str(folder), "--to", str(tmp_path / "ds3"), "--json") == 0
    (source,) = json.loads(capsys.readouterr().out)["sources"]
    assert sum(b.get("lines", 1) for b in source["bad_lines"]) == source["lines_rejected"] == 15
    assert source["bad_lines"][0]["line"] == 2


def test_compare_text_lists_the_changed_pairs_per_host_queries_too():
    """The roll-up counts subscriber lanes; the text then names each changed pair, a query
    without a subscriber included (it is in --json; the text said nothing of it)."""
    base = {name: None for name in COMPARISON.names} | {"source": "results_log"}
    pairs = pa.Table.from_pylist(
        [base | {"host": "db-1", "query": "pack_deb_packages", "change": "appeared",
                 "rows_after": 1200},
         base | {"host": "web-1", "publisher": "inotify", "subscriber": "file_events",
                 "query": "pack_fim", "change": "duplication", "rows_before": 100,
                 "rows_after": 200, "duplicate_factor_before": 1.0, "duplicate_factor_after": 2.0},
         base | {"host": "web-2", "publisher": "inotify", "subscriber": "file_events",
                 "query": "pack_fim", "change": "same"}],
        schema=COMPARISON,
    )  # fmt: skip
    result = FleetComparison(
        "duckdb", (0, 60_000_000), (60_000_000, 120_000_000), 60, pairs, _rollup(pairs)
    )
    lines = compare_text(result).splitlines()
    at = lines.index("changed per host (2 pairs):")
    assert lines[at + 1 :] == [
        "  db-1  query pack_deb_packages: appeared — rows – → 1,200",
        "  web-1  inotify → file_events: duplication — rows 100 → 200, factor ×1.00 → ×2.00",
    ]  # by host, then the most telling change first


def _rollup(pairs: pa.Table) -> pa.Table:
    from inspector.duck import arrow_query
    from inspector.fleet.compare import ROLLUP_SQL

    return arrow_query(ROLLUP_SQL, pairs=pairs)
