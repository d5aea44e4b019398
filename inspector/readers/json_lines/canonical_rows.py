"""Canonical ``RECORDS`` and ``STATUS`` rows from the parser's flat table (see ``parse_sql``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from inspector.readers.glog_lines import GlogOptions
from inspector.readers.json_lines import parse_sql
from inspector.readers.json_lines.glog_in_json import parse_glog_in_json
from inspector.schema import EMPTY_RUNS, RECORDS, STATUS, TIMESTAMP


@dataclass
class Built:
    """Rows built from one flat table, and what was noticed."""

    records: list[pa.Table] = field(default_factory=list)
    status: list[pa.Table] = field(default_factory=list)
    shapes: dict[str, int] = field(default_factory=dict)
    dropped_rows: int = 0
    notes: list[str] = field(default_factory=list)
    glog_orphans: set[tuple[int, int | None]] = field(default_factory=set)
    empty_runs: list[pa.Table] = field(default_factory=list)
    legacy_empty_lists: int = 0

    def merge(self, other: Built) -> None:
        self.records.extend(other.records)
        self.empty_runs.extend(other.empty_runs)
        self.legacy_empty_lists += other.legacy_empty_lists
        self.status.extend(other.status)
        for k, v in other.shapes.items():
            self.shapes[k] = self.shapes.get(k, 0) + v
        self.dropped_rows += other.dropped_rows
        self.notes.extend(n for n in other.notes if n not in self.notes)
        self.glog_orphans |= other.glog_orphans


def parse(con: duckdb.DuckDBPyConnection, lines_tbl: pa.Table) -> pa.Table:
    """Parse once and flatten (``parse_sql.PARSE``); top-level decorations are filled in."""
    con.register("lines_tbl", lines_tbl)
    try:
        flat = con.sql(parse_sql.PARSE).to_arrow_table()
    finally:
        con.unregister("lines_tbl")
    has_extra = flat.column("has_extra").combine_chunks()
    if pc.any(has_extra).as_py():
        mask = pc.fill_null(has_extra, False)
        con.register("extra_lines", lines_tbl.filter(mask))
        try:
            deco = con.sql(parse_sql.TOP_LEVEL_DECORATIONS).to_arrow_table()
        finally:
            con.unregister("extra_lines")
        merged = pc.replace_with_mask(
            flat.column("decorations").combine_chunks(), mask, deco.column("deco").combine_chunks()
        )
        flat = flat.set_column(flat.schema.get_field_index("decorations"), "decorations", merged)
    return flat


def build(con: duckdb.DuckDBPyConnection, flat: pa.Table, source: str, glog: GlogOptions) -> Built:
    """Records and status rows of every shape present in ``flat``."""
    out = Built()
    shape = flat.column("shape").combine_chunks()
    for entry in pc.value_counts(shape).to_pylist():
        if entry["values"] is not None:
            out.shapes[entry["values"]] = entry["counts"]
    present = out.shapes
    con.register("flat", flat)
    try:
        parts = []
        if "event" in present or "snapshot_row" in present:
            parts.append(event_rows(flat, shape))
        if "batch" in present:
            parts.append(con.sql(parse_sql.BATCH).to_arrow_table())
        if "snapshot" in present:
            parts.append(con.sql(parse_sql.SNAPSHOT).to_arrow_table())
        if "batch" in present or "snapshot" in present:
            out.dropped_rows += con.sql(parse_sql.NON_OBJECT_ROWS).fetchall()[0][0]
            out.legacy_empty_lists += con.sql(parse_sql.LEGACY_EMPTY_LISTS).fetchall()[0][0]
            empty = con.sql(parse_sql.EMPTY_RUNS).to_arrow_table()
            if empty.num_rows:
                out.empty_runs.append(empty_runs_from(empty, source))
        built = [records_from(part, source) for part in parts if part.num_rows]
        if len(built) > 1:
            # Keep file order when one chunk mixes event, batch and snapshot lines.
            merged = pa.concat_tables(built).unify_dictionaries()
            built = [
                merged.sort_by(
                    [("line", "ascending"), ("item", "ascending"), ("part", "ascending")]
                )
            ]
        out.records.extend(built)
        if "status" in present or "status_short" in present:
            rows = con.sql(parse_sql.STATUS).to_arrow_table()
            out.status.append(status_from(rows, source))
            out.notes.extend(_host_notes(rows.column("host_from")))
        if "glog_in_json" in present:
            wrapped = con.sql(parse_sql.GLOG_IN_JSON).to_arrow_table()
            status, notes, orphans = parse_glog_in_json(wrapped, source, glog)
            out.status.append(status)
            out.notes.extend(notes)
            out.glog_orphans |= orphans
        if "envelope" in present:
            items = con.sql(parse_sql.ENVELOPE_ITEMS).to_arrow_table()
            out.merge(_envelope_items(con, items, source, glog))
    finally:
        con.unregister("flat")
    return out


def _host_notes(host_from: pa.ChunkedArray) -> list[str]:
    """Say where status records without ``hostIdentifier`` got their host."""
    found = pc.unique(host_from.combine_chunks()).drop_null().to_pylist()
    return [
        f"status records without hostIdentifier: their host is taken from {where}"
        for where in sorted(found)
    ]


def event_rows(flat: pa.Table, shape: pa.Array) -> pa.Table:
    """The event and snapshot_row lines of ``flat`` as record parts (one row each).

    A projection of what the parse already read: no second query, and no copy of the
    ``columns`` text when every line of the chunk is an event (the common case)."""
    is_event = pc.is_in(shape, pa.array(["event", "snapshot_row"]))
    rows = flat if pc.all(is_event).as_py() else flat.filter(pc.fill_null(is_event, False))
    fmt = rows.column("shape")
    snapshot_row = pc.fill_null(pc.equal(fmt, "snapshot_row"), False)
    action = rows.column("action")
    if pc.any(snapshot_row).as_py():
        action = pc.if_else(snapshot_row, pa.scalar("snapshot"), action)
    columns = {
        "line": rows.column("line"),
        "item": rows.column("item"),
        "part": pa.nulls(rows.num_rows, pa.int32()),
        "format": fmt,
        "host": rows.column("host"),
        "query": rows.column("name"),
        "action": action,
        **{name: rows.column(name) for name in parse_sql.EVENT_FIELDS},
        "row": rows.column("columns"),
    }
    return pa.table(columns)


def _envelope_items(
    con: duckdb.DuckDBPyConnection, items: pa.Table, source: str, glog: GlogOptions
) -> Built:
    """TLS envelopes carry result or status records in ``data``: parse them like lines."""
    out = Built()
    if not items.num_rows:
        return out
    table = pa.table(
        {
            "line": items.column("line"),
            "item": items.column("item"),
            "text": items.column("text").cast(pa.large_string()),
            "ok": pa.array(np.ones(items.num_rows, dtype=bool)),
        }
    )
    flat = parse(con, table)
    shape = flat.column("shape")
    nested = pc.sum(pc.cast(pc.equal(shape, "envelope"), pa.int64())).as_py() or 0
    unknown = pc.sum(pc.cast(pc.equal(shape, "unknown"), pa.int64())).as_py() or 0
    if nested:
        what = "item was an envelope itself" if nested == 1 else "items were envelopes themselves"
        out.notes.append(_skipped_note(nested, what, _envelope_lines(flat, "envelope")))
        flat = flat.filter(pc.fill_null(pc.not_equal(shape, "envelope"), True))
    if unknown:
        what = (
            "item was not an osquery record" if unknown == 1 else "items were not osquery records"
        )
        out.notes.append(_skipped_note(unknown, what, _envelope_lines(flat, "unknown")))
    inner = build(con, flat, source, glog)
    inner.shapes = {f"envelope:{k}": v for k, v in inner.shapes.items()}
    out.merge(inner)
    return out


def _us_to_timestamp(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.cast(values, pa.int64()).cast(TIMESTAMP)


def _dict(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    return pc.dictionary_encode(arr.cast(pa.string()))


def _constant_source(n: int, source: str) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, dtype=np.int32)), pa.array([source]))


def records_from(part: pa.Table, source: str) -> pa.Table:
    """Canonical ``RECORDS`` rows from the output of EVENTS/BATCH/SNAPSHOT."""
    n = part.num_rows
    columns = {
        "source": _constant_source(n, source),
        "line": part.column("line"),
        "item": part.column("item"),
        "part": part.column("part"),
        "key": pa.nulls(n, pa.string()),
        "format": _dict(part.column("format")),
        "host": _dict(part.column("host")),
        "query": _dict(part.column("query")),
        "subscriber": pa.nulls(n, RECORDS.field("subscriber").type),
        "publisher": pa.nulls(n, RECORDS.field("publisher").type),
        "action": _dict(part.column("action")),
        "log_time": _us_to_timestamp(part.column("log_us")),
        "event_time": _us_to_timestamp(part.column("event_us")),
        "counter": part.column("counter"),
        "epoch": part.column("epoch"),
        "numerics": part.column("numerics"),
        "eid": part.column("eid").cast(pa.string()),
        "decorations": _dict(part.column("decorations")),
        "columns": part.column("row").cast(pa.string()),
    }
    return pa.table(columns).cast(RECORDS)


def empty_runs_from(part: pa.Table, source: str) -> pa.Table:
    """``EMPTY_RUNS`` rows from the output of parse_sql.EMPTY_RUNS."""
    return pa.table(
        {
            "source": pa.array([source] * part.num_rows, pa.string()),
            "line": part.column("line"),
            "item": part.column("item"),
            "format": part.column("format"),
            "host": part.column("host"),
            "query": part.column("query"),
            "log_time": _us_to_timestamp(part.column("log_us")),
            "counter": part.column("counter"),
            "epoch": part.column("epoch"),
        }
    ).cast(EMPTY_RUNS)


def status_from(part: pa.Table, source: str) -> pa.Table:
    """Canonical ``STATUS`` rows from the output of parse_sql.STATUS (markers added later)."""
    n = part.num_rows
    columns = {
        "source": _constant_source(n, source),
        "line": part.column("line"),
        "item": part.column("item"),
        "format": _dict(part.column("format")),
        "host": _dict(part.column("host")),
        "severity": _dict(part.column("severity")),
        "log_time": _us_to_timestamp(part.column("log_us")),
        "clock": pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array(["utc"])
        ),
        "local_time": pa.nulls(n, pa.timestamp("us")),
        "thread": pa.nulls(n, pa.int64()),
        "file": part.column("file").cast(pa.string()),
        "src_line": part.column("src_line"),
        "message": pc.fill_null(part.column("message").cast(pa.string()), ""),
        "marker": pa.nulls(n, STATUS.field("marker").type),
        "subject": pa.nulls(n, pa.string()),
        "version": part.column("version").cast(pa.string()),
    }
    return pa.table(columns).cast(STATUS)


def _skipped_note(count: int, what: str, where: str) -> str:
    return f"{count:,} envelope {what} and {'was' if count == 1 else 'were'} skipped ({where})"


def _envelope_lines(flat: pa.Table, shape: str, shown: int = 5) -> str:
    """The lines of the envelopes holding items of ``shape``: "line 3", "lines 3, 7, … (12)"."""
    mask = pc.fill_null(pc.equal(flat.column("shape"), shape), False)
    lines = pc.unique(flat.column("line").filter(mask)).to_pylist()
    if len(lines) == 1:
        return f"line {lines[0]:,}"
    listed = ", ".join(f"{n:,}" for n in lines[:shown])
    return f"lines {listed}" + (f", … ({len(lines):,} lines)" if len(lines) > shown else "")
