"""The analysis definitions as SQL text, with a small dialect layer (DuckDB, Spark SQL).

``definitions`` holds the queries, ``dialect`` the few spellings that differ between engines,
``shaping`` turns any engine's answer into the analysis schemas, and ``in_memory`` runs them on
DuckDB over an Arrow records table (what ``scan`` and the window use). The fleet engines
(``inspector.fleet``) run the same text over a Parquet dataset.
"""

from inspector.sql.dialect import DIALECTS, DUCKDB, SPARK, Dialect

__all__ = ["DIALECTS", "DUCKDB", "SPARK", "Dialect"]
