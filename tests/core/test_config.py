"""osquery.conf and packs: query names as osquery logs them, SQL → tables → subscriber."""

from __future__ import annotations

import json

import pytest

from inspector.catalog.sql_tables import tables_in_sql
from inspector.readers.config import read_config, strip_comments
from inspector.readers.result import SkipFile


def test_pack_delimiter_and_inline_packs(tmp_path) -> None:
    conf = {
        "options": {"pack_delimiter": "/"},
        "schedule": {
            "fim": {"query": "SELECT * FROM file_events;", "interval": 300, "removed": False}
        },
        "packs": {
            "ir": {
                "platform": "linux",
                "queries": {"socks": {"query": "select * from socket_events"}},
            }
        },
    }
    path = tmp_path / "osquery.conf"
    path.write_text(json.dumps(conf))
    rows = {r["query"]: r for r in read_config(str(path)).queries.to_pylist()}
    assert rows["fim"]["subscriber"] == "file_events" and rows["fim"]["removed"] is False
    assert rows["pack/ir/socks"]["subscriber"] == "socket_events"
    assert rows["pack/ir/socks"]["platform"] == "linux" and rows["pack/ir/socks"]["pack"] == "ir"


def test_comments_are_stripped_like_osquery() -> None:
    text = '# hash\n  // slashes\n{"schedule": {}}\n'
    assert json.loads(strip_comments(text)) == {"schedule": {}}


def test_non_event_and_ambiguous_queries_have_no_subscriber(tmp_path) -> None:
    conf = {
        "schedule": {
            "procs": {"query": "SELECT pid FROM processes"},
            "joined": {"query": "SELECT * FROM process_events JOIN socket_events USING (pid)"},
        }
    }
    path = tmp_path / "c.conf"
    path.write_text(json.dumps(conf))
    rows = {r["query"]: r for r in read_config(str(path)).queries.to_pylist()}
    assert rows["procs"]["subscriber"] is None and rows["joined"]["subscriber"] is None


def test_invalid_config_json_names_the_line(tmp_path) -> None:
    path = tmp_path / "osquery.conf"
    path.write_text('{\n  "schedule": {\n    "a": {"query": "select 1"},,\n  }\n}\n')
    result = read_config(str(path))
    assert result.bad.lines == [3] and "not valid JSON" in result.bad.reasons[0]
    assert result.lines_loaded + len(result.bad) == result.lines_read


def test_not_a_config(tmp_path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"hello": "world"}')
    with pytest.raises(SkipFile):
        read_config(str(path))


def test_tables_in_sql() -> None:
    sql = """
        -- comment FROM fake
        WITH recent AS (SELECT * FROM process_events WHERE path = 'from x')
        SELECT r.pid, p.name FROM recent r JOIN processes p USING (pid) /* join y */
    """
    assert tables_in_sql(sql) == ["process_events", "processes"]
