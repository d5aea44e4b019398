"""The ``db`` command's readable report (and its side-by-side of several databases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inspector.database.diff import differences
from inspector.database.indexes import RAM_FORMULAS
from inspector.database.report import DatabaseReport
from inspector.database.subscribers import RAM_INDEX_FORMULA

# One table row: its cells as text
Row = tuple[str, ...]


def report_text(report: DatabaseReport) -> str:
    """One database's anatomy as text tables."""
    out = [f"osquery.db {report.database}: {_bytes(report.database_bytes)} in live keys and values"]
    out += [f"  {n}" for n in report.notes]
    out += _families_section(report)
    out += _subscribers_section(report)
    out += _indexes_section(report)
    out += _ram_index_section(report)
    out += _duplicated_section(report)
    out += _key_order_section(report)
    return "\n".join(out)


def _families_section(report: DatabaseReport) -> list[str]:
    out = ["", "Column families (exact live keys; domain = the osquery domain it holds)"]
    rows: list[Row] = [("family", "domain", "keys", "key bytes", "value bytes", "share", "SST bytes",
             "est. keys", "tombstones", "files per level", "key length min/median/p99/max")]  # fmt: skip
    for r in report.column_families.to_pylist():
        p = report.properties.get(r["name"], {})
        levels = p.get("files_per_level") or []
        rows.append(
            (r["name"], r["domain"] or "—", f"{r['keys']:,}", _bytes(r["key_bytes"]),
             _bytes(r["value_bytes"]), _share(r["share"]), _maybe_bytes(r["sst_bytes"]),
             _count(r["estimated_keys"]), _count(r["tombstones"]),
             "/".join("?" if n is None else str(n) for n in levels) or "unreadable",
             "/".join(_count(r[f"key_length_{s}"]) for s in ("min", "median", "p99", "max")))
        )  # fmt: skip
    out += _table(rows)
    for name, props in report.properties.items():
        unreadable: list[str] = props.get("unreadable") or []
        if unreadable:
            out.append(f"  {name}: RocksDB did not report {', '.join(unreadable)}")
    return out


def _subscribers_section(report: DatabaseReport) -> list[str]:
    out = ["", "Buffered events per publisher → subscriber"]
    if report.events_family:
        out[-1] += f" (column family {report.events_family})"
    rows: list[Row] = [("publisher → subscriber", "events", "bytes", "oldest", "newest", "span", "events/h",
             "expiry", "span ÷ expiry", "expiry keeps up")]  # fmt: skip
    for r in report.subscribers.to_pylist():
        keeps = {True: "yes", False: "NO", None: "—"}[r["expiry_keeps_up"]]
        rows.append(
            (f"{r['publisher']} → {r['subscriber']}", f"{r['events']:,}", _bytes(r["bytes"]),
             _time(r["oldest"]), _time(r["newest"]), _duration(r["span_seconds"]),
             _number(r["events_per_hour"], 0), _duration(r["expiry_seconds"]),
             _number(r["span_over_expiry"], 2), keeps)
        )  # fmt: skip
    return out + (_table(rows) if len(rows) > 1 else ["  (none)"])


def _indexes_section(report: DatabaseReport) -> list[str]:
    out = ["", "Index-like keys (RAM: what holding their entries in memory would take)"]
    out += [f"  {kind}: {formula}" for kind, formula in RAM_FORMULAS.items()]
    rows: list[Row] = [("family", "keys", "entries", "bytes", "share", "dangling", "missing", "repeated",
             "time mismatch", "RAM")]  # fmt: skip
    for r in report.indexes.to_pylist():
        rows.append(
            (r["family"], f"{r['keys']:,}", f"{r['entries']:,}", _bytes(r["bytes"]),
             _share(r["share"]), _count(r["dangling"]), _count(r["missing"]),
             _count(r["repeated"]), _count(r["time_mismatch"]), _bytes(r["ram_bytes"]))
        )  # fmt: skip
    return out + (
        _table(rows) if len(rows) > 1 else ["  (none: osquery 4.7+ keeps its event index in RAM)"]
    )


def _ram_index_section(report: DatabaseReport) -> list[str]:
    out = ["", f"osquery 4.7+ in-RAM time index per subscriber ({RAM_INDEX_FORMULA})"]
    rows: list[Row] = [("publisher → subscriber", "distinct seconds", "estimated RAM")]
    for r in report.subscribers.to_pylist():
        rows.append((f"{r['publisher']} → {r['subscriber']}", f"{r['distinct_times']:,}",
                     _bytes(r["ram_index_bytes"])))  # fmt: skip
    return out + (_table(rows) if len(rows) > 1 else ["  (none)"])


def _duplicated_section(report: DatabaseReport) -> list[str]:
    out = ["", "Duplicated content (same columns without eid, under different eids)"]
    rows: list[Row] = [
        ("publisher → subscriber", "rows", "distinct", "extra rows", "factor", "repeated from – to")
    ]
    for r in report.duplicated.to_pylist():
        when = (
            f"{_time(r['first_repeat'])} – {_time(r['last_repeat'])}" if r["first_repeat"] else "—"
        )
        rows.append((f"{r['publisher']} → {r['subscriber']}", f"{r['rows']:,}", f"{r['distinct']:,}",
                     f"{r['extra_rows']:,}", f"×{r['factor']:.2f}", when))  # fmt: skip
    return out + (_table(rows) if len(rows) > 1 else ["  (none)"])


def _key_order_section(report: DatabaseReport) -> list[str]:
    out = ["", "Key order against time order per subscriber (keys are eid order)"]
    rows: list[Row] = [("publisher → subscriber", "adjacent decreasing", "inversions", "Kendall distance",
             "late events", "max lag")]  # fmt: skip
    for r in report.subscribers.to_pylist():
        rows.append((f"{r['publisher']} → {r['subscriber']}", _share(r["adjacent_decreasing"]),
                     _count(r["inversions"]), _number(r["inversion_fraction"], 6),
                     _count(r["late_events"]), _duration(r["max_lag_seconds"])))  # fmt: skip
    return out + (_table(rows) if len(rows) > 1 else ["  (none)"])


def side_by_side_text(reports: list[DatabaseReport]) -> str:
    """Each database's report, then the figures that differ between the first and the last."""
    parts = [report_text(r) for r in reports]
    changed = [d for d in differences(reports) if d["status"] != "same"]
    lines = ["Differences (first → last: " + " → ".join(r.database for r in reports) + ")"]
    rows: list[Row] = [("section", "name", "figure", "values", "change")]
    for d in changed:
        values = " → ".join(_value(v) for v in d["values"])
        change = "" if d["change"] is None else _value(d["change"], signed=True)
        rows.append((d["section"], d["name"], d["metric"], values, change or d["status"]))
    lines += _table(rows) if len(rows) > 1 else ["  none: every figure is the same"]
    return "\n\n".join([*parts, "\n".join(lines)])


def _table(rows: list[Row]) -> list[str]:
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]  # fmt: skip


def _bytes(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _maybe_bytes(n: int | None) -> str:
    return "unreadable" if n is None else _bytes(n)


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _share(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def _number(x: float | None, digits: int) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def _time(t: dt.datetime | None) -> str:
    return "—" if t is None else t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    h, rest = divmod(int(seconds), 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


def _value(v: Any, signed: bool = False) -> str:
    if v is None:
        return "—"
    if isinstance(v, dt.datetime):
        return _time(v)
    if isinstance(v, float):
        return f"{v:+,.4g}" if signed else f"{v:,.4g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:+,}" if signed else f"{v:,}"
    return str(v)
