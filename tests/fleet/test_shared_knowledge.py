"""What an ingest's units found about their hosts, shared after all of them are read: the
publisher fills (keyed on host, query and subscriber), the records rewrite, the merge."""

from __future__ import annotations

import gzip
import json
import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inspector.fleet import ingest as ingest_module
from inspector.fleet import layout
from inspector.fleet.ingest import ingest
from inspector.fleet.shared_knowledge import (
    PublisherFills,
    fill_records_files,
    ingest_knowledge,
    publisher_fills,
)
from inspector.fleet.units import UnitOutput
from inspector.fleet.writer import conform
from inspector.loading.host_knowledge import HostKnowledge
from inspector.loading.subscriber_mapping import MAPPING
from inspector.schema.tables import HOSTS

T0 = 1_793_577_600  # 2026-11-02T00:00:00Z


def _records(rows: list[tuple]) -> pa.Table:
    host, query, subscriber, publisher = (list(c) for c in zip(*rows, strict=True))
    n = len(rows)
    return conform(
        pa.table(
            {
                "source": ["/logs/o.gz"] * n,
                "line": list(range(1, n + 1)),
                "columns": ['{"a":"1"}'] * n,
                "host": host,
                "query": query,
                "subscriber": subscriber,
                "publisher": publisher,
            }
        ),
        layout.RECORDS,
    )


def test_only_rows_of_the_filled_host_query_and_subscriber_without_a_publisher_change(tmp_path):
    rows = [
        ("h1", "q", "file_events", None),  # filled
        ("h1", "q", "file_events", "fsevents"),  # has one: kept
        ("h1", "q", None, None),  # no subscriber: no publisher either
        (None, "q", "file_events", None),  # no host: nothing known
        ("h2", "q", "file_events", None),  # nothing found for h2
        ("h1", "q", "process_events", None),  # another subscriber of the same query
    ] * 3
    path = str(tmp_path / "part-x-0-00001.parquet")
    pq.write_table(_records(rows), path, row_group_size=4)  # several row groups
    untouched = str(tmp_path / "part-x-0-00002.parquet")
    pq.write_table(_records([("h2", "q", "file_events", None)]), untouched)
    before = os.stat(untouched).st_mtime_ns
    fills = PublisherFills(
        {("h1", "q", "file_events"): ("inotify", "; publisher from platform linux")}
    )

    assert fill_records_files([path, untouched], fills) == [path]
    assert os.stat(untouched).st_mtime_ns == before
    table = pq.read_table(path)
    assert table.schema.equals(layout.RECORDS)
    assert table.column("line").to_pylist() == list(range(1, len(rows) + 1))
    expected = ["inotify", "fsevents", None, None, None, None] * 3
    assert table.column("publisher").to_pylist() == expected
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_fills_are_keyed_on_the_subscriber_a_unit_chose():
    def mapping(subscriber: str | None) -> pa.Table:
        return pa.Table.from_pylist(
            [{"host": "h", "query": "q", "subscriber": subscriber, "publisher": None,
              "how": "unknown"}], schema=MAPPING,
        )  # fmt: skip

    known = HostKnowledge({"h": "linux"}, {})
    fills = publisher_fills([mapping(None), mapping("file_events")], known)
    assert fills.found == {
        ("h", "q", "file_events"): ("inotify", "; publisher from platform linux")
    }
    assert not publisher_fills([mapping("file_events")], HostKnowledge())


def test_a_platform_a_unit_only_echoed_does_not_override_a_fresh_finding():
    def hosts(platform: str, evidence: str) -> pa.Table:
        return pa.Table.from_pylist(
            [{"host": "h", "platform": platform, "evidence": evidence}], schema=HOSTS
        )

    out = UnitOutput()
    out.small = {
        "hosts": [hosts("darwin", "publishers named: fsevents"),
                  hosts("linux", "found by another read of this host (linux)")],
        "mapping": [MAPPING.empty_table(), MAPPING.empty_table()],
    }  # fmt: skip
    assert ingest_knowledge(HostKnowledge({"h": "linux"}, {}), out).platforms == {"h": "darwin"}


def _line(t: int, eid: int, columns: dict) -> str:
    return json.dumps({"name": "custom_q", "hostIdentifier": "web-09", "unixTime": t, "epoch": 0,
                       "counter": eid, "numerics": False, "action": "added", "columns": columns})  # fmt: skip


def test_a_query_one_batch_cannot_place_gets_no_publisher_from_another(tmp_path, monkeypatch):
    """Hour 0: the status line naming inotify, and rows of custom_q too bare to tell their
    table (no subscriber). Hour 1: custom_q's rows show file_events' columns. Only the rows
    mapped to file_events get inotify; the bare ones stay without subscriber and publisher."""
    root = tmp_path / "pipe"
    for hour, lines in (
        (0, [json.dumps({"hostIdentifier": "web-09", "calendarTime": "", "unixTime": T0 + 1,
                         "severity": 0, "filename": "events.cpp", "line": 10,
                         "message": "Starting event publisher run loop: inotify"})]
            + [_line(T0 + 60 * k, k, {"path": f"/srv/{k}"}) for k in range(1, 6)]),
        (1, [_line(T0 + 3600 + 60 * k, 10 + k,
                   {"action": "CREATED", "target_path": f"/srv/{k}", "time": str(T0 + 3600),
                    "inode": str(k), "eid": f"{k:010d}"}) for k in range(1, 6)]),
    ):  # fmt: skip
        folder = root / "2026" / "11" / "02" / f"{hour:02d}"
        folder.mkdir(parents=True)
        (folder / "o.gz").write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    monkeypatch.setattr(ingest_module, "BATCH_FILES", 1)  # every object a batch of its own
    dataset = str(tmp_path / "ds")
    ingest([str(root)], dataset)
    records = pq.read_table(os.path.join(dataset, "records"), schema=layout.RECORDS)
    pairs = records.group_by(["subscriber", "publisher"]).aggregate([("line", "count")])
    assert sorted(pairs.to_pylist(), key=repr) == sorted(
        [{"subscriber": None, "publisher": None, "line_count": 5},
         {"subscriber": "file_events", "publisher": "inotify", "line_count": 5}], key=repr,
    )  # fmt: skip
    assert pc.all(pc.is_valid(records.column("host"))).as_py()
