"""Status messages are classified into markers; the message text is kept."""

from __future__ import annotations

import pyarrow as pa
import pytest

from inspector.catalog.markers import classify

CASES = [
    ("Calling configure for logger filesystem", "config_change", "filesystem"),
    ("Refreshing configuration state", "config_refresh", None),
    ("updateSource failed to parse config, of source: x and content: y", "config_error", None),
    ("Scheduled query has been updated: pack_x_y", "query_updated", "pack_x_y"),
    ("New Epoch 3 for scheduled query processes", "query_updated", "processes"),
    ("osqueryd worker (4250) stopping: Memory limits exceeded: 3 bytes (limit is 200MB)", "worker_restart", "4250"),
    ("Scheduled query may have failed: pack_ir_mem", "worker_restart", "pack_ir_mem"),
    ("osqueryd watcher (4242) executing worker (4250)", "worker_start", "4250"),
    ("osquery initialized [version=5.12.1]", "agent_start", "5.12.1"),
    ("Event publisher not enabled: auditeventpublisher: Publisher disabled via configuration",
     "publisher_disabled", "auditeventpublisher"),
    ("Event publisher failed setup: kernel: Cannot access /dev/osquery", "publisher_failed", "kernel"),
    ("Event publisher not enabled: kernel: Cannot access /dev/osquery", "publisher_failed", "kernel"),
    ("Requested unknown/failed event publisher: inotify", "publisher_failed", "inotify"),
    ("Event publisher not enabled: WindowsEventLogPublisher: Publisher disabled by configuration",
     "publisher_disabled", "WindowsEventLogPublisher"),
    ("Event publisher not enabled: endpointsecurity: EndpointSecurity is disabled via configuration",
     "publisher_disabled", "endpointsecurity"),
    ("Event publisher not enabled: scnetwork: Publisher not used", "publisher_unused", "scnetwork"),
    ("Skipping subscriber: process_events: Subscriber disabled via configuration",
     "subscriber_disabled", "process_events"),
    ("Error registering subscriber: windows_events: Subscriber disabled by configuration",
     "subscriber_disabled", "windows_events"),
    ("Added listener to: /Users/Shared/**", "subscription_added", "/Users/Shared/**"),
    ("Added file event listener to: /etc/%%", "subscription_added", "/etc/%%"),
    ("Added YARA listener to: /tmp/%", "subscription_added", "/tmp/%"),
    ("Updating config with source: tls", "config_source", "tls"),
    ("Scheduling query: pack_it_mounts", "query_scheduled", "pack_it_mounts"),
    ("Starting event publisher run loop: openbsm", "publisher_started", "openbsm"),
    ("Event publisher inotify run loop terminated for reason: x", "publisher_stopped", "inotify"),
    ("Error registering subscriber: process_file_events: No kernel event publisher",
     "subscriber_error", "process_file_events"),
    ("Removed 12 event batches for subscriber: inotify.file_events (limit: 50000, last query: never)",
     "event_expiry", "inotify.file_events"),
    ("Expiring events for subscriber: process_events (overflowed limit 50000)", "event_expiry", "process_events"),
    ("Rocksdb open failed (5:0) IO error: While lock file: /var/osquery/osquery.db/LOCK", "database_error", None),
    ("[Ref #1629] osqueryd initialize failed: Could not open RocksDB", "database_error", None),
    ("Opening RocksDB handle: /var/osquery/osquery.db", "database_open", "/var/osquery/osquery.db"),
    ("Executing scheduled query foobar: SELECT 1", "query_executed", "foobar"),
    ("Executing scheduled query pack_fim_file_events", "query_executed", "pack_fim_file_events"),
    # The worker's own line repeats the watcher's "executing worker": not a second start.
    ("osquery worker initialized [watcher=35549]", None, None),
]  # fmt: skip


@pytest.mark.parametrize(("message", "marker", "subject"), CASES)
def test_marker_and_subject(message, marker, subject) -> None:
    markers, subjects = classify(pa.array([message]))
    assert markers[0].as_py() == marker
    assert subjects[0].as_py() == subject
