"""``osquery-inspector compare BEFORE AFTER [--json] [--out FILE.parquet]``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.compare import Alignment, Comparison, compare_runs
from inspector.analysis.run_summary import parse_anchor
from inspector.cli.options import add_cache_option, add_time_options, read_cache
from inspector.cli.progress_line import stderr_progress
from inspector.cli.summary import json_default
from inspector.export import write_parquet
from inspector.loading.pipeline import load
from inspector.model import LoadOptions, Workspace
from inspector.output_paths import output_problem, write_error
from inspector.progress import Progress
from inspector.views.overview import plural


def _anchor(text: str) -> str:
    try:
        parse_anchor(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "compare",
        help="compare two runs (before/after) per host × subscriber and per query",
        description=(
            "Load two runs and set their lanes side by side: rows, rate per hour, duplication "
            "factor and bursts before and after, the change, and the first divergence."
        ),
    )
    p.add_argument("before", metavar="BEFORE", help="file or directory of the run before")
    p.add_argument("after", metavar="AFTER", help="file or directory of the run after")
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument("--out", metavar="FILE.parquet", help="write one row per pair to Parquet")
    p.add_argument(
        "--align",
        type=_anchor,
        default="start",
        metavar="start|MARKER[:N]",
        help="relative time 0 in both runs: agent start (default) or the N-th marker of a kind, "
        "e.g. config_change or config_change:2",
    )
    p.add_argument(
        "--align-after",
        type=_anchor,
        metavar="start|MARKER[:N]",
        help="a different alignment point for the run after (default: as --align)",
    )
    p.add_argument("--bucket", type=int, default=60, metavar="SECONDS", help="bucket size (60)")
    add_time_options(p)
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    add_cache_option(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.bucket <= 86400:
        print(
            "osquery-inspector compare: --bucket must be between 1 and 86400 seconds",
            file=sys.stderr,
        )
        return 2
    if args.out is not None and (problem := output_problem(args.out)) is not None:
        print(f"osquery-inspector compare: --out: {problem}", file=sys.stderr)
        return 2
    progress = None if args.quiet or not sys.stderr.isatty() else Progress(stderr_progress)
    options = LoadOptions(tz=args.tz, year=args.year)
    runs = {
        "before": load([args.before], options, progress, read_cache(args)),
        "after": load([args.after], options, progress, read_cache(args)),
    }
    if progress is not None:
        print(file=sys.stderr)
    for role, ws in runs.items():
        if not ws.loaded_sources:
            path = getattr(args, role)
            print(
                f"osquery-inspector compare: nothing readable in {role} run {path}", file=sys.stderr
            )
            return 2
    alignment = Alignment(args.align, args.align_after or args.align)
    try:
        result = compare_runs(
            runs["before"], runs["after"], BurstOptions(bucket_seconds=args.bucket), alignment
        )
    except ValueError as exc:
        print(f"osquery-inspector compare: {exc}", file=sys.stderr)
        return 2
    parameters = {
        "tz": args.tz, "year": args.year, "bucket_seconds": args.bucket,
        "align_before": alignment.before, "align_after": alignment.after,
    }  # fmt: skip
    if args.out:
        try:
            write_parquet(result.table, args.out, runs, parameters)
        except OSError as exc:
            print(f"osquery-inspector compare: {write_error(args.out, exc)}", file=sys.stderr)
            return 2
    if args.json:
        json.dump(comparison_json(result, runs), sys.stdout, indent=2, default=json_default)
        print()
    else:
        print(comparison_text(result, runs))
    return 0


def comparison_json(result: Comparison, runs: dict[str, Workspace]) -> dict[str, Any]:
    """The ``compare --json`` document."""
    return {
        "before": _run_json(runs["before"], result.anchors_before, result.alignment.before),
        "after": _run_json(runs["after"], result.anchors_after, result.alignment.after),
        "bucket_seconds": result.bucket_seconds,
        "pairs": result.table.to_pylist(),
        "first_divergence": result.first_divergence,
    }


def _run_json(ws: Workspace, anchors: dict[str, Any], align: str) -> dict[str, Any]:
    return {
        "sources": [{"path": s.path, "kind": s.kind, "status": s.status} for s in ws.sources],
        "records": ws.records.num_rows,
        "align": align,
        "anchors": [{"host": h or None, "at": at} for h, at in anchors.items()],
    }


def comparison_text(result: Comparison, runs: dict[str, Workspace]) -> str:
    """A human reading of the comparison: what rose, what appeared or vanished, the pair table."""
    rows = result.table.to_pylist()
    out = [*_runs_section(result, runs), ""]
    empty = [role for role in ("before", "after") if not runs[role].records.num_rows]
    if empty:
        out.append(f"Warning: the run {' and '.join(empty)} holds no records to compare.")
    out += _changes_section(result, rows)
    out += _divergence_section(result)
    out += ["", *_pair_table(result, rows)]
    return "\n".join(out)


def _runs_section(result: Comparison, runs: dict[str, Workspace]) -> list[str]:
    out = []
    for role, anchors, align in (
        ("before", result.anchors_before, result.alignment.before),
        ("after", result.anchors_after, result.alignment.after),
    ):
        ws = runs[role]
        zero = ", ".join(f"{h or '(no host)'} {json_default(at)}" for h, at in anchors.items())
        out.append(
            f"{role:<6} {plural(ws.records.num_rows, 'record')} from "
            f"{plural(len(ws.loaded_sources), 'source')}; time 0 = {align}: "
            f"{zero or '(no timed records)'}"
        )
    return out


def _changes_section(result: Comparison, rows: list[dict[str, Any]]) -> list[str]:
    rose = [r for r in rows if r["change"] == "duplication"]
    out = ["Duplication rose:" if rose else "Duplication did not rise anywhere."]
    for r in rose:
        out.append(
            f"  {_lane(r, result.by_host)}: factor {_num(r['duplicate_factor_before'])} → "
            f"{_num(r['duplicate_factor_after'])}, bursts {r['bursts_before'] or 0} → "
            f"{r['bursts_after'] or 0}, extra rows {r['extra_rows_before'] or 0} → "
            f"{r['extra_rows_after'] or 0}"
        )
    for word, title in (
        ("appeared", "Appeared"),
        ("vanished", "Vanished"),
        ("source_missing", "Not comparable (the other run has no such source)"),
    ):
        names = [_lane(r, result.by_host) for r in rows if r["change"] == word]
        if names:
            out.append(f"{title}: " + ", ".join(names))
    return out


def _divergence_section(result: Comparison) -> list[str]:
    first = result.first_divergence
    if first:
        return [
            f"First divergence: {_lane(first, result.by_host)} at "
            f"{_duration(first['divergence_offset_s'])} "
            f"(before {json_default(first['divergence_before'])}, "
            f"after {json_default(first['divergence_after'])})"
        ]
    if result.overlap_s <= 0:
        return [
            "The runs cover no common stretch of relative time: nothing to set side by side "
            "(try another --align)."
        ]
    return [
        "The runs do not diverge beyond normal variation over the "
        f"{_duration(result.overlap_s).lstrip('+')} both cover."
    ]


def _pair_table(result: Comparison, rows: list[dict[str, Any]]) -> list[str]:
    header = ("lane", "source", "rows", "rate/h", "factor", "bursts", "change")
    table = [header] + [
        (
            _lane(r, result.by_host).removesuffix(" in osquery.db"), r["source"],
            f"{r['rows_before'] or 0} → {r['rows_after'] or 0}",
            f"{_num(r['rate_before'], 1)} → {_num(r['rate_after'], 1)}",
            f"{_num(r['duplicate_factor_before'])} → {_num(r['duplicate_factor_after'])}",
            f"{_num(r['bursts_before'], 0)} → {_num(r['bursts_after'], 0)}",
            r["change"],
        )
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in table
    ]


def _lane(r: dict[str, Any], by_host: bool) -> str:
    name = r["subscriber"] or r["query"] or "?"
    if r["subscriber"] and r["query"]:
        name = f"{r['subscriber']} ({r['query']})"
    if r["source"] == "osquery_db":
        name += " in osquery.db"
    return f"{r['host']}: {name}" if by_host and r["host"] else name


def _num(value: float | int | None, digits: int = 2) -> str:
    if value is None:
        return "–"
    return f"{value:.{digits}f}" if digits else str(int(value))


def _duration(seconds: float) -> str:
    """``+1h30m``, ``-2h30m``, ``+45s``: an offset from the alignment point."""
    sign = "-" if seconds < 0 else "+"
    s = int(abs(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return sign + (f"{h}h{m:02d}m" if h else (f"{m}m{sec:02d}s" if m else f"{sec}s"))
