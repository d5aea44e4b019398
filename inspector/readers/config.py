"""Reader for ``osquery.conf`` and pack files: scheduled query name → SQL → the tables it reads.

Query names follow osquery: plain ``schedule`` entries keep their name, pack queries become
``"pack" + delim + pack + delim + query`` with the ``pack_delimiter`` option (default ``_``).
Comments are stripped the way osquery does it (whole lines starting with ``#`` or ``//``, and
backslash-newline joins).
"""

from __future__ import annotations

import json
import os
from typing import Any

import pyarrow as pa

from inspector.catalog.event_tables import event_tables
from inspector.catalog.sql_tables import tables_in_sql
from inspector.readers.result import ReaderResult, SkipFile
from inspector.schema import QUERIES

CONFIG_KEYS = {
    "schedule", "packs", "options", "decorators", "file_paths", "file_accesses", "events",
    "yara", "prometheus_targets", "views", "auto_table_construction", "exclude_paths",
    "file_paths_query", "feature_vectors", "kafka_topics", "ATC", "scheduledQueries",
}  # fmt: skip
PACK_KEYS = {"queries", "discovery", "platform", "version", "shard", "oncall"}
MAX_CONFIG_BYTES = 64 * 1024 * 1024


def strip_comments(text: str) -> str:
    """osquery's ``stripConfigComments``: drop lines starting with ``#`` or ``//``."""
    text = text.replace("\\\n", "")
    kept = []
    for line in text.split("\n"):
        trimmed = line.strip()
        if trimmed.startswith("#") or trimmed.startswith("//"):
            kept.append("")  # keep line numbers stable for error messages
            continue
        kept.append(line)
    return "\n".join(kept)


def parse_json_document(text: str) -> Any:
    """Parse a config-like JSON document (comments allowed, as osquery allows them)."""
    return json.loads(strip_comments(text))


def config_kind(doc: Any) -> str | None:
    """``"config"``, ``"pack"`` or None for a parsed JSON document."""
    if not isinstance(doc, dict) or not doc:
        return None
    keys = set(doc)
    if keys & CONFIG_KEYS and not ({"name", "hostIdentifier", "columns"} <= keys):
        return "config"
    if (
        "queries" in keys
        and isinstance(doc.get("queries"), dict)
        and keys <= PACK_KEYS | {"queries"}
    ):
        return "pack"
    return None


def read_config(path: str, source: str | None = None, *, text: str | None = None) -> ReaderResult:
    """Read an osquery config or pack file into ``QUERIES`` rows."""
    source = source or path
    if text is None:
        if os.path.getsize(path) > MAX_CONFIG_BYTES:
            raise SkipFile("JSON document larger than 64 MB: not an osquery config")
        with open(path, "rb") as f:
            text = f.read().decode("utf-8-sig", "replace")
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    try:
        doc = parse_json_document(text)
    except RecursionError:
        raise SkipFile("JSON document nested too deeply to be an osquery config") from None
    except json.JSONDecodeError as exc:
        result = ReaderResult(kind="config", lines_read=lines)
        result.bad.add(exc.lineno, f"config is not valid JSON: {exc.msg} at column {exc.colno}")
        result.lines_loaded = lines - 1
        result.notes.append("the whole document was rejected because it does not parse")
        return result
    kind = config_kind(doc)
    if kind is None:
        raise SkipFile("JSON document that is not an osquery config or pack")
    result = ReaderResult(kind=kind, lines_read=lines, lines_loaded=lines)
    if kind == "config":
        rows, refs, notes = queries_from_config(doc, source)
        result.meta["pack_refs"] = refs
        result.meta["pack_delimiter"] = _delimiter(doc)
    else:
        pack_name = _pack_name_from_path(path)
        rows, notes = queries_from_pack(doc, pack_name, "_", source)
        result.meta["pack_doc"] = doc
        result.notes.append(
            f"pack file: queries named as pack {pack_name!r} until a config names the pack"
        )
    result.notes.extend(notes)
    result.queries = queries_table(rows)
    return result


def _delimiter(doc: dict[str, Any]) -> str:
    options = doc.get("options")
    if not isinstance(options, dict):
        options = {}
    value = options.get("pack_delimiter", "_")
    return value if isinstance(value, str) and value else "_"


def _pack_name_from_path(path: str) -> str:
    name = os.path.basename(path)
    for ext in (".conf", ".json", ".pack"):
        if name.endswith(ext):
            return name[: -len(ext)]
    return name


def queries_from_config(
    doc: dict[str, Any], source: str
) -> tuple[list[dict[str, Any]], dict[str, str], list[str]]:
    """Rows for the schedule and inline packs; packs given as paths are returned as refs."""
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    refs: dict[str, str] = {}
    delimiter = _delimiter(doc)
    schedule = doc.get("schedule")
    if isinstance(schedule, dict):
        for name, spec in schedule.items():
            rows.append(query_row(name, None, spec, None, source))
    legacy = doc.get("scheduledQueries")  # osquery 1.x: [{"name", "query", "interval"}, …]
    if isinstance(legacy, list):
        named = [q for q in legacy if isinstance(q, dict) and isinstance(q.get("name"), str)]
        for spec in named:
            rows.append(query_row(spec["name"], None, spec, None, source))
        if len(named) < len(legacy):
            notes.append(f"{len(legacy) - len(named):,} scheduledQueries entries have no name")
        notes.append("a 1.x config (scheduledQueries array)")
    packs = doc.get("packs")
    if isinstance(packs, dict):
        for pack, spec in packs.items():
            if isinstance(spec, str):
                refs[pack] = spec
            elif isinstance(spec, dict):
                pack_rows, pack_notes = queries_from_pack(spec, pack, delimiter, source)
                rows.extend(pack_rows)
                notes.extend(pack_notes)
    if refs:
        notes.append(
            "packs stored in separate files: " + ", ".join(f"{k} → {v}" for k, v in refs.items())
        )
    return rows, refs, notes


def queries_from_pack(
    doc: dict[str, Any], pack: str, delimiter: str, source: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows for one pack's queries, named as osquery names them in results logs."""
    rows: list[dict[str, Any]] = []
    queries = doc.get("queries")
    if not isinstance(queries, dict):
        return rows, [f"pack {pack!r} has no queries object"]
    platform = doc.get("platform") if isinstance(doc.get("platform"), str) else None
    for name, spec in queries.items():
        full = f"pack{delimiter}{pack}{delimiter}{name}"
        rows.append(query_row(full, pack, spec, platform, source))
    return rows, []


def query_row(
    name: str, pack: str | None, spec: Any, platform: str | None, source: str
) -> dict[str, Any]:
    spec = spec if isinstance(spec, dict) else {}
    sql = spec.get("query") if isinstance(spec.get("query"), str) else None
    tables = tables_in_sql(sql or "")
    known = event_tables()
    events = [t for t in tables if t in known]
    interval = spec.get("interval")
    try:
        interval = int(interval) if interval is not None else None
    except (TypeError, ValueError):
        interval = None
    return {
        "query": name,
        "pack": pack,
        "sql": sql,
        "tables": tables,
        "subscriber": events[0] if len(events) == 1 else None,
        "interval": interval,
        "snapshot": _bool(spec.get("snapshot")),
        "removed": _bool(spec.get("removed"), default=True),
        "platform": spec.get("platform") if isinstance(spec.get("platform"), str) else platform,
        "source": source,
    }


def _bool(value: Any, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    if isinstance(value, int | float):
        return bool(value)
    return default


def queries_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Rows as a ``QUERIES`` table."""
    return pa.Table.from_pylist(rows, schema=QUERIES)
