"""The queries a run's configs schedule, with packs stored in files of their own found by path."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.compute as pc

from inspector.model import SourceReport
from inspector.readers.config import queries_from_pack, queries_table
from inspector.readers.result import ReaderResult
from inspector.schema import QUERIES


def config_queries(results: list[tuple[SourceReport, ReaderResult]]) -> pa.Table:
    """Queries of every config, with packs stored in separate files named as the config names them."""
    tables = []
    packs = [(s, r) for s, r in results if r.kind == "pack"]
    referenced: set[str] = set()
    for source, result in results:
        if result.kind != "config" or result.queries is None:
            continue
        tables.append(result.queries)
        delimiter = result.meta.get("pack_delimiter", "_")
        for pack, ref in result.meta.get("pack_refs", {}).items():
            match = pack_file_for(ref, source.path, [s.path for s, _ in packs])
            if match is None:
                source.notes.append(f"pack {pack!r} refers to {ref}, which is not among the inputs")
                continue
            pack_source, pack_result = next((s, r) for s, r in packs if s.path == match)
            rows, _ = queries_from_pack(
                pack_result.meta["pack_doc"], pack, delimiter, pack_source.path
            )
            tables.append(queries_table(rows))
            referenced.add(match)
    for pack_source, result in packs:
        if pack_source.path not in referenced and result.queries is not None:
            tables.append(result.queries)
    # Queries the database remembers (query.<name>, a stored config) fill in what no config file says.
    named = {q for t in tables for q in t.column("query").to_pylist()}
    for _, result in results:
        if result.kind in ("osquery_db", "database_dump") and result.queries is not None:
            extra = result.queries.filter(
                pc.invert(
                    pc.is_in(result.queries.column("query"), pa.array(sorted(named), pa.string()))
                )
            )
            tables.append(extra)
            named.update(extra.column("query").to_pylist())
    if not tables:
        return QUERIES.empty_table()
    return pa.concat_tables(tables)


def pack_file_for(ref: str, config: str, candidates: list[str]) -> str | None:
    """The input that is the pack a config names by path: the file at that path, else one in
    the config's own folder tree, else one whose path ends with the reference's (a bundle
    copied from the host); never a same-named file from an unrelated folder."""
    config_dir = os.path.dirname(os.path.abspath(config))
    wanted = os.path.normpath(ref if os.path.isabs(ref) else os.path.join(config_dir, ref))
    name = os.path.basename(ref)
    same = [c for c in candidates if os.path.basename(c) == name]
    for c in same:
        if os.path.realpath(c) == os.path.realpath(wanted):
            return c
    inside = [c for c in same if os.path.abspath(c).startswith(config_dir + os.sep)]
    if len(inside) == 1:
        return inside[0]
    parts = [p for p in os.path.normpath(ref).split(os.sep) if p not in ("", ".", "..")]

    def common_tail(path: str) -> int:
        mine = os.path.abspath(path).split(os.sep)
        n = 0
        while n < min(len(mine), len(parts)) and mine[-1 - n] == parts[-1 - n]:
            n += 1
        return n

    tails = sorted(((common_tail(c), c) for c in same), reverse=True)
    if tails and tails[0][0] >= 2 and (len(tails) == 1 or tails[1][0] < tails[0][0]):
        return tails[0][1]
    return None
