"""The JSON-lines reader: results, snapshot and JSON status logs, envelopes, launcher logs.

- ``reader``: the entry point (``read_json_lines``), line counting and accounting;
- ``chunk_parsing``: chunks of whole lines parsed on two threads, merged in file order;
- ``parser_input``: a chunk as the Arrow table DuckDB parses (non-JSON blanked in place);
- ``parse_sql``: the DuckDB SQL that parses and classifies each line once;
- ``canonical_rows``: the canonical records and status rows built from that parse;
- ``rejection_reasons``: why a line was rejected, computed for rejected lines only.
"""
