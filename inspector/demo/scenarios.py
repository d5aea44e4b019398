"""The demo scenarios: which host, which queries, and what happens when.

Times of config changes, restarts, epoch changes and database wipes are fractions of the run's
duration, so every ``--hours`` keeps the same story.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from inspector.catalog.event_tables import event_tables


@dataclass(frozen=True)
class Stream:
    """An event subscriber read by one scheduled query."""

    query: str
    table: str
    share: float  # share of the run's events
    select_eid: bool = False  # the query selects the hidden eid column
    doubles: bool = False  # subscribes in configure(): each config change adds a subscription
    twins: float = 0.0  # share of legitimately identical events (a file written twice a second)


@dataclass(frozen=True)
class Differential:
    """A non-event scheduled query: full state on its first run, then added/removed changes."""

    query: str
    table: str
    rows: int  # size of the state
    churn_per_hour: int  # rows replaced per hour


@dataclass(frozen=True)
class Scenario:
    """One demo run."""

    name: str
    host: str
    platform: str
    description: str
    streams: tuple[Stream, ...]
    differentials: tuple[Differential, ...] = ()
    event_format: bool = True  # False: batch format (diffResults), one line per query run
    numerics: bool = False
    config_changes: tuple[float, ...] = ()
    restarts: tuple[float, ...] = ()  # watchdog worker restarts
    epoch_changes: tuple[float, ...] = ()
    db_wipes: tuple[float, ...] = ()  # corrupt database moved away: a fresh one, counters reset
    unused_publishers: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (type, reason)
    interval: int = 60
    decorations: bool = True
    decorations_top_level: bool = False

    def publisher(self, table: str) -> str:
        return event_tables()[table].publishers[self.platform]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="openbsm-double",
            host="mbp-demo-01",
            platform="darwin",
            description=(
                "macOS: openbsm subscribers (process_events, socket_events) add one identical "
                "subscription at each config change (until a watchdog restart resets them); fsevents "
                "and EndpointSecurity stay healthy"
            ),
            streams=(
                Stream(
                    "pack_audit_process_events",
                    "process_events",
                    0.42,
                    select_eid=True,
                    doubles=True,
                ),
                Stream(
                    "pack_audit_socket_events", "socket_events", 0.22, select_eid=True, doubles=True
                ),
                Stream("pack_fim_file_events", "file_events", 0.2, twins=0.01),
                Stream(
                    "pack_endpoint_es_process_events", "es_process_events", 0.16, select_eid=True
                ),
            ),
            differentials=(Differential("listening_ports", "listening_ports", 40, 6),),
            # Doubled, tripled, reset by the watchdog, doubled again: the database at the end
            # still buffers doubled events.
            config_changes=(0.25, 0.5, 0.85),
            restarts=(0.75,),
            unused_publishers=(("event_tapping", "Publisher disabled via configuration"),),
        ),
        Scenario(
            name="linux-control",
            host="web-demo-01",
            platform="linux",
            description=(
                "Linux: audit and inotify subscribers, a config change and a watchdog restart, "
                "no duplication; batch format with numerics on"
            ),
            streams=(
                Stream("pack_audit_process_events", "process_events", 0.5, select_eid=True),
                Stream("pack_audit_socket_events", "socket_events", 0.3, select_eid=True),
                Stream("pack_fim_file_events", "file_events", 0.2, twins=0.01),
            ),
            differentials=(Differential("listening_ports", "listening_ports", 30, 4),),
            event_format=False,
            numerics=True,
            decorations_top_level=True,
            config_changes=(0.4,),
            restarts=(0.7,),
            unused_publishers=(("syslog", "Publisher disabled via configuration"),),
        ),
        Scenario(
            name="rebaseline",
            host="db-demo-01",
            platform="linux",
            description=(
                "Linux: an epoch change and a wiped database make differential queries re-log "
                "their full state with counter 0 — a re-baseline, not duplication"
            ),
            streams=(
                Stream("pack_audit_process_events", "process_events", 0.6, select_eid=True),
                Stream("pack_fim_file_events", "file_events", 0.4, twins=0.01),
            ),
            differentials=(
                Differential("listening_ports", "listening_ports", 40, 5),
                Differential("users", "users", 25, 1),
            ),
            epoch_changes=(0.35,),
            db_wipes=(0.7,),
            decorations=False,
            unused_publishers=(("syslog", "Publisher disabled via configuration"),),
        ),
    )
}
DEFAULT_SCENARIO = "openbsm-double"
