"""The Database tab names the hosts whose records came from each database."""

from __future__ import annotations

import pyarrow as pa

from ui.database.controller import database_hosts


def test_hosts_of_a_database_from_dictionary_or_plain_columns() -> None:
    source = ["/a/osquery.db", "/a/log", "/a/osquery.db", "/b/osquery.db", "/a/osquery.db"]
    host = ["h1", "h1", None, "h2", "h3"]
    for encode in (True, False):
        records = pa.table({"source": source, "host": host})
        if encode:
            records = pa.table(
                {
                    "source": pa.array(source).dictionary_encode(),
                    "host": pa.array(host).dictionary_encode(),
                }
            )
        assert database_hosts(records, "/a/osquery.db") == ["h1", "h3"]
        assert database_hosts(records, "/b/osquery.db") == ["h2"]
        assert database_hosts(records, "/c/osquery.db") == []
