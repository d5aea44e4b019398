"""The demo host's osquery.conf: options, packs with the scheduled queries, FIM paths."""

from __future__ import annotations

import json
from typing import Any

from inspector.demo.differential import INTERVAL
from inspector.demo.scenarios import Scenario

DECORATIONS = {"darwin": {"host_uuid": "4AB2906D-5516-5794-AF54-86D1D7F533F3", "username": "alice"},
               "linux": {"host_uuid": "9F3C5E2A-1B7D-4C8E-A0F1-2D3E4F5A6B7C", "username": "root"}}  # fmt: skip
SNAPSHOT_QUERY = "pack_monitor_osquery_events"
SNAPSHOT_INTERVAL = 300


def config_text(scenario: Scenario, rotate_bytes: int, epoch: int = 0) -> str:
    """The osquery.conf the demo host ran with (pretty-printed, with a comment as osquery allows)."""
    packs: dict[str, dict[str, Any]] = {}
    for stream in scenario.streams:
        pack, name = stream.query.removeprefix("pack_").split("_", 1)
        select = "SELECT *, eid" if stream.select_eid else "SELECT *"
        packs.setdefault(pack, {"queries": {}})["queries"][name] = {
            "query": f"{select} FROM {stream.table};",
            "interval": scenario.interval,
            "removed": False,
        }
    schedule: dict[str, dict[str, Any]] = {}
    for diff in scenario.differentials:
        spec = {"query": f"SELECT * FROM {diff.table};", "interval": INTERVAL}
        if diff.query.startswith("pack_"):
            pack, name = diff.query.removeprefix("pack_").split("_", 1)
            packs.setdefault(pack, {"queries": {}})["queries"][name] = spec
        else:
            schedule[diff.query] = spec  # plain schedule entries keep their own name
    packs["osquery-monitoring"] = {
        "queries": {"osquery_info": {"query": "SELECT * FROM osquery_info;", "interval": 600}}
    }
    packs["monitor"] = {
        "queries": {"osquery_events": {"query": "SELECT * FROM osquery_events;", "interval": SNAPSHOT_INTERVAL,
                                       "snapshot": True}}
    }  # fmt: skip
    options = {
        "config_refresh": 300,
        "events_expiry": 3600,
        "logger_rotate": True,
        "logger_rotate_size": rotate_bytes,
        "logger_rotate_max_files": 1000,
        "logger_event_type": scenario.event_format,
        "logger_numerics": scenario.numerics,
        "decorations_top_level": scenario.decorations_top_level,
        "schedule_epoch": epoch,  # the config as it was at the end of the run
        "verbose": True,  # the status log has the lifecycle lines osquery logs only when verbose
    }
    config: dict[str, Any] = {"options": options}
    if scenario.decorations:
        config["decorators"] = {
            "load": [
                "SELECT uuid AS host_uuid FROM system_info;",
                "SELECT user AS username FROM logged_in_users ORDER BY time DESC LIMIT 1;",
            ]
        }
    config["schedule"] = schedule
    config["packs"] = packs
    config["file_paths"] = {
        "documents": ["/Users/%/Documents/%%"] if scenario.platform == "darwin" else ["/etc/%%"]
    }
    return (
        "# osquery configuration of the demo host "
        + scenario.host
        + "\n"
        + json.dumps(config, indent=2)
        + "\n"
    )
