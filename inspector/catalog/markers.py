"""Classification of status-log messages into markers (config change, restart, publisher, ...).

Patterns follow the message strings in docs/osquery-formats.md section 4 (osquery 1.x–5.x).
Each class keeps what the message is about (``subject``): a publisher, subscriber, query or pid.
The first matching class wins, so more specific patterns come first.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# (marker, alternatives): RE2 patterns; named groups "subject…" say what the line is about.
_ALTERNATIVES: list[tuple[str, list[str]]] = [
    ("config_change", [r"Calling configure for logger (?P<subject>\S+)"]),
    ("config_error", [
        r"updateSource failed to parse config",
        r"Error reading config",
        r"Cannot set unknown or invalid flag",
    ]),
    ("config_refresh", [
        r"Refreshing configuration state",
        r"Using accelerated configuration delay",
        r"Normal configuration delay restored",
        r"Restoring backed up config",
    ]),
    ("query_updated", [
        r"Scheduled query has been updated: (?P<subject>\S+)",
        r"New Epoch \S+ for scheduled query (?P<subject2>\S+)",
        r"Storing initial results for new scheduled query: (?P<subject3>\S+)",
        r"Expiring results for scheduled query: (?P<subject4>\S+)",
    ]),
    ("config_source", [r"Updating config with source:? ?(?P<subject>\S*)"]),
    ("query_scheduled", [r"Scheduling (?:scheduled )?query:? (?P<subject>[^:\s]+)"]),
    ("query_executed", [r"Executing scheduled query:? (?P<subject>[^:\s]+)"]),
    ("worker_restart", [
        r"osqueryd worker \((?P<subject>\d+)\) stopping",
        r"osqueryd worker \((?P<subject2>\d+)\) could not be stopped",
        r"respawning too quickly",
        r"Scheduled query may have failed: (?P<subject3>\S+)",
        r"osquery extension \S+ \((?P<subject4>\d+)\) stopping",
    ]),
    ("agent_stop", [
        r"The scheduler ended after",
        r"Watcher has become unhealthy",
        r"Too many worker restarts",
        r"Worker returned exit status",
    ]),
    # The watcher's line only: the worker's own "osquery worker initialized" is the same start.
    ("worker_start", [r"executing worker \((?P<subject>\d+)\)"]),
    ("agent_start", [
        r"osquery initialized \[version=(?P<subject>[^\]]+)\]",
        r"started \[version=(?P<subject2>[^\]]+)\]",
    ]),
    # Turned off on purpose (a flag, the config) is not a failure; anything else is.
    ("publisher_disabled", [
        r"Event publisher not enabled: (?P<subject>[^:\s]+): .*(?:[Dd]isabled (?:via|by) configuration)",
    ]),
    ("publisher_unused", [r"Event publisher not enabled: (?P<subject>[^:\s]+): Publisher not used"]),
    ("publisher_failed", [
        r"Event publisher not enabled: (?P<subject>[^:\s]+)",
        r"Event publisher failed setup: (?P<subject2>[^:\s]+)",
        r"Requested unknown/failed event publisher: (?P<subject3>\S+)",
    ]),
    ("publisher_started", [r"Starting event publisher run loop: (?P<subject>\S+)"]),
    ("publisher_stopped", [r"Event publisher (?P<subject>\S+) run loop terminated"]),
    ("event_expiry", [
        r"Expiring events for subscriber: (?P<subject>\S+)",
        r"Removed \d+ event batches (?:\(with \d+ delete errors\)\s*)?for subscriber: (?P<subject2>\S+)",
        r"Subscriber events (?P<subject3>\S+) exceeded limit",
        r"Failed to expire \d+ events",
        r"minimum events expiration timeout for (?P<subject4>\S+)",
        r"Subscriber expiration is too low: (?P<subject5>\S+)",
    ]),
    ("subscriber_disabled", [
        r"(?:Skipping subscriber|Error registering subscriber): (?P<subject>[^:\s]+): "
        r".*(?:[Dd]isabled (?:via|by) configuration)",
        r"Disabling event subscriber: (?P<subject2>\S+)",
    ]),
    ("subscription_added", [
        r"Added (?:file event |kernel )?listener to: (?P<subject>.+)$",
        r"Added YARA listener (?:to|for category): (?P<subject2>.+)$",
    ]),
    ("subscriber_error", [
        r"Error registering subscriber: (?P<subject>[^:\s]+)",
        r"Requested unknown event subscriber: (?P<subject2>\S+)",
        r"Skipping subscriber: (?P<subject3>[^:\s]+)",
        r"Found \d+ invalid events",
        r"error in events optimization",
        r"deprecated event keys could not be deleted",
    ]),
    ("database_error", [
        r"Rocksdb open failed",
        r"Could not open RocksDB",
        r"Corruption:",
        r"Destroying RocksDB database",
        r"Backing up RocksDB database",
        r"Cannot backup the RocksDB",
        r"Unable to reset database plugin",
        r"Database migration failed",
        r"Failed to migrate the database",
        r"Opening RocksDB failed",
        r"Not allowed to set up database plugin",
        r"Cannot compact column family",
    ]),
    ("database_open", [r"Opening RocksDB handle: (?P<subject>.+)$"]),
]  # fmt: skip

MARKERS: list[tuple[str, str]] = [(name, "|".join(alts)) for name, alts in _ALTERNATIVES]
MARKER_NAMES = tuple(name for name, _ in MARKERS)


def classify(messages: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Marker class and subject for each message (nulls where no class matches)."""
    if isinstance(messages, pa.ChunkedArray):
        messages = messages.combine_chunks()
    n = len(messages)
    marker_idx = np.full(n, -1, dtype=np.int32)
    subject = pa.nulls(n, pa.string())
    for k, (_, pattern) in enumerate(MARKERS):
        open_rows = marker_idx < 0
        if not open_rows.any():
            break
        hit = np.asarray(pc.fill_null(pc.match_substring_regex(messages, pattern), False))
        new = hit & open_rows
        if not new.any():
            continue
        marker_idx[new] = k
        found = _subject(messages, pattern)
        if found is not None:
            subject = pc.if_else(pa.array(new), found, subject)
    names = pa.array(MARKER_NAMES, pa.string())
    indices = pa.array(marker_idx, pa.int32(), mask=marker_idx < 0)
    marker = pa.DictionaryArray.from_arrays(indices, names)
    return marker, subject


def _subject(messages: pa.Array, pattern: str) -> pa.Array | None:
    if "(?P<subject" not in pattern:
        return None
    groups = pc.extract_regex(messages, ".*?(?:" + pattern + ")")
    names = [groups.type.field(i).name for i in range(groups.type.num_fields)]
    subject = pa.nulls(len(messages), pa.string())
    for name in names:
        values = pc.struct_field(groups, name)
        values = pc.if_else(pc.equal(values, ""), None, values)
        subject = pc.coalesce(subject, values)
    return subject
