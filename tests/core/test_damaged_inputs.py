"""Inputs that once broke the readers (from review): each loads what it can and says why not."""

from __future__ import annotations

import gzip
import json
import os

import zstandard

from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.readers.json_lines.reader import read_json_lines
from tests.osquery_lines import event_line, glog_line, snapshot_line

GOOD = [event_line("q", {"n": str(i), "time": str(1785846000 + i)}) for i in range(5)]


def write(tmp_path, name: str, data: bytes | str) -> str:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return str(path)


def only_source(paths: list[str], **options):
    ws = load(paths, LoadOptions(tz="UTC", **options))
    (source,) = ws.sources
    assert source.lines_loaded + source.lines_rejected == source.lines_read
    return ws, source


def test_odd_top_level_keys_become_decorations(tmp_path) -> None:
    lines = [
        '{"name":"q","hostIdentifier":"h","unixTime":1785846896,"user":"a","user":"b","columns":{},"action":"added"}',
        '{"name":"q","hostIdentifier":"h","unixTime":1785846896,"":"x","k\\"q":"y","columns":{},"action":"added"}',
    ]
    ws, source = only_source([write(tmp_path, "r.log", "\n".join(lines) + "\n")])
    assert source.lines_rejected == 0
    decorations = ws.records.column("decorations").to_pylist()
    assert json.loads(decorations[1]) == {"": "x", 'k"q': "y"}
    assert '"user":"a"' in decorations[0] and '"user":"b"' in decorations[0]


def test_glog_like_launcher_lines_are_rejected_not_crashing(tmp_path) -> None:
    lines = [
        '{"hostIdentifier":"h","unixTime":1785846896,"severity":0,"filename":"a.cpp","line":1,"message":"ok"}',
        '{"msg":"I0101 01:00:05 torn launcher line","ts":"2026-01-01T00:00:05Z"}',
        '{"msg":"I0101 01:00:05.000000  4242 a.cpp:1] fine\\nI0101 01:00:06.000000  4242 a.cpp:2] too",'
        '"ts":"2026-01-01T00:00:05Z"}',
    ]
    ws, source = only_source([write(tmp_path, "l.log", "\n".join(lines) + "\n")])
    assert source.status == "loaded" and ws.status.num_rows == 3
    (bad,) = ws.bad_lines.to_pylist()
    assert bad["line"] == 2 and "msg" in bad["reason"]


def test_first_line_longer_than_the_sniffing_head(tmp_path) -> None:
    rows = [{"pid": str(i), "path": "/usr/bin/" + "x" * 80} for i in range(2000)]
    data = snapshot_line("ps", rows) + "\n" + GOOD[0] + "\n"
    ws, source = only_source([write(tmp_path, "s.log", data)])
    assert source.kind == "mixed_log" or source.status == "loaded"
    assert ws.records.num_rows == 2001


def test_zero_block_and_junk_before_the_records(tmp_path) -> None:
    ws, source = only_source(
        [write(tmp_path, "z.log", b"\x00" * 70_000 + b"\n" + ("\n".join(GOOD) + "\n").encode())]
    )
    assert source.status == "loaded" and ws.records.num_rows == 5 and source.lines_rejected == 1
    junk = "\n".join(f"junk line {i}" for i in range(25)) + "\n" + "\n".join(GOOD) + "\n"
    ws, source = only_source([write(tmp_path, "j.log", junk)])
    assert source.status == "loaded" and ws.records.num_rows == 5 and source.lines_rejected == 25


def test_deep_nesting(tmp_path) -> None:
    data = "[" * 5000 + "]" * 5000 + "\n" + "\n".join(GOOD) + "\n"
    ws, source = only_source([write(tmp_path, "d.log", data)])
    assert source.status == "loaded" and ws.records.num_rows == 5


def test_truncated_gzip_keeps_what_was_readable(tmp_path) -> None:
    lines = [event_line("q", {"n": str(i)}) for i in range(20_000)]
    packed = gzip.compress(("\n".join(lines) + "\n").encode())
    ws, source = only_source([write(tmp_path, "r.log.3.gz", packed[: len(packed) // 2])])
    assert 1000 < ws.records.num_rows < 20_000
    assert any("truncated or corrupt" in n for n in source.notes)


def test_zstd_with_zero_padding_or_garbage_after_the_frame(tmp_path) -> None:
    packed = zstandard.ZstdCompressor().compress(("\n".join(GOOD) + "\n").encode())
    ws, source = only_source([write(tmp_path, "p.log.2.zst", packed + b"\x00" * 4096)])
    assert ws.records.num_rows == 5 and source.lines_rejected == 0
    ws, source = only_source([write(tmp_path, "g.log.2.zst", packed + b"garbage!")])
    assert ws.records.num_rows == 5 and any("corrupt" in n for n in source.notes)
    ws, source = only_source([write(tmp_path, "t.log.2.zst", packed[:12])])
    assert source.status == "skipped" and "truncated or corrupt" in source.reason


def test_glog_late_line_across_new_year_and_impossible_dates(tmp_path) -> None:
    lines = [
        "Log file created at: 2025/12/31 00:00:00",
        glog_line("a", when="1231 23:59:59.999990"),
        glog_line("b", when="0101 00:00:00.000001"),
        glog_line("late", when="1231 23:59:59.999995"),
        glog_line("d", when="0101 00:00:00.100000"),
        glog_line("bad", when="1345 99:99:99.000000"),
        glog_line("feb", when="0230 00:00:00.000000"),
    ]
    ws, _source = only_source([write(tmp_path, "g.log", "\n".join(lines) + "\n")])
    years = [r["log_time"].year for r in ws.status.to_pylist()]
    assert years == [2025, 2026, 2025, 2026]
    assert [r["line"] for r in ws.bad_lines.to_pylist()] == [6, 7]
    assert all("impossible date" in r for r in ws.bad_lines.column("reason").to_pylist())


def test_glog_numbers_out_of_range_do_not_lose_the_file(tmp_path) -> None:
    lines = [
        glog_line("a", tid=4242),
        "I0804 12:34:56.000000 99999999999999999999999 a.cpp:99999999999] big",
    ]
    ws, _source = only_source(
        [write(tmp_path, "osqueryd.INFO.20260804-120000.1", "\n".join(lines) + "\n")]
    )
    rows = ws.status.to_pylist()
    assert len(rows) == 2 and rows[1]["thread"] is None and rows[1]["src_line"] is None


def test_header_year_beats_the_year_option_and_stamp_with_compression(tmp_path) -> None:
    lines = ["Log file created at: 2025/08/04 12:34:56", glog_line("x")]
    ws, _ = only_source([write(tmp_path, "a.log", "\n".join(lines) + "\n")], year=2020)
    assert ws.status.column("log_time")[0].as_py().year == 2025
    packed = gzip.compress((glog_line("y") + "\n").encode())
    ws, _ = only_source([write(tmp_path, "osqueryd.INFO.20240804-120000.7.gz", packed)], year=2020)
    assert ws.status.column("log_time")[0].as_py().year == 2024


def test_bom_in_config_and_results(tmp_path) -> None:
    conf = '\ufeff{"schedule": {"fim": {"query": "SELECT * FROM file_events"}}}'
    ws, source = only_source([write(tmp_path, "osquery.conf", conf)])
    assert source.kind == "config" and ws.queries.num_rows == 1
    ws, source = only_source([write(tmp_path, "r.log", "\ufeff" + "\n".join(GOOD) + "\n")])
    assert ws.records.num_rows == 5 and not source.notes


def test_fractional_counter_is_not_rounded(tmp_path) -> None:
    line = (
        '{"name":"q","hostIdentifier":"h","unixTime":1785846896,"counter":"4.5","epoch":"0",'
        '"columns":{},"action":"added"}'
    )
    result = read_json_lines(write(tmp_path, "r.log", line + "\n"))
    row = result.records.to_pylist()[0]
    assert row["counter"] is None and row["epoch"] == 0


def test_batch_with_wrong_array_types_is_rejected_with_the_reason(tmp_path) -> None:
    line = '{"diffResults":{"removed":[],"added":{"a":"1"}},"name":"q","hostIdentifier":"h","unixTime":1785846896}'
    result = read_json_lines(write(tmp_path, "r.log", line + "\n"))
    assert result.bad.reasons == ["batch record whose diffResults.added is not a list"]


def test_batch_items_inside_an_envelope_keep_distinct_locators(tmp_path) -> None:
    batch = {
        "diffResults": {"removed": [{"a": "1"}], "added": [{"a": "2"}]},
        "name": "q", "hostIdentifier": "h", "unixTime": 1785846896,
    }  # fmt: skip
    envelope = {"node_key": "k", "log_type": "result", "data": [batch, batch]}
    result = read_json_lines(write(tmp_path, "e.log", json.dumps(envelope) + "\n"))
    locators = [(r["line"], r["item"], r["part"]) for r in result.records.to_pylist()]
    assert locators == [(1, 0, 0), (1, 0, 1), (1, 1, 0), (1, 1, 1)]


def test_same_file_given_twice(tmp_path) -> None:
    path = write(tmp_path, "r.log", "\n".join(GOOD) + "\n")
    ws = load([path, path])
    assert [s.status for s in ws.sources] == ["loaded", "duplicate"]
    assert "given twice" in ws.sources[1].reason
    os.symlink(path, tmp_path / "link.log")
    ws = load([str(tmp_path)])
    assert "symbolic link" in next(s.reason for s in ws.sources if s.status == "duplicate")


def test_a_file_whose_name_is_not_utf8_is_reported_and_the_rest_loads(tmp_path) -> None:
    good = write(tmp_path, "osqueryd.results.log", "\n".join(GOOD) + "\n")
    with open(os.path.join(os.fsencode(str(tmp_path)), b"odd-\xfe.log"), "wb") as f:
        f.write(("\n".join(GOOD) + "\n").encode())
    ws = load([str(tmp_path)])
    by_reason = {s.reason: s for s in ws.sources}
    odd = by_reason["its name is not valid UTF-8; rename it to read it"]
    assert odd.path.endswith("odd-\\xfe.log") and odd.status == "error"
    assert ws.records.num_rows == len(GOOD) and good in {s.path for s in ws.sources}
