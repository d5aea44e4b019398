"""The JSON-lines parser's input table: brace search, blanked prefixes, NUL runs, bad UTF-8."""

from __future__ import annotations

import numpy as np

from inspector.files.line_index import split_lines
from inspector.readers.json_lines.parser_input import BOM, first_braces, line_table

RECORD = b'{"name":"q","unixTime":1}'


def _texts(data: bytes, first_line: int = 1) -> tuple[list[str], list[bool]]:
    """Each line's text (its newline dropped: the texts share one buffer) and its ``ok``."""
    table = line_table(split_lines(bytearray(data), first_line)).table
    return [t.rstrip("\n") for t in table.column("text").to_pylist()], table.column(
        "ok"
    ).to_pylist()


def test_first_braces_finds_the_first_brace_of_each_line_or_minus_one() -> None:
    data = b'{"a":1}\nxx {"b":2}\nnone\n\n'
    chunk = split_lines(data, 1)
    arr = np.frombuffer(data, dtype=np.uint8)
    assert first_braces(arr, chunk.starts, chunk.ends).tolist() == [0, 11, -1, -1]


def test_first_braces_of_no_bytes() -> None:
    empty = np.zeros(0, np.int64)
    assert first_braces(np.zeros(0, np.uint8), empty, empty).tolist() == []


def test_a_prefix_before_the_record_is_blanked_and_counted() -> None:
    data = b"Nov  2 00:00:01 host osqueryd[7]: " + RECORD + b"\n" + RECORD + b"\n"
    result = line_table(split_lines(bytearray(data), 1))
    texts = result.table.column("text").to_pylist()
    assert [t.strip() for t in texts] == [RECORD.decode()] * 2
    assert texts[0].startswith(" ") and result.prefixed == 1


def test_a_byte_order_mark_at_the_file_start_is_blanked_and_not_a_prefix() -> None:
    texts, ok = _texts(BOM + RECORD + b"\n")
    assert texts == ["   " + RECORD.decode()] and ok == [True]
    assert line_table(split_lines(bytearray(BOM + RECORD + b"\n"), 1)).prefixed == 0
    # Inside the file (a later chunk) the same bytes are a prefix like any other.
    assert line_table(split_lines(bytearray(BOM + RECORD + b"\n"), 5)).prefixed == 1


def test_nuls_after_a_complete_record_are_blanked() -> None:
    result = line_table(split_lines(bytearray(RECORD + b"\x00\x00\n"), 1))
    assert result.table.column("text").to_pylist() == [RECORD.decode() + "  \n"]
    assert result.nul_trimmed == 1 and result.torn_before_nuls == 0


def test_a_record_after_a_nul_run_is_the_line_and_a_torn_one_before_is_counted() -> None:
    result = line_table(split_lines(bytearray(b'{"torn\x00\x00' + RECORD + b"\n"), 1))
    assert result.table.column("text").to_pylist()[0].strip() == RECORD.decode()
    assert (result.nul_trimmed, result.torn_before_nuls) == (1, 1)


def test_invalid_utf8_rejects_the_line_before_parsing_and_blanks_it() -> None:
    result = line_table(split_lines(bytearray(b"\xff" + RECORD + b"\n" + RECORD + b"\n"), 1))
    assert result.pre_bad == {0: "invalid UTF-8 at byte 1 of the line"}
    assert result.table.column("ok").to_pylist() == [False, True]
    assert result.table.column("text").to_pylist()[0].strip() == ""


def test_read_only_input_is_copied_not_written() -> None:
    data = b"xx " + RECORD + b"\n"
    table = line_table(split_lines(data, 1)).table  # bytes: cannot be blanked in place
    assert table.column("text").to_pylist() == ["   " + RECORD.decode() + "\n"]
    assert data.startswith(b"xx ")


def test_lines_without_a_brace_are_not_ok_and_keep_their_numbers() -> None:
    table = line_table(split_lines(bytearray(b"garbage\n" + RECORD + b"\n"), 41)).table
    assert table.column("ok").to_pylist() == [False, True]
    assert table.column("line").to_pylist() == [41, 42]
