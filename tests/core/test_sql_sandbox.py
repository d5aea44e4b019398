"""The records filter's SQL runs in a sandbox: one expression over the records, nothing else."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.schema import LOADED_RECORDS
from inspector.views.record_filter import FilterError, RecordFilter, filter_rows
from inspector.views.sql_sandbox import check_where, sandbox_connection


@pytest.fixture(scope="module")
def records() -> pa.Table:
    n = 6
    table = pa.table(
        {
            "host": pa.array(["a", "b"] * 3).dictionary_encode(),
            "line": pa.array(np.arange(1, n + 1), pa.int64()),
            "columns": pa.array([f'{{"path":"/tmp/{i}","pid":"{i}"}}' for i in range(n)]),
        }
    )
    return table


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP SECRET\n")
    return str(path)


ATTACKS = [
    ("read_text('{secret}') IS NOT NULL", "not a scalar function"),
    ("EXISTS (SELECT * FROM read_text('{secret}'))", "subquery"),
    ("line IN (SELECT 1 FROM read_csv('{secret}'))", "subquery"),
    ("(SELECT count(*) FROM read_blob('{secret}')) > 0", "subquery"),
    ("(SELECT count(*) FROM glob('/etc/*')) > 0", "subquery"),
    ("EXISTS (FROM 'https://example.com/x.parquet')", "subquery"),
    ("1=1) UNION ALL SELECT * FROM read_text('{secret}') WHERE (1=1", "UNION"),
    ("1=1) OR EXISTS (SELECT 1) OR (1=1", "subquery"),
    ("1=1); COPY (SELECT 1) TO '/tmp/x.csv'; SELECT 1 WHERE (1", "one expression"),
    ("1=1) GROUP BY ALL HAVING (1=1", "adds clauses"),
    ("1 = 1; SELECT 1", "one expression"),
    ("current_setting('home_directory') <> ''", "not available"),
    ("getvariable('x') IS NULL", "not available"),
    ("main.lower(host) = 'a'", "plain function names"),
    ("sum(line) > 0", "not a scalar function"),
    ("row_number() OVER () = 1", "window"),
    ("COLUMNS(*) IS NOT NULL", "*"),
    ("$1 = 1", "parameters"),
    ("#1 = 1", "positional"),
    ("sleep_ms(100000) IS NULL", "not available"),
]


@pytest.mark.parametrize(("clause", "words"), ATTACKS)
def test_attacks_are_refused_with_a_reason(records, secret, clause, words) -> None:
    with pytest.raises(FilterError) as refused:
        filter_rows(records, RecordFilter(sql_where=clause.format(secret=secret)))
    message = str(refused.value)
    assert words in message and "\n" not in message
    assert "TOP SECRET" not in message


@pytest.mark.parametrize(
    "clause",
    [
        "json_extract_string(columns, '$.path') LIKE '/tmp/%'",
        "host = 'a' AND line BETWEEN 2 AND 5",
        "line IN (1, 3, 5) OR host IS NULL",
        "CASE WHEN host = 'a' THEN line ELSE 0 END > 2",
        "list_filter([line, line + 1], lambda x: x > 3) <> []",
        "regexp_matches(columns, 'pid\":\"[0-4]') AND NOT host ILIKE 'B'",
        "coalesce(try_cast(json_extract_string(columns, '$.pid') AS INTEGER), -1) >= 2",
        "columns::JSON->>'$.path' = '/tmp/1' -- a comment",
    ],
)
def test_ordinary_filters_still_run(records, clause) -> None:
    rows = filter_rows(records, RecordFilter(sql_where=clause))
    assert isinstance(rows, np.ndarray)
    assert check_where(clause) == clause.strip()


def test_the_connection_itself_can_reach_nothing(secret) -> None:
    con = sandbox_connection()
    try:
        for sql in (
            f"SELECT * FROM read_text('{secret}')",
            f"SELECT * FROM read_csv('{secret}')",
            "SELECT * FROM glob('/etc/*')",
            "SELECT * FROM read_json('https://example.com/x.json')",
            "INSTALL httpfs",
            "LOAD httpfs",
            "SET enable_external_access = true",
            "SET autoload_known_extensions = true",
            f"ATTACH '{secret}.db'",
            f"COPY (SELECT 1) TO '{secret}.csv'",
        ):
            with pytest.raises(duckdb.Error):
                con.execute(sql).fetchall()
    finally:
        con.close()


def test_columns_are_checked_against_the_records_schema_before_loading() -> None:
    assert check_where("host = 'x'", LOADED_RECORDS) == "host = 'x'"
    with pytest.raises(FilterError, match='"hots" not found'):
        check_where("hots = 'x'", LOADED_RECORDS)
    with pytest.raises(FilterError, match="empty"):
        check_where("   ")


DANGEROUS = [
    "read_text('/etc/passwd')",
    "(SELECT 1)",
    "(SELECT * FROM glob('/'))",
    "EXISTS (SELECT 1)",
    "current_setting('threads')",
    "1) UNION SELECT * FROM records WHERE (1",
    "nextval('s')",
]
SAFE = ["line", "1", "host", "'x'", "line + 1", "lower(host)", "NULL"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    left=st.sampled_from(SAFE),
    danger=st.sampled_from(DANGEROUS),
    op=st.sampled_from(["=", "<>", "AND", "OR", "||", "IS DISTINCT FROM"]),
    wrap=st.sampled_from(["{}", "NOT ({})", "coalesce({}, 1)", "CASE WHEN {} THEN 1 END", "[{}]"]),
    swap=st.booleans(),
)
def test_a_dangerous_piece_anywhere_in_an_expression_is_refused(left, danger, op, wrap, swap):
    piece = wrap.format(danger)
    clause = f"{piece} {op} {left}" if swap else f"{left} {op} {piece}"
    with pytest.raises(FilterError):
        check_where(clause)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_refused_or_accepted_never_a_crash(text) -> None:
    try:
        check_where(text)
    except FilterError as exc:
        assert "\n" not in str(exc)
