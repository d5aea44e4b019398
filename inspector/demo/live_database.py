"""A simulated osqueryd holding its ``osquery.db`` open for writing, with osquery's options:
write buffer 1 MB × 16 (4 merged per flush), 128 open files, no compression, the default column
family plus the 8 domain families, and event writes without a write-ahead log — so events
reach the files (and any outside reader) only when the buffer flushes.
"""

from __future__ import annotations

import json
import os
from typing import Any

DOMAIN_FAMILIES = (
    "configurations", "queries", "events", "logs", "carves", "distributed",
    "distributed_running", "query_performance",
)  # fmt: skip


class LiveDatabase:
    """An ``osquery.db`` open read-write, as osqueryd holds it (events in family ``queries``:
    osquery stores domain *n* in family *n − 1*)."""

    def __init__(self, path: str) -> None:
        from rocksdict import DBCompressionType, Options, Rdict, WriteOptions

        os.makedirs(path, exist_ok=True)
        self.path = path

        def options() -> Any:
            o = Options(raw_mode=True)
            o.create_if_missing(True)
            o.create_missing_column_families(True)
            o.set_write_buffer_size(1024 * 1024)
            o.set_max_write_buffer_number(16)
            o.set_min_write_buffer_number_to_merge(4)
            o.set_max_open_files(128)
            o.set_compression_type(DBCompressionType.none())
            return o

        families = {cf: options() for cf in DOMAIN_FAMILIES}
        self.db = Rdict(path, options=options(), column_families=families)
        # Physical family n-1 holds logical domain n: events live in "queries".
        self.events = self.db.get_column_family("queries")
        self.no_wal = WriteOptions()
        self.no_wal.disable_wal = True  # type: ignore[method-assign,assignment]  # a property at run time
        self.db.get_column_family("default").put(b"results_version", b"2")

    def put_event(self, publisher: str, subscriber: str, eid: int, row: dict[str, str]) -> None:
        """One buffered event, written as osquery does (no write-ahead log)."""
        key = f"data.{publisher}.{subscriber}.{eid:010d}".encode()
        self.events.put(key, json.dumps(row, separators=(",", ":")).encode(), self.no_wal)

    def flush(self) -> None:
        """What osqueryd's write buffer does when it fills: events reach the table files."""
        self.events.flush()
        self.db.flush()

    def close(self) -> None:
        self.db.close()
