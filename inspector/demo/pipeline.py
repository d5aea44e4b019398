"""A log pipeline's view of demo hosts: many small gzip objects under ``YYYY/MM/DD/HH/``.

What Firehose (or Kolide's log pipeline) makes of several agents' TLS/Kinesis loggers: results
lines as the agents wrote them, status lines as JSON records with ``log_type: status``, hosts
mixed in time order, some objects holding TLS envelopes (``{"node_key", "log_type", "data"}``)
instead of bare lines. For tests and benchmarks of ``fleet ingest``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
from typing import Any

import numpy as np

from inspector.files.source_file import open_decompressed
from inspector.loading.inputs import collect_inputs
from inspector.loading.pipeline import load
from inspector.model import LoadOptions

_UNIX = re.compile(rb'"unixTime":"?(\d+)')


def _results_lines(host_dir: str) -> list[bytes]:
    """Every line of the folder's results and snapshot logs, oldest rotation first."""
    files, _ = collect_inputs([host_dir])
    out: list[bytes] = []
    for f in files:
        name = os.path.basename(f.path)
        if f.duplicate_of is None and (".results.log" in name or ".snapshots.log" in name):
            stream, _ = open_decompressed(f.path)
            try:
                out.extend(line for line in stream.read().split(b"\n") if line.strip())
            finally:
                stream.close()
    return out


def _status_lines(host_dir: str, tz: str) -> list[bytes]:
    """The folder's status log as the JSON records a pipeline logger ships."""
    status = load([host_dir], LoadOptions(tz=tz)).status
    out = []
    for r in status.select(
        ["host", "log_time", "severity", "file", "src_line", "message"]
    ).to_pylist():
        if r["log_time"] is None or r["host"] is None:
            continue
        at = r["log_time"].astimezone(dt.UTC)
        record = {
            "hostIdentifier": r["host"],
            "calendarTime": at.strftime("%a %b %d %H:%M:%S %Y UTC"),
            "unixTime": str(int(at.timestamp())),
            "severity": {"INFO": "0", "WARNING": "1", "ERROR": "2", "FATAL": "3"}.get(
                r["severity"] or "", "0"
            ),
            "filename": r["file"] or "",
            "line": str(r["src_line"] or 0),
            "message": r["message"],
            "version": "5.12.1",
            "log_type": "status",
        }
        out.append(json.dumps(record, separators=(",", ":")).encode())
    return out


def write_pipeline(
    host_dirs: list[str],
    root: str,
    objects: int = 100,
    envelopes: float = 0.1,
    seed: int = 1,
    tz: str = "UTC",
) -> dict[str, Any]:
    """Write the hosts' results and status as about ``objects`` gzip objects under ``root``;
    ``envelopes``: the share of objects that hold TLS envelopes. Returns counts."""
    lines: list[bytes] = []
    for host_dir in host_dirs:
        lines.extend(_results_lines(host_dir))
        lines.extend(_status_lines(host_dir, tz))
    times = np.array([int(m.group(1)) if (m := _UNIX.search(x)) else 0 for x in lines], np.int64)
    order = np.argsort(times, kind="stable")
    rng = np.random.default_rng(seed)
    cuts = np.linspace(0, len(order), objects + 1).astype(int)
    written = 0
    for k in range(objects):
        part = order[cuts[k] : cuts[k + 1]]
        if not len(part):
            continue
        at = dt.datetime.fromtimestamp(int(times[part[0]]), dt.UTC)
        folder = os.path.join(root, at.strftime("%Y/%m/%d/%H"))
        os.makedirs(folder, exist_ok=True)
        chosen = [lines[i] for i in part]
        if rng.random() < envelopes:
            items = ",".join(x.decode() for x in chosen)
            body = ('{"node_key":"demo","log_type":"result","data":[' + items + "]}\n").encode()
        else:
            body = b"\n".join(chosen) + b"\n"
        name = f"osquery-firehose-{k:06d}-{at:%Y-%m-%d-%H-%M-%S}.gz"
        with open(os.path.join(folder, name), "wb") as f:
            f.write(gzip.compress(body, compresslevel=1, mtime=0))
        written += 1
    return {"objects": written, "lines": len(lines)}
