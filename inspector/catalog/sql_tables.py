"""The tables a scheduled query's SQL reads, found without a SQL parser (FROM/JOIN names)."""

from __future__ import annotations

import re

_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:[^']|'')*'")
_SOURCE = re.compile(r"\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)", re.I)
_CTE = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s+as\s*\(", re.I)


def tables_in_sql(sql: str) -> list[str]:
    """Distinct table names after FROM/JOIN, in order, lower-cased; CTE names excluded."""
    text = _STRING.sub("''", _COMMENT.sub(" ", sql or ""))
    ctes = {m.group(1).lower() for m in _CTE.finditer(text)}
    out: list[str] = []
    for m in _SOURCE.finditer(text):
        name = m.group(1).lower()
        if name not in ctes and name not in out and name != "select":
            out.append(name)
    return out
