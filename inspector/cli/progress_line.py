"""Progress of a headless command on one rewritten stderr line."""

from __future__ import annotations

import sys


def stderr_progress(fraction: float, message: str) -> None:
    """Show ``fraction`` done and what is being done, overwriting the previous report."""
    print(f"\r{fraction * 100:5.1f}%  {message[-70:]:<70}", end="", file=sys.stderr, flush=True)
