"""Results and snapshot logs in every shape osquery has written (docs/osquery-formats.md §1)."""

from __future__ import annotations

import json
import os

from inspector.loading.pipeline import load
from inspector.readers.json_lines.reader import read_json_lines
from tests.osquery_lines import FILE_EVENT, batch_line, event_line, snapshot_line


def write(tmp_path, name: str, lines: list[str], end: str = "\n") -> str:
    path = tmp_path / name
    path.write_bytes((end.join(lines) + end).encode())
    return str(path)


def read(path: str):
    result = read_json_lines(path)
    assert result.lines_loaded + len(result.bad) == result.lines_read
    return result


def test_event_format_row_keeps_columns_as_written(tmp_path) -> None:
    line = event_line("pack_fim_file_events", FILE_EVENT, decorations={"username": "root"})
    result = read(write(tmp_path, "r.log", [line]))
    (row,) = result.records.to_pylist()
    assert json.loads(row["columns"]) == FILE_EVENT
    assert row["query"] == "pack_fim_file_events" and row["action"] == "added"
    assert row["event_time"].timestamp() == 1785846891
    assert row["log_time"].timestamp() == 1785846896
    assert (row["counter"], row["epoch"], row["numerics"]) == (1, 0, False)
    assert row["decorations"] == '{"username":"root"}'
    assert row["format"] == "event" and row["line"] == 1 and row["item"] is None


def test_numerics_true_values_stay_numbers(tmp_path) -> None:
    line = event_line("processes", {"name": "osqueryd", "pid": 97830}, numerics=True)
    (row,) = read(write(tmp_path, "r.log", [line])).records.to_pylist()
    assert json.loads(row["columns"]) == {"name": "osqueryd", "pid": 97830}
    assert row["numerics"] is True


def test_mixed_numerics_typing_in_one_file(tmp_path) -> None:
    lines = [
        event_line("processes", {"pid": "1"}, numerics=False),
        event_line("processes", {"pid": 1}, numerics=True),
    ]
    rows = read(write(tmp_path, "r.log", lines)).records.to_pylist()
    assert [json.loads(r["columns"])["pid"] for r in rows] == ["1", 1]


def test_hex_escapes_are_kept_as_osquery_wrote_them(tmp_path) -> None:
    # osquery <= 5.21 writes every non-ASCII byte as the four characters \xHH.
    raw = '{"name":"q","hostIdentifier":"h","unixTime":1,"columns":{"path":"caf\\\\xC3\\\\xA9"},"action":"added"}'
    (row,) = read(write(tmp_path, "r.log", [raw])).records.to_pylist()
    assert json.loads(row["columns"])["path"] == "caf\\xC3\\xA9"


def test_batch_format_removed_before_added(tmp_path) -> None:
    line = batch_line("processes", added=[{"pid": "2"}, {"pid": "3"}], removed=[{"pid": "1"}])
    rows = read(write(tmp_path, "r.log", [line])).records.to_pylist()
    assert [(r["item"], r["action"], json.loads(r["columns"])["pid"]) for r in rows] == [
        (0, "removed", "1"),
        (1, "added", "2"),
        (2, "added", "3"),
    ]
    assert {r["format"] for r in rows} == {"batch"}


def test_empty_batch_line_loads_with_no_rows(tmp_path) -> None:
    result = read(write(tmp_path, "r.log", [batch_line("mounts", [], [], counter=0)]))
    assert result.lines_loaded == 1 and result.records is None


def test_snapshot_and_one_row_per_line_snapshot(tmp_path) -> None:
    lines = [
        snapshot_line("ps", [{"pid": "1"}, {"pid": "51"}]),
        snapshot_line("empty", []),
        event_line("ps", {"pid": "1"}, action="snapshot", counter=0),
    ]
    result = read(write(tmp_path, "s.log", lines))
    rows = result.records.to_pylist()
    assert [(r["format"], r["item"], r["action"]) for r in rows] == [
        ("snapshot", 0, "snapshot"),
        ("snapshot", 1, "snapshot"),
        ("snapshot_row", None, "snapshot"),
    ]
    assert result.kind == "snapshot_log" and result.lines_loaded == 3


def test_legacy_shapes(tmp_path) -> None:
    lines = [
        # 1.5.x: string unixTime, no epoch/counter
        '{"name":"apps","hostIdentifier":"XXXX","calendarTime":"Mon Oct  5 16:51:51 2015 UTC",'
        '"unixTime":"1444063911","columns":{"name":"a"},"action":"added"}',
        # 4.0/4.1: logNumericsAsNumbers
        '{"name":"login","hostIdentifier":"t","calendarTime":"Tue Nov  5 07:43:50 2019 UTC",'
        '"unixTime":1572939830,"epoch":0,"counter":0,"logNumericsAsNumbers":false,'
        '"columns":{"time":"1550624855"},"action":"added"}',
        # docs: hostname instead of hostIdentifier, string epoch/counter, ptree "\/" escapes
        '{"action":"added","columns":{"path":"\\/usr\\/bin\\/"},"name":"p","hostname":"h.local",'
        '"calendarTime":"Tue Sep 30 17:37:30 2014","unixTime":"1412123850","epoch":"314159265","counter":"1"}',
        # only calendarTime
        '{"name":"c","hostIdentifier":"x","calendarTime":"Mon May  2 22:27:32 2016 UTC","columns":{},"action":"added"}',
    ]
    rows = read(write(tmp_path, "r.log", lines)).records.to_pylist()
    assert rows[0]["log_time"].timestamp() == 1444063911 and rows[0]["counter"] is None
    assert rows[1]["numerics"] is False and rows[1]["event_time"].timestamp() == 1550624855
    assert rows[2]["host"] == "h.local" and (rows[2]["epoch"], rows[2]["counter"]) == (314159265, 1)
    assert json.loads(rows[2]["columns"]) == {"path": "/usr/bin/"}
    assert rows[3]["log_time"].isoformat() == "2016-05-02T22:27:32+00:00"


def test_top_level_decorations(tmp_path) -> None:
    line = (
        '{"name":"q","hostIdentifier":"h","calendarTime":"x","unixTime":5,"epoch":0,"counter":0,'
        '"numerics":false,"host_uuid":"ABC","username":"root","columns":{"a":"1"},"action":"added"}'
    )
    (row,) = read(write(tmp_path, "r.log", [line])).records.to_pylist()
    assert json.loads(row["decorations"]) == {"host_uuid": "ABC", "username": "root"}


def test_syslog_prefix_and_crlf(tmp_path) -> None:
    lines = [
        "Jun 21 12:05:59 localhost osqueryd[77]: " + event_line("q", {"a": "1"}),
        event_line("q", {"a": "2"}),
    ]
    result = read(write(tmp_path, "r.log", lines, end="\r\n"))
    assert [json.loads(r["columns"])["a"] for r in result.records.to_pylist()] == ["1", "2"]
    assert any("prefix" in n for n in result.notes)


def test_kinesis_records_with_log_type_mix_results_and_status(tmp_path) -> None:
    result_line = event_line("q", {"a": "1"})[:-1] + ',"log_type":"result"}'
    status = (
        '{"hostIdentifier":"h","calendarTime":"x","unixTime":1785847201,"severity":1,'
        '"filename":"config.cpp","line":363,"message":"Scheduled query may have failed: q",'
        '"version":"5.12.1","log_type":"status"}'
    )
    result = read(write(tmp_path, "k.log", [result_line, status]))
    assert result.records.num_rows == 1 and result.status.num_rows == 1
    assert result.kind == "mixed_log"
    (st,) = result.status.to_pylist()
    assert (st["severity"], st["file"], st["src_line"]) == ("WARNING", "config.cpp", 363)


def test_tls_envelope_lines_and_pretty_document(tmp_path) -> None:
    envelope = {
        "node_key": "k",
        "log_type": "result",
        "data": [json.loads(event_line("q", {"a": "1"})), json.loads(event_line("q", {"a": "2"}))],
    }
    path = write(tmp_path, "tls.log", [json.dumps(envelope)])
    ws = load([path])
    assert ws.sources[0].kind == "tls_log"
    assert [(r["line"], r["item"]) for r in ws.records.to_pylist()] == [(1, 0), (1, 1)]
    pretty = tmp_path / "tls.json"
    pretty.write_text(json.dumps(envelope, indent=2))
    ws = load([str(pretty)])
    (source,) = ws.sources
    assert source.status == "loaded" and ws.records.num_rows == 2
    assert source.lines_loaded == source.lines_read == pretty.read_text().count("\n") + 1


def test_large_file_is_read_in_chunks_with_exact_line_numbers(tmp_path) -> None:
    lines = [event_line("q", {"n": str(i), "time": str(1785846000 + i)}) for i in range(3000)]
    lines[1234] = '{"name":"q", broken'
    path = write(tmp_path, "r.log", lines)
    result = read_json_lines(path, chunk_bytes=20_000)  # many chunks
    assert result.lines_read == 3000 and result.records.num_rows == 2999
    assert result.bad.lines == [1235]
    lines_seen = result.records.column("line").to_pylist()
    assert lines_seen == [i + 1 for i in range(3000) if i != 1234]


def test_a_tls_envelope_longer_than_the_sniffed_head_is_read(tmp_path) -> None:
    """A TLS logger posts many records in one envelope: a line of hundreds of KB, longer than
    the head a file is recognised by, must not make the file 'text in no osquery format'."""
    rows = [json.loads(event_line("q", {"n": str(i), "pad": "x" * 200})) for i in range(1000)]
    envelope = {"node_key": "k", "log_type": "result", "data": rows}
    path = write(tmp_path, "tls.log", [json.dumps(envelope)])
    assert os.path.getsize(path) > 65536
    ws = load([path])
    (source,) = ws.sources
    assert (source.status, source.kind) == ("loaded", "tls_log")
    assert ws.records.num_rows == 1000


def test_a_file_of_torn_records_is_a_log_with_its_lines_rejected(tmp_path) -> None:
    """Every line cut short (a crash mid-write, an envelope around a damaged record): the file
    is still a results log, each line rejected with its reason, not skipped as foreign text."""
    whole = event_line("q", {"a": "1"})
    envelope = json.dumps({"node_key": "k", "log_type": "result", "data": [json.loads(whole)]})
    torn = [whole[: len(whole) // 2], whole[: len(whole) // 3], envelope[:-30]]
    ws = load([write(tmp_path, "torn.log", torn)])
    (source,) = ws.sources
    assert source.status == "loaded"
    assert (source.lines_read, source.lines_rejected, source.lines_loaded) == (3, 3, 0)
    assert sorted(ws.bad_lines.column("line").to_pylist()) == [1, 2, 3]
    prose = write(tmp_path, "notes.txt", ["{ not osquery", "{ at all"])
    (skipped,) = load([prose]).sources
    assert skipped.status == "skipped" and "no osquery format" in (skipped.reason or "")


def test_skipped_envelope_items_are_named_by_their_line(tmp_path) -> None:
    good = json.loads(event_line("q", {"a": "1"}))
    envelopes = [
        json.dumps({"node_key": "k", "log_type": "result", "data": [good]}),
        json.dumps({"node_key": "k", "log_type": "result", "data": [good, {"weird": 1}]}),
        json.dumps({"node_key": "k", "log_type": "result",
                    "data": [{"node_key": "k", "data": []}, {"odd": 2}]}),
    ]  # fmt: skip
    result = read_json_lines(write(tmp_path, "tls.log", envelopes))
    assert result.records.num_rows == 2
    assert "2 envelope items were not osquery records and were skipped (lines 2, 3)" in result.notes
    assert "1 envelope item was an envelope itself and was skipped (line 3)" in result.notes
