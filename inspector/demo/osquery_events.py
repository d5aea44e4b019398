"""``osquery_events`` snapshots: subscription counts that grow with each doubled subscription."""

from __future__ import annotations

from typing import Any

import numpy as np

from inspector.demo.events import StreamRows
from inspector.demo.scenarios import Scenario
from inspector.demo.schedule import Timeline

# Subscriptions a subscriber makes when configured once (openbsm's process_events subscribes to
# eight audit event classes; the osquery docs' example shows openbsm 9 = 8 + 1).
BASE_SUBSCRIPTIONS = {("openbsm", "process_events"): 8}


def snapshot_rows(
    scenario: Scenario, timeline: Timeline, streams: list[StreamRows], at: int
) -> list[dict[str, Any]]:
    """The ``osquery_events`` result set at time ``at``: publishers first, then subscribers."""
    resets = [t for t in (*timeline.restarts, *timeline.db_wipes) if t <= at]
    since = max([timeline.start, *resets])
    publishers: dict[str, list[int]] = {}
    subscribers = []
    for sr in streams:
        base = BASE_SUBSCRIPTIONS.get((sr.publisher, sr.stream.table), 1)
        factor = int(timeline.factor(np.array([at]))[0]) if sr.stream.doubles else 1
        delivered = int(np.count_nonzero((sr.time > since) & (sr.time <= at)))
        subs = base * factor
        entry = publishers.setdefault(sr.publisher, [0, 0])
        entry[0] += subs
        entry[1] += delivered
        subscribers.append({"name": sr.stream.table, "publisher": sr.publisher, "type": "subscriber",
                            "subscriptions": str(subs), "events": str(delivered), "refreshes": "0",
                            "active": "1"})  # fmt: skip
    rows = [
        {"name": p, "publisher": p, "type": "publisher", "subscriptions": str(subs), "events": str(events),
         "refreshes": str(at - since), "active": "1"}
        for p, (subs, events) in sorted(publishers.items())
    ]  # fmt: skip
    return rows + subscribers
