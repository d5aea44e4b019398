"""Live follow: logs followed by file identity across rotations, a live ``osquery.db`` through a
RocksDB secondary instance in a shadow folder, and the incremental analysis (live-follow.md)."""
