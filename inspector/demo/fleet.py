"""A demo fleet: many demo hosts, some of them hit by the duplication bug after a config change.

Every host is a demo run of its own (``write_run`` with its own seed and name) in its own
folder: macOS hosts run the ``openbsm-double`` scenario (duplication after config changes),
Linux hosts the healthy ``linux-control`` one. For tests and benchmarks of ``fleet``.
"""

from __future__ import annotations

import os

from inspector.demo.writer import write_run


def write_fleet(
    root: str,
    hosts: int = 4,
    size: int = 1_000_000,
    hours: float = 2.0,
    seed: int = 1,
    mac_share: float = 0.5,
) -> list[str]:
    """Write ``hosts`` demo hosts under ``root``; return their host folders."""
    folders = []
    macs = round(hosts * mac_share)
    for i in range(hosts):
        mac = i < macs
        name = f"mac-{i:03d}" if mac else f"web-{i:03d}"
        out = os.path.join(root, f"h{i:03d}")
        scenario = "openbsm-double" if mac else "linux-control"
        write_run(out, scenario, seed=seed + i, hours=hours, size=size, host=name)
        folders.append(os.path.join(out, name))
    return folders
