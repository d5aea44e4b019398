"""What an ingest's units found out about their hosts, given to the rows of the units that could
not tell.

An ingest's units (a host folder, a batch of pipeline objects) are read apart — side by side in
Spark's tasks, one after another in this process — each knowing only what the dataset's earlier
ingests found. A batch holding a host's ``file_events`` rows but none of its status lines cannot
tell inotify from FSEvents; the batch with its status lines can. Once every unit is read, what
they all found is merged in unit order (``HostKnowledge.merged``), and the rows a unit left
without a publisher (their subscriber known) get the one the merged knowledge decides: the same
decision (``publisher_of``) the unit would have made had it known. Both engines do this after
their units, so they write the same rows whatever order their units ran in.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inspector.fleet import layout
from inspector.fleet.units import UnitOutput
from inspector.fleet.writer import write_file
from inspector.loading.host_knowledge import HostKnowledge
from inspector.loading.pipeline import FOUND_ELSEWHERE, with_known_platforms
from inspector.loading.subscriber_mapping import publisher_of

_SEP = "\x1f"  # between host, query and subscriber in a lookup key: in none of them
# The columns a records part is read for first, to see whether it has rows to fill.
_HEAD = pa.schema([layout.RECORDS.field(n) for n in ("host", "query", "subscriber", "publisher")])


@dataclass(frozen=True)
class PublisherFills:
    """(host, query, subscriber) → the publisher and how it was found, for the rows a unit
    mapped to that subscriber but no publisher. The subscriber is part of the key: units may
    map one query differently (one saw the config or the columns, another did not), and a row
    of no subscriber gets no publisher."""

    found: dict[tuple[str, str, str], tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.found)

    def lookup(self) -> tuple[pa.Array, pa.Array]:
        """The fills as two aligned arrays: ``host<SEP>query<SEP>subscriber`` keys and
        publishers."""
        keys = [_SEP.join(key) for key in self.found]
        return pa.array(keys, pa.string()), pa.array(
            [p for p, _ in self.found.values()], pa.string()
        )


def ingest_knowledge(start: HostKnowledge, output: UnitOutput) -> HostKnowledge:
    """``start`` (the dataset's earlier ingests) with what every unit of this one found, in
    unit order. A platform a unit only took from ``start`` is not its finding: counted as one,
    a later unit echoing the old platform would override an earlier unit's fresh evidence."""
    known = start
    hosts, mappings = output.small.get("hosts", []), output.small.get("mapping", [])
    for host_table, mapping in zip(hosts, mappings, strict=True):
        known = known.merged(_found_itself(host_table), mapping)
    return known


def _found_itself(hosts: pa.Table | None) -> pa.Table | None:
    """The ``HOSTS`` rows whose platform the unit's own evidence gave."""
    if hosts is None or not hosts.num_rows:
        return hosts
    echoed = pc.starts_with(pc.fill_null(hosts.column("evidence"), ""), FOUND_ELSEWHERE)
    return hosts.filter(pc.invert(echoed))


def publisher_fills(mappings: list[pa.Table], known: HostKnowledge) -> PublisherFills:
    """The publisher ``known`` decides for each (host, query, subscriber) whose rows a unit
    mapped to that subscriber but no publisher."""
    found: dict[tuple[str, str, str], tuple[str, str]] = {}
    for mapping in mappings:
        if mapping is None or not mapping.num_rows:
            continue
        open_rows = mapping.filter(
            pc.and_(
                pc.is_valid(mapping.column("subscriber")), pc.is_null(mapping.column("publisher"))
            )
        )
        for row in open_rows.select(["host", "query", "subscriber"]).to_pylist():
            host, key = row["host"], (row["host"], row["query"], row["subscriber"])
            if not host or key in found:
                continue
            publisher, how = publisher_of(
                row["subscriber"],
                known.platforms.get(host),
                known.publishers.get(host, frozenset()),
            )
            if publisher is not None:
                # As the unit would have said it had it known: the same rows from every unit.
                found[key] = (publisher, how)
    return PublisherFills(found)


def filled_mapping(mapping: pa.Table, fills: PublisherFills) -> pa.Table:
    """A unit's ``MAPPING`` table with the fills' publishers (and how they were found)."""
    if not fills or mapping is None or not mapping.num_rows:
        return mapping
    rows = mapping.to_pylist()  # a row per (host, query): small
    for row in rows:
        fill = fills.found.get((row["host"], row["query"], row["subscriber"]))
        if fill is not None and row["publisher"] is None:
            row["publisher"] = fill[0]
            cut = row["how"].rfind("; publisher unknown")
            row["how"] = (row["how"][:cut] if cut >= 0 else row["how"]) + fill[1]
    return pa.Table.from_pylist(rows, schema=mapping.schema)


def fill_unit_tables(output: UnitOutput, known: HostKnowledge, fills: PublisherFills) -> None:
    """The units' small tables as the merged knowledge has them: hosts with the platform another
    unit found, mappings with the fills."""
    output.small["hosts"] = [
        with_known_platforms(t, known) if t is not None else t
        for t in output.small.get("hosts", [])
    ]
    output.small["mapping"] = [filled_mapping(t, fills) for t in output.small.get("mapping", [])]


def fill_records_files(files: list[str], fills: PublisherFills) -> list[str]:
    """Give the rows of ``files`` (records parts of the running ingest) the fills' publishers
    where they have none; each file that changes is rewritten whole under a temporary name and
    renamed. Returns the files rewritten."""
    if not fills:
        return []
    keys, publishers = fills.lookup()
    rewritten = []
    for path in files:
        head = pq.read_table(path, schema=_HEAD)
        # A row of no host or no subscriber makes a null key: it matches no fill.
        key = pc.binary_join_element_wise(
            head.column("host"), head.column("query"), head.column("subscriber"), _SEP
        )
        found = pc.take(publishers, pc.index_in(key, value_set=keys))
        if not pc.any(pc.and_(pc.is_null(head.column("publisher")), pc.is_valid(found))).as_py():
            continue
        table = pq.read_table(path, schema=layout.RECORDS)
        index = table.schema.get_field_index("publisher")
        table = table.set_column(
            index, layout.RECORDS.field("publisher"), pc.coalesce(table.column("publisher"), found)
        )
        write_file(table, path)
        rewritten.append(path)
    return rewritten
