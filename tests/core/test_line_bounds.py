"""Lines of any length and NUL runs of any length: every line accounted for, the text after a NUL
run kept, nothing longer than the line cap held in memory (small caps here; the real sizes are in
test_bounded_memory)."""

from __future__ import annotations

import gzip

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.files.source_file import iter_chunks
from inspector.readers.glog import GlogOptions, read_glog
from inspector.readers.json_lines.reader import read_json_lines
from inspector.readers.result import BadLines
from tests.osquery_lines import GLOG_HEADER_5, event_line, glog_line

RECORD = event_line("q", {"n": "1"})

piece = st.one_of(
    st.binary(max_size=30),
    st.builds(lambda n: b"\0" * n, st.integers(1, 300)),
    st.builds(lambda n: b"x" * n, st.integers(1, 300)),
    st.just(b"\n"),
    st.just(b"\n" * 50),
)


def delivered_lines(path: str, chunk: int, cap: int) -> list[tuple[bytes, int, int]]:
    """(line text, bytes dropped before it, too_long) for every line iter_chunks gives."""
    out: list[tuple[bytes, int, int]] = []
    for c in iter_chunks(path, chunk, line_cap=cap):
        data = bytes(c.data)
        if c.too_long or c.dropped:
            out.append((data.removesuffix(b"\n"), c.dropped, c.too_long))
            continue
        parts = data.split(b"\n")
        if data.endswith(b"\n"):
            parts.pop()
        out += [(p, 0, 0) for p in parts]
    return out


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(piece, max_size=25), chunk=st.integers(8, 64), cap=st.integers(4, 200))
def test_every_line_is_delivered_whole_cut_after_a_nul_run_or_counted(tmp_path, pieces, chunk, cap):
    data = b"#" + b"".join(pieces)  # never a compression magic at the start
    path = tmp_path / "f.log"
    path.write_bytes(data)
    expected = data.split(b"\n")
    if data.endswith(b"\n"):
        expected.pop()
    got = delivered_lines(str(path), chunk, cap)
    assert len(got) == len(expected)
    for original, (text, dropped, too_long) in zip(expected, got, strict=True):
        if too_long:
            assert too_long == len(original) and len(original) > cap
            assert text == b""
        elif dropped:
            assert original[:dropped].endswith(b"\0") and original[dropped:] == text
            assert b"\0" not in text and len(text) <= cap + 1
        else:
            assert text == original


@pytest.mark.parametrize("compress", [None, "gzip", "zstd"])
def test_a_huge_nul_block_before_records_drops_nothing(tmp_path, compress) -> None:
    records = [event_line("q", {"n": str(i)}, unix=1785846000 + i) for i in range(1000)]
    data = b"\0" * (8 << 20) + ("\n".join(records) + "\n").encode()
    if compress == "gzip":
        data = gzip.compress(data)
    elif compress == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    path = tmp_path / "osqueryd.results.log"
    path.write_bytes(data)
    from inspector.loading.pipeline import load

    ws = load([str(path)])
    (source,) = ws.sources
    assert source.status == "loaded" and source.rows == 1000 and source.lines_rejected == 0
    assert any("NUL" in n for n in source.notes)


def test_records_after_nul_runs_load_and_torn_ones_are_said(tmp_path) -> None:
    first = event_line("q", {"n": "1"}, unix=1785846001)
    second = event_line("q", {"n": "2"}, unix=1785846002)
    third = event_line("q", {"n": "3"}, unix=1785846003)
    data = (
        first.encode() + b"\n"
        + second[:25].encode() + b"\0" * 40_000 + second.encode() + b"\n"  # torn, zeros, again
        + b"\0" * 300 + b"\n"  # nothing but NULs
        + b"\0" * 5_000_000 + third.encode() + b"\n"  # a long zero block before a record
    )  # fmt: skip
    path = tmp_path / "r.log"
    path.write_bytes(data)
    for chunk in (1 << 20, 32 << 20):  # the long block as its own long line, and inside a chunk
        result = read_json_lines(str(path), chunk_bytes=chunk)
        assert result.lines_read == 4 and result.lines_loaded == 3
        assert result.records.num_rows == 3
        assert result.bad.lines == [3] and "300 NUL bytes" in result.bad.reasons[0]
        assert any("torn record" in n for n in result.notes)


def test_a_line_past_the_cap_is_counted_not_held(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("inspector.files.source_file.LINE_CAP", 1 << 20)
    data = (RECORD + "\n").encode() + b"y" * (5 << 20) + b"\n" + (RECORD + "\n").encode()
    path = tmp_path / "r.log"
    path.write_bytes(data)
    got = list(iter_chunks(str(path), 1 << 16, line_cap=1 << 20))
    assert any(c.too_long == 5 << 20 for c in got)
    assert max(len(c.data) for c in got) < 2 << 20


def test_a_nul_run_before_a_glog_line_keeps_the_line(tmp_path) -> None:
    lines = [glog_line(f"message {i}") for i in range(4)]
    data = (
        "\n".join(GLOG_HEADER_5).encode() + b"\n"
        + lines[0].encode() + b"\n"
        + b"\0" * 4096 + lines[1].encode() + b"\n"  # zeros left by a crash, then the agent again
        + b"\0" * 99 + b"\n"
        + lines[2][:20].encode() + b"\0" * (3 << 20) + lines[3].encode() + b"\n"
    )  # fmt: skip
    path = tmp_path / "osqueryd.INFO"
    path.write_bytes(data)
    result = read_glog(str(path), options=GlogOptions())
    messages = result.status.column("message").to_pylist()
    assert messages == ["message 0", "message 1", "message 3"]
    assert set(result.status.column("format").to_pylist()) == {"glog"}
    header = len(GLOG_HEADER_5)
    assert result.lines_read == header + 4 and result.lines_loaded == header + 3
    assert result.bad.lines == [header + 3] and "99 NUL bytes" in result.bad.reasons[0]


def test_a_flood_of_empty_lines_is_one_entry(tmp_path) -> None:
    data = (RECORD + "\n" + "\n" * 3_000_000 + RECORD + "\n").encode()
    path = tmp_path / "r.log"
    path.write_bytes(data)
    result = read_json_lines(str(path))
    assert result.records.num_rows == 2 and result.lines_read == 3_000_002
    assert (result.bad.lines, result.bad.counts) == ([2], [3_000_000])
    assert len(result.bad) == 3_000_000 and result.accounted
    table = result.bad.table("r.log")
    assert table.column("lines").to_pylist() == [3_000_000]


def test_a_flood_of_empty_lines_in_a_glog_file_is_counted(tmp_path) -> None:
    data = glog_line("one") + "\n" + "\n" * 700_000 + "other program\n" + glog_line("two") + "\n"
    path = tmp_path / "osqueryd.INFO"
    path.write_text(data)
    result = read_glog(str(path), options=GlogOptions(year=2026))
    assert result.status.num_rows == 3 and result.accounted and not len(result.bad)
    assert "700,000 empty lines" in result.notes
    rows = result.status.to_pylist()
    assert [r["format"] for r in rows] == ["glog", "plain", "glog"]
    assert rows[1]["local_time"] == rows[0]["local_time"]  # timed by the glog line before it


def test_bad_lines_runs_join_only_what_is_contiguous() -> None:
    bad = BadLines()
    bad.add_run(5, 3, "empty line")
    bad.add_run(8, 2, "empty line")  # joins: 5–9
    bad.add(10, "not a JSON record")
    bad.add_run(11, 1, "empty line")
    bad.add_run(13, 1, "empty line")  # a gap: a new entry
    assert (bad.lines, bad.counts) == ([5, 10, 11, 13], [5, 1, 1, 1])
    assert len(bad) == 8 and bad.entries == 4
    other = BadLines()
    other.add_run(14, 4, "empty line")
    bad.merge(other)
    assert (bad.lines[-1], bad.counts[-1]) == (13, 5)
    assert BadLines.of_table(bad.table("x")).counts == bad.counts


def test_gzip_and_zstd_members_one_after_another(tmp_path) -> None:
    parts = [("\n".join(event_line("q", {"n": f"{k}-{i}"}) for i in range(50)) + "\n").encode()
             for k in range(4)]  # fmt: skip
    (tmp_path / "r.gz").write_bytes(b"".join(gzip.compress(p) for p in parts))
    (tmp_path / "r.zst").write_bytes(
        b"".join(zstandard.ZstdCompressor().compress(p) for p in parts)
    )
    for name in ("r.gz", "r.zst"):
        result = read_json_lines(str(tmp_path / name))
        assert result.records.num_rows == 200 and result.lines_read == 200 and not result.notes
