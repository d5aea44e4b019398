"""RocksDB's own figures for one column family, read as RocksDB reports them.

Every property is asked for by name; one RocksDB does not report (``None`` from the binding, or an
error) is listed as unreadable instead of being filled in. The aggregated table properties are
RocksDB's sums over the family's table files — among them the tombstones (``# deletions``,
``# range deletions``) that a read of live keys never sees.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

log = logging.getLogger(__name__)

LEVELS = 7  # RocksDB's default num_levels (osquery does not change it)
INTEGER_PROPERTIES = (
    "rocksdb.estimate-num-keys",
    "rocksdb.total-sst-files-size",
    "rocksdb.live-sst-files-size",
    "rocksdb.estimate-live-data-size",
    "rocksdb.estimate-pending-compaction-bytes",
    "rocksdb.num-entries-active-mem-table",
    "rocksdb.num-deletes-active-mem-table",
    "rocksdb.size-all-mem-tables",
    *(f"rocksdb.num-files-at-level{level}" for level in range(LEVELS)),
)
TABLE_PROPERTIES = "rocksdb.aggregated-table-properties"
# Fields of the aggregated table properties kept, as RocksDB spells them → our name.
TABLE_FIELDS = {
    "# entries": "entries",
    "# deletions": "deletions",
    "# range deletions": "range_deletions",
    "# data blocks": "data_blocks",
    "raw key size": "raw_key_bytes",
    "raw value size": "raw_value_bytes",
    "data block size": "data_block_bytes",
    "filter block size": "filter_block_bytes",
}
_INDEX_BLOCK = re.compile(r"^index block size \(.*\)$")


class PropertySource(Protocol):
    """A rocksdict ``Rdict`` (the default family) or one of its column families."""

    def property_value(self, name: str) -> str | None: ...


def read_properties(handle: PropertySource) -> dict[str, Any]:
    """The family's integer properties, files per level, parsed table properties and tombstones.

    ``unreadable`` lists the properties RocksDB did not report; ``tombstones`` is the deletions
    plus range deletions still held in table files plus the deletes in the active memtable.
    """
    out: dict[str, Any] = {}
    unreadable: list[str] = []
    for name in INTEGER_PROPERTIES:
        text = _value(handle, name)
        try:
            out[name] = int(text) if text is not None else None
        except ValueError:
            out[name] = None
        if out[name] is None:
            unreadable.append(name)
    text = _value(handle, TABLE_PROPERTIES)
    table = parse_table_properties(text) if text is not None else None
    out[TABLE_PROPERTIES] = table
    if table is None:
        unreadable.append(TABLE_PROPERTIES)
    out["files_per_level"] = [out.get(f"rocksdb.num-files-at-level{i}") for i in range(LEVELS)]
    parts = [
        None if table is None else table.get("deletions"),
        None if table is None else table.get("range_deletions"),
        out.get("rocksdb.num-deletes-active-mem-table"),
    ]
    out["tombstones"] = None if any(p is None for p in parts) else sum(parts)
    out["unreadable"] = unreadable
    return out


def _value(handle: PropertySource, name: str) -> str | None:
    try:
        return handle.property_value(name)
    except Exception:  # the binding raises plain Exceptions; the report says "unreadable"
        log.debug("RocksDB property %s not readable", name, exc_info=True)
        return None


def parse_table_properties(text: str) -> dict[str, int] | None:
    """``# entries=1100; # deletions=100; …`` → ``{"entries": 1100, "deletions": 100, …}``."""
    out: dict[str, int] = {}
    for part in text.split(";"):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        key = "index_block_bytes" if _INDEX_BLOCK.match(name) else TABLE_FIELDS.get(name)
        if key is None:
            continue
        try:
            out[key] = int(value.strip())
        except ValueError:
            continue
    return out or None
