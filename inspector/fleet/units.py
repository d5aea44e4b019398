"""One unit of ingest work — a host folder, or a batch of pipeline objects — read and written.

A unit is read with the app's own pipeline (``load``/``assemble``: the same readers, the same
subscriber mapping, the same status clock), its content hashes are replaced by the dataset's
stable hash, its dated rows go to a ``DatasetWriter``, and its small tables and per-file
accounting come back. ``run_unit`` is a plain function of a JSON-able spec, so that DuckDB runs
units one after another in this process and Spark runs them in its tasks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from inspector.duck import arrow_query
from inspector.fleet.writer import DatasetWriter
from inspector.loading.host_knowledge import HostKnowledge
from inspector.loading.pipeline import load
from inspector.model import LoadOptions, SourceReport
from inspector.sql.definitions import stable_content
from inspector.sql.dialect import DUCKDB


@dataclass
class UnitOutput:
    """What a unit gives back besides the files it wrote."""

    small: dict[str, list[pa.Table]] = field(default_factory=dict[str, Any])
    manifest: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[pa.Table] = field(default_factory=list)

    def merge(self, other: UnitOutput) -> None:
        for name, tables in other.small.items():
            self.small.setdefault(name, []).extend(tables)
        self.manifest.extend(other.manifest)
        self.rejected.extend(other.rejected)


def with_stable_content(records: pa.Table) -> pa.Table:
    """``records`` with ``content`` as the dataset's stable hash (``definitions.stable_content``)."""
    if not records.num_rows:
        return records
    content = arrow_query(
        f"SELECT {stable_content(DUCKDB)} AS content FROM records",
        records=records.select(["eid", "columns"]),
    ).column("content")
    if "content" in records.column_names:
        records = records.drop_columns(["content"])
    return records.append_column(pa.field("content", pa.int64()), content)


def _of_sources(table: pa.Table, keep: set[str]) -> pa.Table:
    """Rows of ``table`` read from one of ``keep`` (all rows when it names no source)."""
    if not table.num_rows or "source" not in table.column_names:
        return table
    mask = pc.is_in(table.column("source").cast(pa.string()), pa.array(sorted(keep), pa.string()))
    return table.filter(mask)


def _clocks_of(clocks: pa.Table, keep: set[str]) -> pa.Table:
    """The read's status clocks, each saying whether it placed lines this unit writes (lines
    of ``keep``'s files)."""
    written = [bool(keep.intersection(s or ())) for s in clocks.column("sources").to_pylist()]
    return clocks.append_column("written", pa.array(written, pa.bool_()))


def run_unit(spec: dict[str, Any], dataset: str, ingest: str, writer: DatasetWriter) -> UnitOutput:
    """Read one unit (``{"unit": "host_folder", "path", "files", "keep", "identity"}`` or
    ``{"unit": "objects", "files", "identity"}``; either with ``"known"``, ``HostKnowledge``
    as JSON), write its dated rows, return the rest."""
    options = LoadOptions(tz=spec.get("tz"), year=spec.get("year"))
    known = HostKnowledge.from_json(spec.get("known"))
    if spec["unit"] == "host_folder":
        ws = load(spec["files"], options, known=known)
        keep = set(spec["keep"])
    else:
        # Objects are read as the app reads a folder of small files (one parse per batch of
        # them; a damaged, empty or foreign object skipped with the app's reason), as one run.
        ws = load(spec["files"], options, one_run=True, known=known)
        keep = set(spec["files"])
    reports = [s for s in ws.sources if s.path in keep]
    records = with_stable_content(_of_sources(ws.records, keep))
    writer.add("records", records)
    writer.add("status", _of_sources(ws.status, keep))
    out = UnitOutput()
    out.small = {
        "mapping": [ws.mapping],
        "subscriptions": [_of_sources(ws.subscriptions, keep)],
        "hosts": [ws.hosts],
        "queries": [_of_sources(ws.queries, keep)],
        "empty_runs": [_of_sources(ws.empty_runs, keep)],
        "clocks": [_clocks_of(ws.status_clocks, keep)],
    }
    bad = _of_sources(ws.bad_lines, keep)
    if bad.num_rows:
        out.rejected.append(
            pa.table({"ingest": pa.array([ingest] * bad.num_rows, pa.string()),
                      "path": bad.column("source").cast(pa.string()),
                      "line": bad.column("line"), "reason": bad.column("reason"),
                      "lines": bad.column("lines")})
        )  # fmt: skip
    hostless = _hostless(records)
    out.manifest = [_manifest_row(s, spec, ingest, hostless.get(s.path, 0)) for s in reports]
    return out


def _hostless(records: pa.Table) -> dict[str, int]:
    """Per source file, its records that name no host (no ``hostIdentifier``, or null): a
    pipeline that strips it leaves rows no host pattern selects, said in the file's notes."""
    if not records.num_rows or "host" not in records.column_names:
        return {}
    missing = records.filter(pc.is_null(records.column("host"))).select(["source"])
    if not missing.num_rows:
        return {}
    counts = (
        pa.table({"source": missing.column("source").cast(pa.string())})
        .group_by("source")
        .aggregate([("source", "count")])
    )
    return dict(
        zip(counts.column("source").to_pylist(), counts.column("source_count").to_pylist(),
            strict=True)
    )  # fmt: skip


def _manifest_row(
    s: SourceReport, spec: dict[str, Any], ingest: str, hostless: int = 0
) -> dict[str, Any]:
    size, identity = spec["identity"].get(s.path, (s.size, ""))
    notes = list(s.notes)
    if hostless:
        notes.append(
            f"{hostless:,} record{'s' if hostless != 1 else ''} name no host (no hostIdentifier, "
            "or null): kept under no host, which --hosts patterns do not select"
        )
    return {
        "ingest": ingest,
        "path": s.path,
        "identity": identity,
        "size": size,
        "unit": spec["unit"],
        "kind": s.kind,
        "status": s.status,
        "lines": s.lines_read,
        "lines_loaded": s.lines_loaded,
        "lines_rejected": s.lines_rejected,
        "rows": s.rows,
        "reason": s.reason,
        "notes": "; ".join(notes) or None,
    }
