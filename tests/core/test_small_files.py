"""Small JSON-lines files read in batches say exactly what each read on its own says."""

from __future__ import annotations

import gzip
import json
import os

import pyarrow as pa
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.loading import small_files
from inspector.loading.pipeline import load
from inspector.model import Workspace

EVENT = {
    "name": "pack_fim_file_events",
    "hostIdentifier": "host-a",
    "calendarTime": "Mon Nov  2 05:01:07 2026 UTC",
    "unixTime": 1793595667,
    "epoch": 0,
    "counter": 3,
    "numerics": False,
    "columns": {"target_path": "/etc/hosts", "action": "UPDATED", "time": "1793595667"},
    "action": "added",
}
STATUS = {
    "hostIdentifier": "host-a",
    "calendarTime": "Mon Nov  2 05:01:08 2026 UTC",
    "unixTime": "1793595668",
    "severity": "0",
    "filename": "events.cpp",
    "line": "103",
    "message": "Event publisher not enabled: auditeventpublisher: Publisher disabled via configuration",
    "version": "5.12.1",
}
SNAPSHOT_EMPTY = {
    "snapshot": [],
    "action": "snapshot",
    "name": "listening_ports",
    "hostIdentifier": "host-a",
    "calendarTime": "Mon Nov  2 05:02:00 2026 UTC",
    "unixTime": 1793595720,
    "epoch": 0,
    "counter": 0,
    "numerics": False,
}
BATCH = {
    "diffResults": {"added": [{"pid": "1", "path": "/bin/a"}], "removed": ""},
    "name": "processes",
    "hostIdentifier": "host-a",
    "calendarTime": "Mon Nov  2 05:03:00 2026 UTC",
    "unixTime": 1793595780,
    "epoch": 0,
    "counter": 1,
}

LINES = {
    "event": json.dumps(EVENT),
    "event2": json.dumps(dict(EVENT, columns={"target_path": "/tmp/x", "time": "1793595700"})),
    "status": json.dumps(STATUS),
    "empty_snapshot": json.dumps(SNAPSHOT_EMPTY),
    "batch": json.dumps(BATCH),
    "blank": "",
    "garbage": "this is not json",
    "torn": json.dumps(EVENT)[:40],
    "unknown": json.dumps({"some": "object"}),
    "syslog_prefix": "Nov  2 05:01:07 host-a osqueryd: " + json.dumps(EVENT),
}


def _write(folder: str, name: str, lines: list[str], how: str = "plain") -> None:
    data = ("\n".join(LINES[k] for k in lines) + "\n").encode()
    if how == "gzip":
        data, name = gzip.compress(data), name + ".gz"
    elif how == "zstd":
        data, name = zstandard.ZstdCompressor().compress(data), name + ".zst"
    elif how == "no_newline":
        data = data[:-1]
    elif how == "bom":
        data = b"\xef\xbb\xbf" + data
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def _summary(ws: Workspace) -> tuple:
    sources = sorted(
        (
            os.path.basename(s.path),
            s.kind,
            s.status,
            s.lines_read,
            s.lines_loaded,
            s.lines_rejected,
            s.rows,
            tuple(s.notes),
            s.compression,
        )
        for s in ws.sources
    )

    def rows(table: pa.Table, keys: list[str]) -> list:
        table = table.set_column(
            table.schema.get_field_index("source"), "source", table["source"].cast(pa.string())
        )
        drop = [c for c in ("content", "text") if c in table.column_names and c not in keys]
        return sorted(map(repr, table.drop_columns(drop).to_pylist()))

    return (
        sources,
        rows(ws.records, ["source", "line"]),
        rows(ws.status, ["source", "line"]),
        rows(ws.empty_runs, ["source", "line"]),
        rows(ws.bad_lines, ["source", "line"]),
    )


def _both(folder: str, monkeypatch: pytest.MonkeyPatch) -> tuple[tuple, tuple]:
    batched = load([folder])
    with monkeypatch.context() as m:
        m.setattr(small_files, "SMALL_FILE_BYTES", 0)  # every file read on its own
        alone = load([folder])
    return _summary(batched), _summary(alone)


def test_batched_files_report_what_each_says_alone(tmp_path, monkeypatch) -> None:
    folder = str(tmp_path)
    _write(folder, "a.log", ["event", "event2", "status"])
    _write(folder, "b.log", ["blank", "blank"])  # a run of empty lines …
    _write(folder, "c.log", ["blank", "event", "garbage"])  # … that meets this file's first
    _write(folder, "d.log", ["empty_snapshot", "batch"])
    _write(folder, "e.log", ["unknown", "torn"], "gzip")
    _write(folder, "f.log", ["event2", "status"], "zstd")
    _write(folder, "g.log", ["event", "torn"], "no_newline")  # read alone: a torn end
    _write(folder, "h.log", ["event"], "bom")
    _write(folder, "i.log", ["syslog_prefix", "event"])  # a note only its file may carry
    batched, alone = _both(folder, monkeypatch)
    assert batched == alone
    notes = {name: notes for name, *_, notes, _c in batched[0]}
    assert any("prefix" in n for n in notes["i.log"])
    assert not any("prefix" in n for name, n in notes.items() if name != "i.log" for n in n)


def test_a_bucket_of_files_is_parsed_in_few_batches(tmp_path, monkeypatch) -> None:
    for i in range(60):
        _write(str(tmp_path), f"{i:03d}.log", ["event", "status"] if i % 2 else ["event2"])
    parsed: list[int] = []
    real = small_files.read_json_lines

    def counting(*args, **kwargs):
        parsed.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(small_files, "read_json_lines", counting)
    ws = load([str(tmp_path)])
    assert len(parsed) == 1
    assert ws.records.num_rows == 60 and ws.status.num_rows == 30
    assert {s.kind for s in ws.sources} == {"mixed_log", "results_log"}
    assert sum(s.lines_read for s in ws.sources) == 90


def test_large_and_bad_small_files_are_read_alone(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 500)
    _write(str(tmp_path), "big.log", ["event", "event2", "status"])  # past the limit
    _write(str(tmp_path), "small.log", ["event"])
    os.mkfifo(tmp_path / "fifo.log")  # never opened: it could block the load
    (tmp_path / "osquery.conf").write_text('{"schedule": {}}')
    picked = list(small_files.batches(_inputs(str(tmp_path))))
    assert [[os.path.basename(f.path) for f in b] for b in picked] == [["small.log"]]


def _inputs(folder: str):
    from inspector.loading.inputs import collect_inputs

    return collect_inputs([folder])[0]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    files=st.lists(
        st.tuples(
            st.lists(st.sampled_from(sorted(LINES)), min_size=0, max_size=6),
            st.sampled_from(["plain", "plain", "gzip", "no_newline"]),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_mix_of_small_files_loads_as_if_read_alone(tmp_path_factory, monkeypatch, files):
    folder = str(tmp_path_factory.mktemp("bucket"))
    for i, (lines, how) in enumerate(files):
        if lines:
            _write(folder, f"{i:02d}.log", lines, how)
    batched, alone = _both(folder, monkeypatch)
    assert batched == alone


def test_small_files_write_nothing_to_the_read_cache(tmp_path) -> None:
    from inspector.loading.read_cache import ReadCache

    bucket = tmp_path / "bucket"
    bucket.mkdir()
    for i in range(40):
        _write(str(bucket), f"{i:03d}.log", ["event", "status"])
    cache = ReadCache(str(tmp_path / "cache"))
    first = load([str(bucket)], cache=cache)
    again = load([str(bucket)], cache=cache)
    written = [n for _, _, names in os.walk(tmp_path / "cache") for n in names]
    assert written == []  # not one entry for forty files
    assert first.records.num_rows == again.records.num_rows == 40
    assert all(s.cached is None for s in again.sources)


def test_an_announced_host_fills_only_its_own_files_lines() -> None:
    from inspector.loading.status_hosts import announced_hosts

    status = pa.table(
        {
            "source": ["a.log", "a.log", "b.log", "c.log", "c.log"],
            "message": [
                "Using host identifier: host-a",
                "Event publisher not enabled: x",
                "Event publisher not enabled: y",
                "Using host identifier: one",
                "Using host identifier: two",  # two names: none is taken
            ],
        }
    )
    assert announced_hosts(status).to_pylist() == ["host-a", "host-a", None, None, None]


def test_a_compressed_file_that_says_it_is_large_is_not_decompressed(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 4096)
    data = ("\n".join([LINES["event"]] * 40) + "\n").encode()  # ~13 KB: past the limit
    (tmp_path / "r.log.2.gz").write_bytes(gzip.compress(data))
    (tmp_path / "r.log.3.zst").write_bytes(zstandard.ZstdCompressor().compress(data))
    opened: list[str] = []
    monkeypatch.setattr(small_files, "_decompressed", lambda path: opened.append(path))
    assert list(small_files.batches(_inputs(str(tmp_path)))) == [] and opened == []
    ws = load([str(tmp_path)])  # read the usual way instead
    assert ws.records.num_rows == 80
