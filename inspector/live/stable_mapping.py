"""Subscribers and publishers that stay put while a run is followed.

Each batch is joined on its own (``assemble``), so a query's subscriber or publisher could come
out differently from one batch to the next (a platform learnt later, a batch of rows with fewer
columns): its lane would split in two. The first decision for a host × query pair is kept and
later batches' rows follow it. Database events name no host: once the logs name exactly one
host, the database's rows are that host's (as a load attributes them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from inspector.arrow_columns import value_mask

Pair = tuple[str | None, str]  # host, query


@dataclass
class StableMapping:
    """The first subscriber and publisher decided per host × query, and the hosts seen."""

    pairs: dict[Pair, tuple[str | None, str | None]] = field(default_factory=dict)
    hosts: set[str] = field(default_factory=set)

    def apply(self, records: pa.Table, mapping: pa.Table) -> pa.Table:
        """``records`` of one joined batch with the run's decisions (``mapping``: its MAPPING)."""
        differs: dict[Pair, tuple[str | None, str | None]] = {}
        for host, query, subscriber, publisher in zip(
            *(mapping.column(c).to_pylist() for c in ("host", "query", "subscriber", "publisher")),
            strict=True,
        ):
            decided = self.pairs.setdefault((host, query), (subscriber, publisher))
            if decided != (subscriber, publisher):
                differs[(host, query)] = decided
        if records.num_rows:
            records = _override(records, differs)
            hosts = pc.unique(records.column("host").cast(pa.string())).drop_null().to_pylist()
            self.hosts.update(h for h in hosts if h)
            records = self._database_host(records)
        return records

    def _database_host(self, records: pa.Table) -> pa.Table:
        if len(self.hosts) != 1 or records.column("host").null_count == 0:
            return records
        formats = records.column("format")
        mine = value_mask(formats, lambda v: pc.starts_with(v.cast(pa.string()), "database"))
        host = records.column("host").cast(pa.string())
        filled = pc.if_else(pc.and_(pa.array(mine), pc.is_null(host)), next(iter(self.hosts)), host)
        index = records.schema.get_field_index("host")
        return records.set_column(
            index, "host", pc.dictionary_encode(filled).cast(records.schema.field("host").type)
        )

    def table(self) -> pa.Table:
        """The decisions as a ``MAPPING``-shaped table (host, query, subscriber, publisher, how)."""
        keys = sorted(self.pairs, key=lambda k: (k[0] or "", k[1]))
        return pa.table(
            {
                "host": pa.array([h for h, _ in keys], pa.string()),
                "query": pa.array([q for _, q in keys], pa.string()),
                "subscriber": pa.array([self.pairs[k][0] for k in keys], pa.string()),
                "publisher": pa.array([self.pairs[k][1] for k in keys], pa.string()),
                "how": pa.array(["decided by the first batch"] * len(keys), pa.string()),
            }
        )

    def query_of(self, host: str | None, subscriber: str | None) -> str | None:
        """The query of a subscriber's lane when exactly one query maps to it (as ``find``)."""
        queries = {q for (h, q), (s, _) in self.pairs.items() if h == host and s == subscriber}
        return queries.pop() if len(queries) == 1 else None


def _override(records: pa.Table, differs: dict[Pair, tuple[str | None, str | None]]) -> pa.Table:
    """Rows of the pairs in ``differs`` take the subscriber and publisher decided before."""
    if not differs:
        return records
    host = records.column("host").cast(pa.string())
    query = records.column("query").cast(pa.string())
    subscriber = records.column("subscriber").cast(pa.string())
    publisher = records.column("publisher").cast(pa.string())
    for (h, q), (s, p) in differs.items():
        same_host = pc.is_null(host) if h is None else pc.fill_null(pc.equal(host, h), False)
        hit = pc.and_(same_host, pc.fill_null(pc.equal(query, q), False))
        subscriber = pc.if_else(hit, pa.scalar(s, pa.string()), subscriber)
        publisher = pc.if_else(hit, pa.scalar(p, pa.string()), publisher)
    for name, values in (("subscriber", subscriber), ("publisher", publisher)):
        index = records.schema.get_field_index(name)
        typ = records.schema.field(name).type
        records = records.set_column(index, name, pc.dictionary_encode(values).cast(typ))
    return records
