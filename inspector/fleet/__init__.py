"""Fleet scale: a Parquet dataset of many hosts, analysed on DuckDB or Spark (see README)."""
