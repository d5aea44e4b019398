"""Column families: which osquery domain each holds, and what kinds of keys fill it.

The domains are placed by what the families hold, exactly as the records reader places them
(``inspector.readers.rocksdb_db.map_domains``): osquery stores domain *n* in family *n − 1*,
and the report must name the same family for a domain as the rest of the app does.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from inspector.database.store import Family, as_strings
from inspector.readers.osquery_db import Domain
from inspector.readers.rocksdb_db import map_domains

KEY_CLASSES = pa.schema(
    [
        pa.field("family", pa.string()),
        pa.field("domain", pa.string()),
        pa.field("class", pa.string()),
        pa.field("keys", pa.int64()),
        pa.field("key_bytes", pa.int64()),
        pa.field("value_bytes", pa.int64()),
    ]
)
# What a key is, per domain (the events domain's rows per subscriber, its index keys by kind).
_CLASS_SQL = {
    "events": """CASE
        WHEN starts_with(k, 'data.') THEN 'data.' || split_part(k, '.', 2) || '.' || split_part(k, '.', 3)
        WHEN starts_with(k, 'optimize_eid.') THEN 'optimize_eid'
        WHEN starts_with(k, 'optimize.') THEN 'optimize'
        WHEN starts_with(k, 'records.') THEN 'records'
        WHEN starts_with(k, 'indexes.') THEN 'indexes'
        WHEN starts_with(k, 'eid.') THEN 'eid'
        ELSE 'other' END""",
    "queries": """CASE
        WHEN starts_with(k, 'query.') THEN 'sql'
        WHEN starts_with(k, 'config_views.') THEN 'views'
        WHEN starts_with(k, 'distributed.') THEN 'distributed'
        WHEN ends_with(k, 'counter') OR ends_with(k, 'epoch') THEN 'counters'
        ELSE 'results' END""",
    "logs": """CASE WHEN contains(k, '_r_') THEN 'results'
        WHEN contains(k, '_s_') THEN 'status' ELSE 'other' END""",
    "configurations": """CASE WHEN starts_with(k, 'config_persistence.') THEN 'config'
        ELSE 'settings' END""",
}


def family_domains(families: list[Family]) -> tuple[dict[str, str | None], str]:
    """Family name → the osquery domain it holds (None: none), and how that was decided."""
    empty = pa.array([], pa.string())
    physical = {f.name: Domain(as_strings(f.keys), empty) for f in families}
    mapping, how = map_domains(physical)
    # osquery opens one family per domain of its version (plus ``default``), so a domain whose
    # own family is absent does not exist in that version: the last family is the spare.
    domain_of = {cf: domain for domain, cf in mapping.items() if domain in physical}
    return {f.name: domain_of.get(f.name) for f in families}, how


def key_classes(
    con: duckdb.DuckDBPyConnection, name: str, domain: str | None, family: pa.Table
) -> pa.Table:
    """Keys, key bytes and value bytes per kind of key in one family (``events.family_table``)."""
    if not family.num_rows:
        return KEY_CLASSES.empty_table()
    expression = _CLASS_SQL.get(domain or "", "'keys'")
    con.register("family", family.select(["k", "key_bytes", "value_bytes"]))
    try:
        table = con.sql(
            f"SELECT {expression} AS class, count(*) AS keys, sum(key_bytes) AS key_bytes, "
            "sum(value_bytes) AS value_bytes FROM family GROUP BY 1 ORDER BY 1"
        ).to_arrow_table()
    finally:
        con.unregister("family")
    n = table.num_rows
    table = table.add_column(0, "domain", pa.array([domain] * n, pa.string()))
    table = table.add_column(0, "family", pa.array([name] * n, pa.string()))
    return table.cast(KEY_CLASSES)
