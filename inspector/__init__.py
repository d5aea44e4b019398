"""osquery Event Inspector: the Qt-free core.

Everything here reads what an osquery agent leaves on disk into Arrow tables and analyses them.
It never imports PySide6, pyqtgraph or the ``ui`` package (a test enforces this).

For notebooks (see ``inspector.api``)::

    import inspector
    run = inspector.open("/path/to/bundle")
    run.findings.to_pandas()
    inspector.compare(before, after)

``import inspector`` loads neither the readers nor the cache: ``open`` and ``compare`` import
what they need on first use.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

__version__ = "0.1.0"

if TYPE_CHECKING:
    import pyarrow as pa

    from inspector.api import Run
    from inspector.model import Workspace


def open(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    tz: str | None = None,
    year: int | None = None,
    *,
    bucket_seconds: int = 60,
    cache: bool = True,
) -> Run:
    """Load files and folders (recursively) as the app does and return the ``Run``: its
    ``records``, ``status``, ``findings`` and ``rates(bucket)`` as Arrow tables.

    ``tz``: the agent's time zone for its glog/syslog lines (default: inferred from the run,
    else UTC); ``year``: for status lines that say none; ``cache``: use the read cache."""
    from inspector.api import open_run

    return open_run(paths, tz, year, bucket_seconds=bucket_seconds, cache=cache)


def compare(
    before: Run | Workspace,
    after: Run | Workspace,
    *,
    align: str = "start",
    align_after: str | None = None,
    bucket_seconds: int = 60,
) -> pa.Table:
    """The compare table of two runs: per host × subscriber (and × query) the rows, rates,
    duplication factors and bursts before and after, and the change word."""
    from inspector.api import compare as compare_runs

    return compare_runs(
        before, after, align=align, align_after=align_after, bucket_seconds=bucket_seconds
    )


__all__ = ["__version__", "compare", "open"]
