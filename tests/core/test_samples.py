"""Every real sample loads as its format, or is skipped with a reason when osquery never writes it."""

from __future__ import annotations

import pytest

from inspector.loading.pipeline import load

# file → (kind, rows, lines, rejected)
EXPECTED = {
    "blog-osquery-host-linux/osqueryd.results.excerpt.log": ("results_log", 15, 15, 0),
    "elastic-integrations/osquery.log": ("results_log", 10, 10, 0),
    "elastic-integrations/test-osquery.log": ("results_log", 2213, 2213, 0),
    "kolide-go-extension-tutorial/journal-status.jsonl": ("status_log_json", 3, 3, 0),
    "osquery-docs/debugging.md.glog.txt": ("status_log_glog", 8, 8, 0),
    "osquery-docs/debugging.md@8b1ac7eb.glog.txt": ("status_log_glog", 26, 26, 0),
    "osquery-docs/logging.md.examples.jsonl": ("results_log", 8, 4, 0),
    "osquery-docs/process-auditing.md.events.jsonl": ("results_log", 2, 2, 0),
    "osquery-python-windows-guide/osqueryd.snapshots.log": ("snapshot_log", 4, 4, 0),
    "thm-osquery-writeup-kolide-launcher/launcher-debug.osquery-stderr.excerpt.jsonl": (
        "status_log_json",
        18,
        18,
        2,
    ),
    "zentral-docker-tutorial/osqueryd.verbose.glog.txt": ("status_log_glog", 22, 22, 0),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_loads_as_its_format(samples, name) -> None:
    kind, rows, lines, rejected = EXPECTED[name]
    ws = load([str(samples / name)])
    (source,) = ws.sources
    assert (source.status, source.kind) == ("loaded", kind)
    assert source.rows == rows
    assert source.lines_read == lines
    assert source.lines_rejected == rejected
    assert source.lines_loaded + source.lines_rejected == source.lines_read


def test_streamalert_fixture_is_skipped_with_a_reason(samples) -> None:
    ws = load([str(samples / "streamalert/osquery_snapshot.json")])
    (source,) = ws.sources
    assert source.status == "skipped"
    assert "JSON array document" in source.reason


def test_the_whole_sample_folder_loads_and_accounts_for_every_line(samples) -> None:
    ws = load([str(samples)])
    loaded = {s.path.split("real/")[1] for s in ws.loaded_sources}
    assert loaded == set(EXPECTED)
    for s in ws.loaded_sources:
        assert s.lines_loaded + s.lines_rejected == s.lines_read, s.path
    assert ws.bad_lines.num_rows == 2


def test_elastic_string_numbers_and_decorations(samples) -> None:
    ws = load([str(samples / "elastic-integrations/osquery.log")])
    row = ws.records.slice(0, 1).to_pylist()[0]
    assert row["counter"] == 0 and row["epoch"] == 0  # "0" strings in the file
    assert row["log_time"].isoformat() == "2018-01-08T14:51:55+00:00"
    assert (
        row["decorations"]
        == '{"host_uuid":"72E1287B-D1BC-4FC6-B9D8-64F4352776A9","username":"ubuntu"}'
    )
    assert row["line"] == 1 and row["host"] == "ubuntu-xenial"


def test_elastic_hosts_platforms_are_inferred_with_evidence(samples) -> None:
    ws = load([str(samples / "elastic-integrations/test-osquery.log")])
    platforms = {h["host"]: (h["platform"], h["evidence"]) for h in ws.hosts.to_pylist()}
    assert platforms["192-168-0-4.rdsnet.ro"][0] == "darwin"
    assert "alf_services" in platforms["192-168-0-4.rdsnet.ro"][1]
    assert "'/Applications/'" in platforms["192-168-0-4.rdsnet.ro"][1]
    assert platforms["ubuntu-xenial"][0] == "linux"
    assert "deb_packages" in platforms["ubuntu-xenial"][1]


def test_legacy_docs_examples_hostname_and_batch(samples) -> None:
    ws = load([str(samples / "osquery-docs/logging.md.examples.jsonl")])
    rows = ws.records.to_pylist()
    assert {r["host"] for r in rows} == {"hostname.local"}
    batch = [r for r in rows if r["format"] == "batch"]
    assert [(r["item"], r["action"]) for r in batch] == [(0, "removed"), (1, "added")]
    snap = [r for r in rows if r["format"] == "snapshot"]
    assert len(snap) == 4 and all(r["action"] == "snapshot" for r in snap)
    assert {r["epoch"] for r in rows} == {314159265}


def test_blog_file_events_get_subscriber_and_publisher(samples) -> None:
    ws = load([str(samples / "blog-osquery-host-linux/osqueryd.results.excerpt.log")])
    fim = [r for r in ws.records.to_pylist() if r["query"] == "file_events_monitoring"]
    assert len(fim) == 4
    assert {(r["subscriber"], r["publisher"]) for r in fim} == {("file_events", "inotify")}
    assert fim[0]["event_time"].isoformat() == "2020-11-19T07:48:32+00:00"
    others = [r for r in ws.records.to_pylist() if r["query"] != "file_events_monitoring"]
    assert all(r["subscriber"] is None for r in others)  # never a silent guess


def test_launcher_wrapped_glog_takes_year_and_offset_from_ts(samples) -> None:
    path = (
        samples / "thm-osquery-writeup-kolide-launcher/launcher-debug.osquery-stderr.excerpt.jsonl"
    )
    ws = load([str(path)])
    first = ws.status.slice(0, 1).to_pylist()[0]
    # glog says 0905 13:07:11.894138 local; ts says 20:07:11.9097643Z: the host was UTC-7.
    assert first["log_time"].isoformat() == "2022-09-05T20:07:11.894138+00:00"
    assert first["format"] == "glog_in_json"
    triple = [r for r in ws.status.to_pylist() if r["line"] == 11]
    assert len(triple) == 3  # three glog lines joined by \r\n in one record
    reasons = ws.bad_lines.column("reason").to_pylist()
    assert all("msg holds no osquery status line" in r for r in reasons)
    assert "Thrift" in reasons[1]
    # "Using host identifier: …" names the host of a status log that has no host field.
    assert {h["host"]: h["platform"] for h in ws.hosts.to_pylist()} == {
        "EC2A2676-862D-E047-8AB3-6F2316829FE1": "windows"
    }


def test_zentral_markers(samples) -> None:
    ws = load(
        [str(samples / "zentral-docker-tutorial/osqueryd.verbose.glog.txt")],
    )
    markers = [(r["marker"], r["subject"]) for r in ws.status.to_pylist() if r["marker"]]
    assert ("agent_start", "1.5.3") in markers
    assert ("publisher_failed", "kernel") in markers  # "Cannot access /dev/osquery": not on purpose
    assert ("subscription_added", "/Users/Shared/**") in markers
    assert ("publisher_started", "fsevents") in markers
    assert markers.count(("database_open", "/tmp/zentral/osquery")) == 2
