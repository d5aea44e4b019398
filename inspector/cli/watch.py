"""``osquery-inspector watch PATH... [--json] [--fail-on-findings] [--for S] [--bucket S] [--tz Z]``:
follow a running agent's logs and database and report duplicated delivery as it happens.

A contract (product.md): with ``--json`` stdout carries one JSON object per line, each flushed
as written — ``finding`` (the findings columns plus ``provisional`` and ``id``),
``finding_update``, ``progress`` at least every 2 s (every second here, idle included), ``note``
(the database-flush caveat, files that are not followed) and a last ``summary``. Exit 0; 1 with
``--fail-on-findings`` when a finding was reported; 2 on usage errors.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any, TextIO

from inspector.analysis.burst_rules import BurstOptions
from inspector.cli.options import add_time_options
from inspector.cli.summary import json_default
from inspector.live.follow_loop import Event, FollowLoop
from inspector.live.followed_inputs import UsageError, check_paths
from inspector.live.live_run import LiveRun
from inspector.model import LoadOptions


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "watch",
        help="follow a running agent's logs and database; report duplicated delivery live",
        description="Follow files, rotated sets, folders and osquery.db folders as they grow "
        "(like tail -F, osquery-aware) and report duplicate bursts as they happen.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or osquery.db folders")
    p.add_argument("--json", action="store_true", help="one JSON object per line on stdout")
    p.add_argument(
        "--fail-on-findings", action="store_true", help="exit 1 when a finding was reported"
    )
    p.add_argument(
        "--for", dest="for_seconds", type=float, metavar="SECONDS",
        help="stop after this many seconds (default: until interrupted)",
    )  # fmt: skip
    p.add_argument(
        "--bucket", type=int, default=60, metavar="SECONDS", help="bucket size for duplication (60)"
    )
    add_time_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.bucket <= 86400:
        print(
            "osquery-inspector watch: --bucket must be between 1 and 86400 seconds", file=sys.stderr
        )
        return 2
    if args.for_seconds is not None and args.for_seconds < 0:
        print("osquery-inspector watch: --for must not be negative", file=sys.stderr)
        return 2
    try:
        check_paths(args.paths)
    except UsageError as exc:
        print(f"osquery-inspector watch: {exc}", file=sys.stderr)
        return 2
    live = LiveRun(
        args.paths,
        LoadOptions(tz=args.tz, year=args.year),
        BurstOptions(bucket_seconds=args.bucket),
        lateness_seconds=max(90, 2 * args.bucket),
    )
    printer = JsonPrinter(sys.stdout) if args.json else TextPrinter(sys.stdout, sys.stderr)
    loop = FollowLoop(live, printer.write)
    _stop_on_signals(loop)
    try:
        loop.follow(args.for_seconds)
    finally:
        live.close()
    return 1 if args.fail_on_findings and loop.tracker.count else 0


def _stop_on_signals(loop: FollowLoop) -> None:
    """Ctrl+C or SIGTERM end the follow with its summary (exit 0), not a traceback."""
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(_signum: int, _frame: object) -> None:
        loop.stop.set()
        if loop.signal is not None:
            loop.signal.poke()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


class JsonPrinter:
    """One JSON object per line, flushed at once (scripts read the stream as it comes)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def write(self, event: Event) -> None:
        self.out.write(json.dumps(event, default=json_default) + "\n")
        self.out.flush()


class TextPrinter:
    """The same events as readable lines; notes on stderr."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err

    def write(self, event: Event) -> None:
        kind = event["event"]
        if kind == "note":
            self.err.write(f"note: {event['message']}\n")
            self.err.flush()
            return
        self.out.write(_text(event) + "\n")
        self.out.flush()


def _when(value: Any) -> str:
    return str(json_default(value)) if value is not None else "—"


def _text(e: Event) -> str:
    kind = e["event"]
    if kind == "progress":
        line = (
            f"{e['lines']:,} lines, {e['records']:,} records, {e['rejected']:,} rejected, "
            f"lag {e['lag_seconds']:.1f} s"
        )
        if "database_flushed_at" in e:
            line += f", osquery.db last flushed {_when(e['database_flushed_at'])}"
        return line
    if kind == "summary":
        return (
            f"done: {e['lines']:,} lines, {e['records']:,} records, {e['rejected']:,} rejected, "
            f"{e['findings']:,} findings"
        )
    what = e.get("subscriber") or e.get("query") or "?"
    state = " (provisional)" if e.get("provisional") else ""
    if e.get("withdrawn"):
        return f"finding #{e['id']} withdrawn: {what} on {e.get('host')}"
    verb = "finding" if kind == "finding" else "update"
    text = (
        f"{verb} #{e['id']}: duplicate burst in {what} on {e.get('host')} "
        f"×{e['duplicate_factor']:.2f}, {e['extra_rows']:,} extra rows, "
        f"{_when(e['start'])} – {_when(e['end'])}{state}"
    )
    if e.get("config_change_at") is not None:
        text += f", after a change at {_when(e['config_change_at'])}"
    return text
