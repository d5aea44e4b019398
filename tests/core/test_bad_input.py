"""Bad input is reported line by line and never stops the rest from loading (product.md)."""

from __future__ import annotations

import gzip
import os

import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.loading import small_files
from inspector.loading.pipeline import load
from inspector.readers.json_lines.reader import read_json_lines
from inspector.readers.sniff import Head
from tests.osquery_lines import FILE_EVENT, batch_line, event_line, snapshot_line, status_json

GOOD = [event_line("pack_fim_file_events", dict(FILE_EVENT, inode=str(i))) for i in range(5)]


def write_bytes(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def reasons(result) -> dict[int, str]:
    return dict(zip(result.bad.lines, result.bad.reasons, strict=True))


def test_torn_last_line(tmp_path) -> None:
    data = "\n".join(GOOD).encode() + b"\n" + GOOD[0][:57].encode()
    result = read_json_lines(write_bytes(tmp_path, "r.log", data))
    assert result.records.num_rows == 5 and result.lines_read == 6
    assert "truncated record at end of file" in reasons(result)[6]


def test_nul_filled_block_between_records(tmp_path) -> None:
    data = (GOOD[0] + "\n" + GOOD[1][:40]).encode() + b"\x00" * 4096 + b"\n" + b"\x00" * 512 + b"\n"
    data += (GOOD[2] + "\n").encode() + b"\x00" * 100 + (GOOD[3] + "\n").encode()
    result = read_json_lines(write_bytes(tmp_path, "r.log", data))
    got = reasons(result)
    assert result.lines_read == 5
    assert "NUL bytes" in got[2] and "NUL bytes" in got[3]
    # The record written right after a NUL run is kept (with a note), not thrown away.
    assert result.records.column("line").to_pylist() == [1, 4, 5]
    assert any("NUL" in n for n in result.notes)


def test_ten_megabyte_line(tmp_path) -> None:
    huge = event_line("q", {"blob": "x" * 10_000_000})
    garbage = "y" * 10_000_000
    data = "\n".join([GOOD[0], huge, garbage, GOOD[1]]).encode() + b"\n"
    result = read_json_lines(write_bytes(tmp_path, "r.log", data))
    assert result.records.column("line").to_pylist() == [1, 2, 4]
    assert "not a JSON record" in reasons(result)[3] and "10,000,000 bytes" in reasons(result)[3]


def test_invalid_utf8_line(tmp_path) -> None:
    bad = GOOD[1].encode().replace(b"/home", b"/h\xffme")
    data = b"\n".join([GOOD[0].encode(), bad, GOOD[2].encode()]) + b"\n"
    result = read_json_lines(write_bytes(tmp_path, "r.log", data))
    assert result.records.column("line").to_pylist() == [1, 3]
    assert reasons(result)[2].startswith("invalid UTF-8 at byte")


def test_valid_utf8_passes_through(tmp_path) -> None:
    line = event_line("q", {"path": "/Users/zoë/café"})
    result = read_json_lines(write_bytes(tmp_path, "r.log", (line + "\n").encode()))
    assert "café" in result.records.column("columns")[0].as_py()


def test_blank_and_non_osquery_json_lines(tmp_path) -> None:
    data = "\n".join([GOOD[0], "", "[1,2]", '{"foo": 1}', "plain text", GOOD[1]]).encode() + b"\n"
    result = read_json_lines(write_bytes(tmp_path, "r.log", data))
    got = reasons(result)
    assert got[2] == "empty line"
    assert "malformed JSON" in got[3] or "not a JSON record" in got[3]
    assert "not an osquery result or status record (keys: foo)" in got[4]
    assert "not a JSON record" in got[5]


def test_binary_empty_and_unreadable_files_do_not_stop_the_rest(tmp_path, monkeypatch) -> None:
    good = write_bytes(tmp_path, "osqueryd.results.log", ("\n".join(GOOD) + "\n").encode())
    write_bytes(tmp_path, "binary.bin", bytes(range(256)) * 64)
    write_bytes(tmp_path, "empty.log", b"")
    locked = write_bytes(tmp_path, "locked.log", ("\n".join(GOOD) + "\n").encode())
    real_of = Head.of.__func__

    def deny(cls, path):
        if path == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_of(cls, path)

    monkeypatch.setattr(Head, "of", classmethod(deny))
    real_open = small_files.open_regular

    def deny_open(path):  # small files are read whole before they are sniffed
        if path == locked:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path)

    monkeypatch.setattr(small_files, "open_regular", deny_open)
    ws = load([str(tmp_path)])
    by_name = {os.path.basename(s.path): s for s in ws.sources}
    assert by_name["osqueryd.results.log"].status == "loaded" and ws.records.num_rows == 5
    assert by_name["binary.bin"].status == "skipped" and "binary" in by_name["binary.bin"].reason
    assert by_name["empty.log"].reason == "empty file"
    assert by_name["locked.log"].status == "error" and locked in by_name["locked.log"].reason
    assert good in [s.path for s in ws.loaded_sources]


def test_corrupt_compressed_file_keeps_what_was_readable(tmp_path) -> None:
    lines = [event_line("q", {"n": str(i)}) for i in range(2000)]
    packed = zstandard.ZstdCompressor(level=1).compress(("\n".join(lines) + "\n").encode())
    path = write_bytes(tmp_path, "r.log.2.zst", packed[: len(packed) // 2])
    ws = load([path])
    (source,) = ws.sources
    assert source.status == "loaded" and 0 < source.rows < 2000
    assert any("truncated or corrupt" in n for n in source.notes)
    assert source.lines_loaded + source.lines_rejected == source.lines_read


def test_missing_path_is_an_error_and_others_still_load(tmp_path) -> None:
    good = write_bytes(tmp_path, "r.log", ("\n".join(GOOD) + "\n").encode())
    ws = load([str(tmp_path / "nope"), good])
    assert [s.status for s in ws.sources] == ["error", "loaded"]
    assert ws.sources[0].reason == "no such file or directory"


# --- property: every line is accounted for, whatever happens to a valid log ---------------

VALID_LINES = [
    *GOOD,
    batch_line("processes", [{"pid": "1"}], [{"pid": "2"}]),
    snapshot_line("ps", [{"pid": "1"}]),
    status_json("Calling configure for logger filesystem"),
]

mutation = st.one_of(
    st.tuples(st.just("truncate"), st.integers(0, 400)),
    st.tuples(st.just("nul"), st.integers(1, 300)),
    st.tuples(st.just("bytes"), st.binary(min_size=1, max_size=40)),
    st.tuples(st.just("crlf"), st.just(0)),
    st.tuples(
        st.just("prefix"), st.sampled_from(["Jun 21 12:05:59 host osqueryd: ", "\x00\x00", "  "])
    ),
    st.tuples(st.just("drop_newline"), st.just(0)),
    st.tuples(st.just("blank"), st.just(0)),
)


def _mutate(line: bytes, how: tuple) -> bytes:
    kind, arg = how
    if kind == "truncate":
        return line[: arg % (len(line) + 1)]
    if kind == "nul":
        return line + b"\x00" * arg
    if kind == "bytes":
        cut = len(line) // 2
        return line[:cut] + arg + line[cut:]
    if kind == "crlf":
        return line + b"\r"
    if kind == "prefix":
        return arg.encode() + line
    if kind == "drop_newline":
        return line + b"\x00"
    return b""


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(0, len(VALID_LINES) - 1), min_size=1, max_size=12),
    mutations=st.lists(st.tuples(st.integers(0, 11), mutation), max_size=6),
    trailing_newline=st.booleans(),
    compress=st.sampled_from([None, "zstd", "gzip"]),
)
def test_mutated_logs_reconcile(tmp_path, picks, mutations, trailing_newline, compress) -> None:
    lines = [VALID_LINES[i].encode() for i in picks]
    for index, how in mutations:
        if index < len(lines):
            lines[index] = _mutate(lines[index], how)
    data = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    if compress == "zstd":
        data = zstandard.ZstdCompressor().compress(data)
    elif compress == "gzip":
        data = gzip.compress(data)
    path = tmp_path / "mutated.log"
    path.write_bytes(data)
    result = read_json_lines(str(path), chunk_bytes=512)
    expected_lines = data_lines(lines, trailing_newline)
    assert result.lines_read == expected_lines
    assert result.lines_loaded + len(result.bad) == result.lines_read
    assert len(set(result.bad.lines)) == len(result.bad.lines)
    assert all(1 <= n <= result.lines_read for n in result.bad.lines)
    assert all(reason for reason in result.bad.reasons)
    loaded_lines = set(result.records.column("line").to_pylist()) if result.records else set()
    status_lines = set(result.status.column("line").to_pylist()) if result.status else set()
    assert not loaded_lines & set(result.bad.lines)
    # A reader that rejected everything would pass the accounting above: every line nobody
    # touched (and not glued to a damaged one by an inserted line break) must load.
    mutated = {index for index, _ in mutations if index < len(lines)}
    if not any(b"\n" in line for line in lines):
        untouched = {i + 1 for i in range(len(lines)) if i not in mutated and i - 1 not in mutated}
        assert untouched <= loaded_lines | status_lines, (untouched, result.bad.reasons)


def data_lines(lines: list[bytes], trailing_newline: bool) -> int:
    """Lines as a text editor counts them: every "\\n" ends one; a last piece without one counts too."""
    text = b"\n".join(lines) + (b"\n" if trailing_newline else b"")
    count = text.count(b"\n")
    return count + (1 if text and not text.endswith(b"\n") else 0)


def test_reasons_read_as_sentences(tmp_path) -> None:
    """No "at at" from the JSON parser's own "starting at", no "1 lines"."""
    data = "\n".join([GOOD[0], '{"name": "q", "columns": {"path": "/tmp/x', GOOD[1]]).encode()
    result = read_json_lines(write_bytes(tmp_path, "r.log", data + b"\n"))
    reason = reasons(result)[2]
    assert reason.startswith("malformed JSON: Unterminated string starting at column ")
    assert " at at " not in reason
    from inspector.readers.sniff import describe_bytes

    assert describe_bytes(b"just some words").startswith("15 bytes in 1 line of ASCII text")
    assert " 2 lines " in describe_bytes(b"two\nlines\n")
