"""What other reads found out about hosts, for a read that lacks the evidence itself.

A log pipeline files a host's lines by hour: the status lines that name its publishers, or the
rows that tell its platform, may sit in another batch of objects, or in an earlier ingest, than
its later events. Read alone, such a batch could not tell ``file_events`` from inotify or
fsevents, and its rows would form a lane of their own (publisher unknown) beside the host's
real one. ``HostKnowledge`` carries each host's platform and the publishers its status log
named from the reads that had them; a read uses it only where its own evidence is silent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class HostKnowledge:
    """Per host: its platform and the publishers it was seen with, as other reads found them."""

    platforms: dict[str, str] = field(default_factory=dict)
    publishers: dict[str, frozenset[str]] = field(default_factory=dict)

    def merged(self, hosts: pa.Table | None, mapping: pa.Table | None) -> HostKnowledge:
        """This knowledge with what a read found (its ``HOSTS`` and ``MAPPING`` tables); a
        platform found later replaces an earlier one (the latest read knows best)."""
        platforms = dict(self.platforms)
        if hosts is not None and hosts.num_rows:
            for host, platform in zip(
                hosts.column("host").to_pylist(), hosts.column("platform").to_pylist(), strict=True
            ):
                if host and platform:
                    platforms[host] = platform
        publishers = dict(self.publishers)
        if mapping is not None and mapping.num_rows:
            for host, publisher in zip(
                mapping.column("host").to_pylist(),
                mapping.column("publisher").to_pylist(),
                strict=True,
            ):
                if host and publisher:
                    publishers[host] = publishers.get(host, frozenset()) | {publisher}
        return HostKnowledge(platforms, publishers)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able form (unit specs cross to Spark's tasks as JSON)."""
        return {
            "platforms": self.platforms,
            "publishers": {h: sorted(p) for h, p in self.publishers.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> HostKnowledge:
        """The knowledge ``to_json`` wrote (empty for None)."""
        if not data:
            return cls()
        return cls(
            dict(data.get("platforms", {})),
            {h: frozenset(p) for h, p in data.get("publishers", {}).items()},
        )
