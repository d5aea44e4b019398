"""A generated fleet dataset for the fleet benchmark: demo hosts ingested, then replicated.

Four demo hosts (two macOS hosts that duplicate after config changes, two healthy Linux hosts)
are written and ingested with ``fleet ingest``; their rows are then copied under new host names
(``mac-000-07`` …) until the fleet has ``hosts`` hosts — the Parquet a real ingest of that many
such hosts would write, without writing and parsing every host's logs.
"""

from __future__ import annotations

import json
import os

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inspector.demo.fleet import write_fleet
from inspector.fleet import layout
from inspector.fleet.ingest import ingest
from inspector.fleet.scan import read_small
from inspector.fleet.writer import DatasetWriter, write_small

BASE_HOSTS = 4
BYTES_PER_RECORD = 420  # of a demo host's logs and database, measured


def base_fleet(folder: str, records: int, hours: float = 6.0) -> tuple[list[str], str]:
    """Four demo hosts of about ``records`` records in all, and their ingested dataset."""
    size = max(200_000, int(records / BASE_HOSTS * BYTES_PER_RECORD))
    hosts = write_fleet(os.path.join(folder, "hosts"), hosts=BASE_HOSTS, size=size, hours=hours)
    dataset = os.path.join(folder, "base")
    ingest(hosts, dataset)
    return hosts, dataset


def _renamed(table: pa.Table, suffix: str) -> pa.Table:
    if "host" not in table.column_names or not table.num_rows:
        return table
    host = table.column("host")
    renamed = pc.if_else(pc.is_null(host), host, pc.binary_join_element_wise(host, suffix, ""))
    return table.set_column(table.schema.get_field_index("host"), "host", renamed)


def replicate(base: str, out: str, copies: int) -> int:
    """Write ``out``: every host of ``base`` ``copies`` times under new names; its records."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "dataset.json"), "w", encoding="utf-8") as f:
        json.dump(
            {"format": "osquery-inspector fleet dataset", "version": layout.FORMAT_VERSION}, f
        )
    tables = {
        name: pa.concat_tables(
            [pq.read_table(f, schema=schema) for f in layout.finished_files(base, name)]
        )
        for name, schema in layout.DATED.items()
    }
    writer = DatasetWriter(out, "20000101T000000Zbench0")
    for k in range(copies):
        for name, table in tables.items():
            writer.add(name, _renamed(table, f"-{k:02d}"))
    writer.flush()
    for name in ("mapping", "subscriptions", "hosts"):
        table = read_small(base, name)
        copied = pa.concat_tables([_renamed(table, f"-{k:02d}") for k in range(copies)])
        write_small(out, name, copied, "20000101T000000Zbench0")
    # The base's manifest, last: it makes the written files those of a finished ingest.
    write_small(out, "manifest", read_small(base, "manifest"), "20000101T000000Zbench0")
    return tables["records"].num_rows * copies
