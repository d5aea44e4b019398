"""The host of status lines that name none, from the file they came from.

A glog file's header names its host (``meta["host"]``); otherwise a status log may announce it
("Using host identifier: X"). Either fills the lines of that file only: a table that joins
several files (a batch of small files) is filled file by file.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from inspector.model import SourceReport
from inspector.readers.result import ReaderResult

ANNOUNCED = r"^Using host identifier: (?P<host>\S+)"


def with_status_hosts(results: list[tuple[SourceReport, ReaderResult]]) -> list[pa.Table]:
    """Status tables, with the host of a glog header or an announcement filled in where lines
    have none."""
    out = []
    for _, r in results:
        table = r.status
        if table is None or not table.num_rows:
            continue
        hosts = table.column("host").cast(pa.string())
        header = r.meta.get("host")
        if header:
            filled = pc.fill_null(hosts, header)
        elif hosts.null_count:
            filled = pc.coalesce(hosts, announced_hosts(table))
        else:
            out.append(table)
            continue
        index = table.schema.get_field_index("host")
        out.append(table.set_column(index, "host", pc.dictionary_encode(filled)))
    return out


def announced_hosts(status: pa.Table) -> pa.ChunkedArray:
    """For each row, the one host its file announces (null where it announces none, or more
    than one)."""
    source = status.column("source").cast(pa.string())
    found = pc.struct_field(pc.extract_regex(status.column("message"), ANNOUNCED), "host")
    named = pa.table({"source": source, "host": found}).filter(pc.is_valid(found))
    per_file = named.group_by("source").aggregate([("host", "count_distinct"), ("host", "min")])
    one = per_file.filter(pc.equal(per_file.column("host_count_distinct"), 1))
    at = pc.index_in(source, one.column("source"))
    return pc.take(one.column("host_min"), at)
