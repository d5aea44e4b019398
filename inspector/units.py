"""Sizes as people write them on the command line."""

from __future__ import annotations

import re


def parse_size(text: str) -> int:
    """``"1GB"``, ``"500MB"``, ``"20M"``, ``"4096"`` → bytes (powers of 1000, as disks count)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*", text)
    if m is None:
        raise ValueError(f"not a size: {text!r} (try 50MB or 1GB)")
    factor = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}[m.group(2).lower()]
    return int(float(m.group(1)) * factor)
