"""glog status files: headers, continuation lines, the year, the time zone, markers."""

from __future__ import annotations

import os

import numpy as np

from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.readers.glog import GlogOptions, read_glog
from tests.osquery_lines import GLOG_HEADER_4, GLOG_HEADER_5, glog_line


def write(tmp_path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_4x_header_is_skipped_and_counted_as_loaded(tmp_path) -> None:
    path = write(
        tmp_path,
        "osqueryd.INFO",
        [*GLOG_HEADER_4, glog_line("osquery initialized [version=4.9.0]")],
    )
    result = read_glog(path, options=GlogOptions())
    assert result.lines_read == 4 and result.lines_loaded == 4 and result.status.num_rows == 1
    assert result.meta["host"] == "web-01"
    (row,) = result.status.to_pylist()
    assert row["log_time"].isoformat() == "2026-08-04T12:34:56.012428+00:00"
    assert (row["thread"], row["file"], row["src_line"]) == (4250, "config.cpp", 363)


def test_5x_header_claims_yyyymmdd_but_lines_have_mmdd(tmp_path) -> None:
    path = write(
        tmp_path, "x.log", [*GLOG_HEADER_5, glog_line("Calling configure for logger filesystem")]
    )
    (row,) = read_glog(path, options=GlogOptions()).status.to_pylist()
    assert row["log_time"].year == 2026 and row["log_time"].month == 8


def test_year_from_file_name_stamp_and_new_year_rollover(tmp_path) -> None:
    lines = [
        glog_line("before midnight", when="1231 23:59:59.000000"),
        glog_line("after midnight", when="0101 00:00:01.000000"),
    ]
    path = write(tmp_path, "osqueryd.INFO.20251231-235000.77", lines)
    rows = read_glog(path, options=GlogOptions()).status.to_pylist()
    assert [r["log_time"].isoformat() for r in rows] == [
        "2025-12-31T23:59:59+00:00",
        "2026-01-01T00:00:01+00:00",
    ]


def test_year_from_modification_time_is_said(tmp_path) -> None:
    path = write(tmp_path, "excerpt.txt", [glog_line("hello", when="0301 10:00:00.000000")])
    os.utime(path, (1780000000, 1780000000))  # 2026-05-28
    result = read_glog(path, options=GlogOptions())
    assert result.status.column("log_time")[0].as_py().year == 2026
    assert any("modification time" in n for n in result.notes)
    os.utime(path, (1770000000, 1770000000))  # 2026-02-02: a March line must be from 2025
    result = read_glog(path, options=GlogOptions())
    assert result.status.column("log_time")[0].as_py().year == 2025


def test_year_parameter_wins(tmp_path) -> None:
    path = write(tmp_path, "excerpt.txt", [glog_line("hello")])
    result = read_glog(path, options=GlogOptions(year=2019))
    assert result.status.column("log_time")[0].as_py().year == 2019


def test_local_time_to_utc_across_dst(tmp_path) -> None:
    """The reader keeps the wall clock; placed in a given zone, DST moves the offset."""
    lines = [
        glog_line("winter", when="0115 12:00:00.000000"),
        glog_line("summer", when="0715 12:00:00.000000"),
    ]
    path = write(tmp_path, "osqueryd.INFO.20260115-120000.1", lines)
    rows = read_glog(path, options=GlogOptions()).status.to_pylist()
    assert {r["clock"] for r in rows} == {"local"}
    assert [r["local_time"].hour for r in rows] == [12, 12]
    ws = load([path], LoadOptions(tz="America/New_York"))
    assert [r["log_time"].hour for r in ws.status.to_pylist()] == [17, 16]
    (clock,) = ws.status_clocks.to_pylist()
    assert clock["basis"] == "given" and clock["zone"] == "America/New_York"


def test_plain_lines_stay_apart_and_nul_lines_are_rejected(tmp_path) -> None:
    """A program's plain output in a glog file is never glued to an osquery message."""
    lines = [
        "garbage before the first record",
        glog_line("first"),
        "some program printed this",
        "",
        "\x00" * 64,
        glog_line("second", severity="E", where="rocksdb.cpp:90"),
    ]
    result = read_glog(write(tmp_path, "g.log", lines), options=GlogOptions())
    rows = result.status.to_pylist()
    assert [(r["format"], r["message"]) for r in rows] == [
        ("plain", "garbage before the first record"),
        ("glog", "first"),
        ("plain", "some program printed this"),
        ("glog", "second"),
    ]
    assert rows[0]["local_time"] == rows[1]["local_time"] == rows[2]["local_time"]
    assert rows[3]["severity"] == "ERROR"
    assert dict(zip(result.bad.lines, result.bad.reasons, strict=True)).keys() == {5}
    assert any("not glog lines" in n for n in result.notes)
    assert result.lines_loaded + len(result.bad) == result.lines_read == 6


def test_windows_thread_ids_and_crlf(tmp_path) -> None:
    path = tmp_path / "w.log"
    path.write_bytes(
        b"I0905 13:07:16.499240  4776 events.cpp:863] Event publisher not enabled: x: y\r\n"
    )
    (row,) = read_glog(str(path), options=GlogOptions()).status.to_pylist()
    assert row["message"] == "Event publisher not enabled: x: y" and row["thread"] == 4776


def test_a_break_cuts_continuation_lines_from_their_record() -> None:
    from inspector.readers.glog_lines import unbroken_groups

    # records start at lines 0 and 3; lines 1-2 and 4-5 continue them; a break at line 2
    is_record = np.array([1, 0, 0, 1, 0, 0], bool)
    group = np.cumsum(is_record) - 1
    breaks = np.array([0, 0, 1, 0, 0, 0], bool)
    assert unbroken_groups(group, is_record, breaks).tolist() == [0, 0, -1, 1, 1, 1]
    # a break on a record's own line does not cut its continuations
    breaks = np.array([0, 0, 0, 1, 0, 0], bool)
    assert unbroken_groups(group, is_record, breaks).tolist() == [0, 0, 0, 1, 1, 1]
    # lines before the first record belong to none, break or not
    before = unbroken_groups(np.array([-1, 0]), np.array([0, 1], bool), np.zeros(2, bool))
    assert before.tolist() == [-1, 0]


def test_glog_years_come_from_the_anchor_then_the_given_year_then_the_file_time(
    tmp_path,
) -> None:
    import datetime as dt

    import pyarrow as pa

    from inspector.readers.glog_lines import parse_glog_lines
    from inspector.readers.glog_stream import _years
    from inspector.readers.result import ReaderResult

    texts = pa.array(["I1230 23:59:59.000000 1 a.cc:1] late", "I0102 00:00:01.000000 1 a.cc:1] x"])
    parsed = parse_glog_lines(texts, np.array([1, 2]), None, join_continuations=False)
    path = tmp_path / "osqueryd.INFO"
    path.write_text("")
    result = ReaderResult(kind="status_log_glog")
    anchored = _years(str(path), parsed, dt.date(2025, 12, 30), GlogOptions(year=1999), result)
    assert anchored.tolist() == [2025, 2026] and not result.notes  # the new year is crossed
    given = _years(str(path), parsed, None, GlogOptions(year=2020), result)
    assert given[0] == 2020 and result.notes == ["glog lines carry no year: 2020 as given"]
    result = ReaderResult(kind="status_log_glog")
    _years(str(path), parsed, None, GlogOptions(), result)
    assert result.meta["year_assumed"] is True and len(result.notes) == 1
