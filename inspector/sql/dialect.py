"""The few places where DuckDB's and Spark's SQL differ, as small functions of one ``Dialect``.

The analysis definitions (``inspector.sql.definitions``) are written once in the SQL both engines
share (``CASE``, ``coalesce``, ``LIKE``, ``FILTER (WHERE …)``, ``count``/``min``/``max``) and
call these for the rest: string casts, integer division, timestamps as microseconds, and the
stable content hash.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Dialect:
    """How one engine spells what the definitions need."""

    name: str  # duckdb | spark
    string_type: str  # the type a CAST to text names
    integer_division: str  # "{a} // {b}" style template

    def text(self, expr: str) -> str:
        """``expr`` as text (dictionary/enum columns and plain strings alike)."""
        return f"CAST({expr} AS {self.string_type})"

    def div(self, a: str, b: str | int) -> str:
        """Integer division of two integers (truncating: times here are positive)."""
        return self.integer_division.format(a=a, b=b)

    def micros(self, expr: str) -> str:
        """Microseconds since the epoch of a timestamp expression (NULL stays NULL)."""
        if self.name == "duckdb":
            return f"epoch_us({expr})"
        return f"unix_micros({expr})"

    def lane_key(self, *exprs: str) -> str:
        """A 64-bit key of several values (NULLs told apart by position), used inside one query
        only — grouping on it is several times cheaper than on the strings themselves."""
        if self.name == "duckdb":
            return f"hash({', '.join(exprs)})"
        # Spark's xxhash64 skips NULL arguments: a sentinel keeps (NULL, 'a') apart from ('a', NULL).
        return "xxhash64(" + ", ".join(f"coalesce({e}, '\\u0000')" for e in exprs) + ")"

    def eid_key(self, expr: str) -> str:
        """What the eids of one content's copies are compared by: a 64-bit hash (the lowest and
        highest per content tell whether they all agree). Aggregate states of numbers cost a
        third of those of strings in DuckDB, and Spark's hash aggregate keeps no strings at all
        (min/max of a string would make it sort every row)."""
        return f"hash({expr})" if self.name == "duckdb" else f"xxhash64({expr})"

    def repartition_hint(self, *columns: str) -> str:
        """A hint that spreads a query's rows over the workers by ``columns`` before what follows
        groups them (Spark: one shuffle for aggregations that all group by these columns, not
        one per aggregation); nothing where every worker sees every row (DuckDB)."""
        if self.name == "duckdb":
            return ""
        return f"/*+ REPARTITION({', '.join(columns)}) */"

    def stable_hash64(self, text: str) -> str:
        """A signed 64-bit hash of a text that every engine and version computes alike: the first
        8 bytes of its MD5, big-endian, as a two's-complement BIGINT. (DuckDB's ``hash()`` and
        Spark's ``hash()``/``xxhash64()`` differ between engines or versions; MD5 does not.)"""
        head = f"left(md5({text}), 16)"
        if self.name == "duckdb":
            unsigned = f"CAST(('0x' || {head}) AS UBIGINT)"
            return (
                f"CAST(CAST({unsigned} AS HUGEINT) - CASE WHEN {unsigned} >= 9223372036854775808 "
                "THEN CAST(18446744073709551616 AS HUGEINT) ELSE 0 END AS BIGINT)"
            )
        return f"CAST(conv({head}, 16, -10) AS BIGINT)"


DUCKDB = Dialect("duckdb", "VARCHAR", "({a} // {b})")
SPARK = Dialect("spark", "STRING", "({a} div {b})")
DIALECTS = {d.name: d for d in (DUCKDB, SPARK)}
