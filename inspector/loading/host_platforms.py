"""Which platform (darwin, linux, windows) a host runs, inferred from evidence, with the reasons.

Evidence, strongest first: publishers named in its status log; event and platform-only tables
its queries read; what its rows contain (``uptime`` in audit tables, ``/Users/`` paths ...); the
``platform`` of its configured queries. The platform is left unknown when evidence is absent or
contradictory — never guessed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

import duckdb
import pyarrow as pa

from inspector.catalog.event_tables import event_tables, publisher_platforms
from inspector.loading.subscriber_mapping import host_query_pairs

# add(host, platform, kind, label, item): one piece of evidence for a host's platform
AddEvidence = Callable[[str, str, str, str, str], None]

PLATFORM_TABLES = {
    "darwin": (
        "launchd", "keychain_items", "keychain_acls", "package_receipts", "homebrew_packages",
        "alf", "alf_services", "alf_exceptions", "alf_explicit_auths", "gatekeeper", "sip_config",
        "xprotect_entries", "apps", "safari_extensions",
        "installed_applications", "preferences", "nvram", "kernel_extensions", "es_process_events",
    ),
    "linux": (
        "deb_packages", "rpm_packages", "apt_sources", "yum_sources", "selinux_settings",
        "iptables", "kernel_modules", "shadow", "systemd_units", "portage_packages", "apparmor_profiles",
    ),
    "windows": (
        "registry", "programs", "services", "chocolatey_packages", "bitlocker_info", "patches",
        "scheduled_tasks", "windows_events", "powershell_events", "wmi_cli_event_consumers",
        "windows_security_products", "ntfs_journal_events",
    ),
}  # fmt: skip

CONTENT_HINTS = {
    "darwin": (
        "/Users/",
        "/Applications/",
        "/System/Library/",
        "/private/var/",
        "/sbin/launchd",
        "/Library/",
    ),
    "linux": ("/home/", "/proc/", "/usr/lib/systemd/", "/lib/x86_64-linux-gnu/"),
    "windows": ("C:\\\\", "\\\\Windows\\\\", "HKEY_"),
}
WEIGHTS = {"status": 5.0, "tables": 3.0, "content": 2.0, "config": 1.0}
CONTENT_SAMPLE = 50_000


def infer_platforms(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    status: pa.Table,
    queries: pa.Table,
    query_tables: dict[str, list[str]],
) -> pa.Table:
    """A ``HOSTS`` table: each host seen, its platform (or null) and the evidence for it."""
    scores: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    # host -> platform -> (weight, label) -> items
    reasons: dict[str, dict[str, dict[tuple[float, str], set[str]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(set))
    )
    hosts = _hosts(con, records, status)
    single = hosts[0] if len(hosts) == 1 else None

    def add(host: str, platform: str, kind: str, label: str, item: str) -> None:
        """One piece of evidence: ``label: item`` (items of one label are listed together)."""
        items = reasons[host][platform][(WEIGHTS[kind], label)]
        if item not in items:
            scores[host][platform] += WEIGHTS[kind]
            items.add(item)

    _status_evidence(con, status, single, add)
    _table_evidence(con, records, query_tables, add)
    _content_evidence(con, records, add)
    _config_evidence(con, records, queries, add)

    rows = []
    for host in hosts:
        platform, evidence = _decide(scores.get(host, {}), reasons.get(host, {}))
        rows.append({"host": host, "platform": platform, "evidence": evidence})
    from inspector.schema import HOSTS

    return pa.Table.from_pylist(rows, schema=HOSTS)


def _hosts(con: duckdb.DuckDBPyConnection, records: pa.Table, status: pa.Table) -> list[str]:
    con.register("r", records.select(["host"]))
    con.register("s", status.select(["host"]))
    try:
        rows = con.sql(
            "SELECT DISTINCT CAST(host AS VARCHAR) h FROM (SELECT host FROM r UNION ALL SELECT host FROM s) "
            "WHERE host IS NOT NULL ORDER BY h"
        ).fetchall()
    finally:
        con.unregister("r")
        con.unregister("s")
    return [r[0] for r in rows]


def _status_evidence(
    con: duckdb.DuckDBPyConnection, status: pa.Table, single: str | None, add: AddEvidence
) -> None:
    if not status.num_rows:
        return
    con.register("s", status.select(["host", "marker", "subject"]))
    try:
        rows = con.sql(
            "SELECT DISTINCT CAST(host AS VARCHAR), CAST(marker AS VARCHAR), subject FROM s "
            "WHERE CAST(marker AS VARCHAR) IN ('publisher_started', 'publisher_disabled', 'publisher_stopped') "
            "AND subject IS NOT NULL"
        ).fetchall()
    finally:
        con.unregister("s")
    known = publisher_platforms()
    for host, marker, publisher in rows:
        target = host or single
        platforms = known.get(publisher)
        if target is None or not platforms or len(platforms) != 1:
            continue
        (platform,) = platforms
        state = {"publisher_started": "started", "publisher_disabled": "not enabled"}.get(
            marker, "stopped"
        )
        attributed = "" if host else " (status log without host name; the run's only host)"
        add(target, platform, "status", f"status log{attributed}", f"publisher {publisher} {state}")


def _table_evidence(
    con: duckdb.DuckDBPyConnection,
    records: pa.Table,
    query_tables: dict[str, list[str]],
    add: AddEvidence,
) -> None:
    if not records.num_rows:
        return
    pairs = host_query_pairs(con, records)
    only = {name: p for p, names in PLATFORM_TABLES.items() for name in names}
    for name, table in event_tables().items():
        if len(table.publishers) == 1:
            only.setdefault(name, next(iter(table.publishers)))
    for host, query in pairs:
        if host is None or query is None:
            continue
        tables = set(query_tables.get(query, []))
        for name in tables & set(only):
            add(host, only[name], "tables", "its configured queries read", name)
        if query in query_tables:
            continue  # the config's SQL says what it reads: the name adds nothing
        for name in _names_in(query.lower(), only):
            add(host, only[name], "tables", "query names mention", name)


def _names_in(text: str, names: dict[str, str]) -> list[str]:
    """Table names inside ``text`` at word bounds, dropping a match inside a longer one."""
    spans = []
    for name in names:
        for m in re.finditer(rf"(?<![a-z0-9]){re.escape(name)}(?![a-z0-9])", text):
            spans.append((m.start(), m.end(), name))
    return [
        name
        for start, end, name in spans
        if not any(s <= start and end <= e and (s, e) != (start, end) for s, e, _ in spans)
    ]


def _content_evidence(con: duckdb.DuckDBPyConnection, records: pa.Table, add: AddEvidence) -> None:
    if not records.num_rows:
        return
    hints = [
        (platform, needle) for platform, needles in CONTENT_HINTS.items() for needle in needles
    ]
    # One pass over the sample counts every needle (a query per needle read it 13 times).
    counts = ", ".join(
        f"count(*) FILTER (WHERE contains(columns, ${k + 1}))" for k in range(len(hints))
    )
    con.register("r", records.select(["host", "columns"]).slice(0, CONTENT_SAMPLE * 4))
    try:
        rows = con.sql(
            f"SELECT CAST(host AS VARCHAR), {counts} FROM r GROUP BY 1 ORDER BY 1",
            params=[needle for _, needle in hints],
        ).fetchall()
    finally:
        con.unregister("r")
    for (platform, needle), k in zip(hints, range(1, len(hints) + 1), strict=True):
        for row in rows:
            host, n = row[0], row[k]
            if host is not None and n:
                shown = needle.replace("\\\\", "\\")
                add(host, platform, "content", "rows contain", f"{shown!r} ({n:,})")


def _config_evidence(
    con: duckdb.DuckDBPyConnection, records: pa.Table, queries: pa.Table, add: AddEvidence
) -> None:
    if not queries.num_rows or not records.num_rows:
        return
    platforms = {
        q: p
        for q, p in zip(
            queries.column("query").to_pylist(), queries.column("platform").to_pylist(), strict=True
        )
        if p in ("darwin", "linux", "windows")
    }
    if not platforms:
        return
    pairs = host_query_pairs(con, records)
    for host, query in pairs:
        if host is not None and query in platforms:
            add(host, platforms[query], "config", f"configured for {platforms[query]} only", query)


def _decide(
    scores: dict[str, float], reasons: dict[str, dict[tuple[float, str], set[str]]]
) -> tuple[str | None, str]:
    if not scores:
        return None, "no evidence"
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    best, best_score = ranked[0]
    contrary = [p for p, s in ranked[1:] if s > 0]
    summary = _describe(reasons[best])
    if len(ranked) > 1 and ranked[1][1] >= best_score / 2:
        others = "; ".join(f"{p}: {_describe(reasons[p])}" for p in contrary)
        return None, f"contradictory evidence: {best}: {summary}; {others}"
    if contrary:
        summary += f" (weaker contrary evidence for {', '.join(contrary)})"
    return best, summary


def _describe(groups: dict[tuple[float, str], set[str]], shown: int = 5) -> str:
    """Strongest evidence first; the same input always gives the same text."""
    parts = []
    for (_, label), items in sorted(groups.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        listed = sorted(items)
        more = f" (+{len(listed) - shown} more)" if len(listed) > shown else ""
        parts.append(f"{label}: {', '.join(listed[:shown])}{more}")
    return "; ".join(parts)
