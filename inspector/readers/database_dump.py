"""Reader for the text ``osqueryd --database_dump`` prints: ``domain[key]: value`` lines.

A value may span lines (a stored config is pretty-printed JSON): lines that do not start a new
``domain[key]:`` continue the previous value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from inspector.readers.osquery_db import DOMAINS, Domain, database_tables
from inspector.readers.result import ReaderResult

LINE = re.compile(r"^(" + "|".join(DOMAINS) + r")\[(.*?)\]: ?(.*)$")


@dataclass
class _Entry:
    """One ``domain[key]: value`` entry; ``line`` is where it starts."""

    key: bytes
    value: bytes
    line: int


def looks_like_dump(lines: list[str]) -> bool:
    body = [ln for ln in lines if ln.strip()][:20]
    return (
        bool(body)
        and sum(1 for ln in body if LINE.match(ln)) >= max(1, len(body) // 2)
        and bool(LINE.match(body[0]))
    )


def read_database_dump(path: str, source: str | None = None) -> ReaderResult:
    source = source or path
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    domains: dict[str, list[_Entry]] = {}
    current: _Entry | None = None
    result = ReaderResult(kind="database_dump")
    orphans: list[int] = []
    for number, line in enumerate(lines, start=1):
        m = LINE.match(line.rstrip("\r"))
        if m is not None:
            current = _Entry(m.group(2).encode(), m.group(3).encode(), number)
            domains.setdefault(m.group(1), []).append(current)
        elif current is not None:
            current.value += b"\n" + line.encode()
        else:
            orphans.append(number)
    tables = {
        d: Domain.of([e.key for e in kv], [e.value for e in kv], [e.line for e in kv])
        for d, kv in domains.items()
    }
    database_tables(tables, source, result)
    # Accounting is per key in the database reader; a dump is counted in text lines.
    key_bad = len(result.bad)
    result.lines_read = len(lines)
    for number in orphans:
        result.bad.add(number, "not a domain[key]: value line")
    result.lines_loaded = len(lines) - key_bad - len(orphans)
    return result
