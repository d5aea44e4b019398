"""Parquet files with provenance: which inputs (sizes, SHA-256), which parameters, which app
version, when. The metadata is JSON under the key ``osquery_inspector`` and the file opens in
pandas, pyarrow and DuckDB like any other."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from inspector import __version__
from inspector.atomic_file import atomic_output
from inspector.model import Workspace

METADATA_KEY = b"osquery_inspector"


def file_digest(path: str) -> tuple[int, str]:
    """Size and SHA-256 of a file, or of a directory's files (name, size and content, in order)."""
    h = hashlib.sha256()
    if os.path.isdir(path):
        size = 0
        for name in sorted(os.listdir(path)):
            full = os.path.join(path, name)
            if os.path.isfile(full) and not os.path.islink(full):
                s, digest = file_digest(full)
                size += s
                h.update(f"{name}\0{s}\0{digest}\n".encode())
        return size, h.hexdigest()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return os.path.getsize(path), h.hexdigest()


def provenance(ws: Workspace | dict[str, Workspace], parameters: dict[str, Any]) -> dict[str, Any]:
    """What produced a table: inputs with sizes and hashes, parameters, app version, time.

    ``ws`` is one loaded run, or several by role (``{"before": …, "after": …}``): then each
    input also names its ``run``.
    """
    runs = ws if isinstance(ws, dict) else {None: ws}
    inputs = []
    for run, one in runs.items():
        inputs.extend(_inputs(one, run))
    clocks = {
        run or "run": [_jsonable(c) for c in one.status_clocks.to_pylist()]
        for run, one in runs.items()
    }
    return {
        "app": "osquery-inspector",
        "app_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "inputs": inputs,
        "parameters": parameters,
        # How each host's wall-clock status lines were placed on UTC (the agent's zone used).
        "status_clocks": clocks if len(runs) > 1 else next(iter(clocks.values())),
    }


def _jsonable(row: dict[str, object]) -> dict[str, object]:
    """A status-clock row for JSON: times as ISO text."""
    return {k: v.isoformat() if isinstance(v, dt.datetime | dt.date) else v for k, v in row.items()}


def _inputs(ws: Workspace, run: str | None) -> list[dict[str, Any]]:
    inputs: list[dict[str, Any]] = []
    for s in ws.sources:
        entry: dict[str, object] = {
            "path": os.path.abspath(s.path),
            "kind": s.kind,
            "status": s.status,
        }
        if run is not None:
            entry["run"] = run
        if s.status in ("loaded", "skipped"):
            with contextlib.suppress(OSError):
                entry["size"], entry["sha256"] = file_digest(s.path)
        inputs.append(entry)
    return inputs


def write_parquet(
    table: pa.Table, path: str, ws: Workspace | dict[str, Workspace], parameters: dict[str, Any]
) -> None:
    """Write ``table`` to ``path`` with the provenance of ``ws`` in the file's metadata.

    Written to a temporary file beside ``path`` and renamed over it once complete: a kill or a
    full disk leaves any earlier file at ``path`` whole (``inspector.atomic_file``)."""
    metadata = dict(table.schema.metadata or {})
    metadata[METADATA_KEY] = json.dumps(provenance(ws, parameters)).encode()
    with atomic_output(path) as temporary:
        pq.write_table(table.replace_schema_metadata(metadata), temporary)
