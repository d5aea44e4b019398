"""The notebook API: open a run, read its tables as Arrow, compare two runs.

    import inspector
    run = inspector.open(["/var/log/osquery", "/var/osquery/osquery.db"], tz="Europe/Berlin")
    run.records.to_pandas()            # one row per record, with source file and line
    run.findings                       # duplicate bursts, re-baselines, doubled subscriptions
    run.rates(bucket=300)              # events per 5 minutes per host × publisher → subscriber
    inspector.compare(before, after)   # what changed, per host × subscriber (and × query)

Every table is a ``pyarrow.Table`` (``.to_pandas()`` for pandas). The loading pipeline is
imported on the first call, so ``import inspector`` stays light.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import pyarrow as pa

from inspector.analysis.burst_rules import BurstOptions
from inspector.analysis.compare import Alignment, compare_runs
from inspector.analysis.findings import find
from inspector.analysis.rates import event_rates
from inspector.model import LoadOptions, SourceReport, Workspace


@dataclass
class Run:
    """A loaded run: its tables, findings and rates."""

    workspace: Workspace
    bucket_seconds: int = 60
    _rates: dict[int, pa.Table] = field(default_factory=dict, repr=False)

    @property
    def records(self) -> pa.Table:
        """Every record (results-log rows and the database's events) with where it came from."""
        return self.workspace.records

    @property
    def status(self) -> pa.Table:
        """Status-log lines with their marker class (config_change, worker_restart …), in UTC."""
        return self.workspace.status

    @property
    def sources(self) -> list[SourceReport]:
        """Each input file: its kind, status and line accounting."""
        return self.workspace.sources

    @property
    def bad_lines(self) -> pa.Table:
        """Rejected lines: source, line number, reason."""
        return self.workspace.bad_lines

    @cached_property
    def findings(self) -> pa.Table:
        """The findings (product.md columns first), most extra rows first."""
        return find(self.workspace, BurstOptions(bucket_seconds=self.bucket_seconds))

    def rates(self, bucket: int = 60) -> pa.Table:
        """Events per ``bucket`` seconds per lane, empty buckets as zero."""
        if bucket not in self._rates:
            self._rates[bucket] = event_rates(self.workspace.records, bucket)
        return self._rates[bucket]

    def __repr__(self) -> str:
        ws = self.workspace
        return (
            f"<inspector.Run: {len(ws.loaded_sources)} of {len(ws.sources)} files, "
            f"{ws.records.num_rows:,} records, {ws.status.num_rows:,} status lines>"
        )


def open_run(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    tz: str | None = None,
    year: int | None = None,
    *,
    bucket_seconds: int = 60,
    cache: bool = True,
) -> Run:
    """Load files and folders (recursively) as the app does. ``tz``: the agent's time zone for
    glog/syslog lines (default: inferred from the run, else UTC); ``year``: for lines that say
    none; ``cache``: use the read cache in your cache folder (False: read everything afresh)."""
    from inspector.loading.pipeline import load
    from inspector.loading.read_cache import ReadCache
    from inspector.timezones import check_timezone

    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if tz is not None:
        check_timezone(tz)
    if not 1 <= bucket_seconds <= 86400:
        raise ValueError("bucket_seconds must be between 1 and 86400")
    options = LoadOptions(tz=tz, year=year)
    ws = load([os.fspath(p) for p in paths], options, cache=ReadCache() if cache else None)
    return Run(ws, bucket_seconds)


def compare(
    before: Run | Workspace,
    after: Run | Workspace,
    *,
    align: str = "start",
    align_after: str | None = None,
    bucket_seconds: int = 60,
) -> pa.Table:
    """The compare table of two runs (one row per host × subscriber, or × query): rows, rates,
    duplication factors and bursts before and after, and the change word. ``align``: ``start``
    (agent start) or a marker such as ``config_change:2``."""
    a = before.workspace if isinstance(before, Run) else before
    b = after.workspace if isinstance(after, Run) else after
    alignment = Alignment(align, align_after or align)
    return compare_runs(a, b, BurstOptions(bucket_seconds=bucket_seconds), alignment).table
