"""DuckDB never draws its progress bar: it writes it to standard output for any query over 2 s,
into the middle of a command's ``--json`` answer."""

from __future__ import annotations

import ast
from pathlib import Path

from inspector.duck import connection, new_database
from inspector.fleet.engines import DuckDBEngine, Scope
from inspector.views.sql_sandbox import sandbox_connection

ROOT = Path(__file__).resolve().parents[2]


def _progress_bar(con) -> bool:
    return con.sql("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]


def test_every_kind_of_connection_has_no_progress_bar(tmp_path):
    assert _progress_bar(new_database()) is False
    assert _progress_bar(new_database(threads=1)) is False
    assert _progress_bar(connection()) is False
    assert _progress_bar(connection(threads=1)) is False
    assert _progress_bar(sandbox_connection()) is False
    engine = DuckDBEngine(str(tmp_path / "nothing"), Scope())
    assert _progress_bar(engine.con) is False


def test_duckdb_is_opened_through_inspector_duck_only():
    """No module but ``inspector.duck`` calls DuckDB's module functions (``duckdb.connect``,
    ``duckdb.sql``, ``duckdb.read_parquet`` … open a connection, or use the default one, with
    the progress bar on) or imports names from it."""
    opened = []
    for path in [*ROOT.joinpath("inspector").rglob("*.py"), *ROOT.joinpath("ui").rglob("*.py")]:
        if path.name == "duck.py" and path.parent.name == "inspector":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            called = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "duckdb"
            )
            imported = isinstance(node, ast.ImportFrom) and node.module == "duckdb"
            renamed = isinstance(node, ast.Import) and any(
                a.name == "duckdb" and a.asname for a in node.names
            )
            if called or imported or renamed:
                opened.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert opened == []
