"""Loading and analysing a run for the window, without Qt: what the loader's worker (and a load
started before the window is up, ``ui.early_load``) runs. The window's own classes come with the
results only (``LoadedRun``); Qt and the timeline are imported by the window, on the GUI thread
(PySide6 makes its types on first use, and two threads doing so at once crash the process)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from inspector.model import LoadOptions, Workspace
from inspector.progress import Cancelled, Progress

if TYPE_CHECKING:  # the loading pipeline is imported by the first load, on its worker thread
    import numpy as np
    import pyarrow as pa

    from inspector.analysis.binning import Binner, RateSource
    from inspector.views.overview import Overview
    from inspector.views.timeline_frames import Frame

log = logging.getLogger(__name__)


@runtime_checkable
class PostingProgress(Protocol):
    """A progress that can also hand a partial result (a preview) to whoever shows it."""

    def post(self, partial: object) -> None: ...


@dataclass
class RecordOrder:
    """Every record of a run in table order and in time order (the Records tab's first view),
    worked out with the run on the loader's worker rather than by a job of its own after."""

    rows: np.ndarray
    ordered: np.ndarray


def record_order(records: pa.Table) -> RecordOrder:
    """``RecordOrder`` of ``records`` (an argsort of their times: ~0.4 s at 10 M rows)."""
    import numpy as np

    from inspector.views.record_sort import time_order

    rows = np.arange(records.num_rows, dtype=np.int64)
    return RecordOrder(rows, time_order(records, rows))


@dataclass
class LoadedRun:
    """What a finished load (and its analysis) hands to the window."""

    workspace: Workspace
    overview: Overview
    binner: RateSource  # a Binner, or a live follow's binner (it also counts rows let go)
    factors: pa.Table  # duplication factors per minute
    findings: pa.Table
    frame: Frame  # the whole run's lanes at a width that fits the screen
    markers: list[dict]
    paths: list[str] = field(default_factory=list)  # the inputs as opened (after any preparation)
    # Set while the findings are still being computed (``findings`` is empty then): the bursts
    # of the duplication factors, which say the lanes found doubled.
    pending_bursts: pa.Table | None = None
    record_order: RecordOrder | None = None  # None: the Records tab orders the rows itself

    @property
    def findings_pending(self) -> bool:
        return self.pending_bursts is not None


@dataclass
class PreviewRun:
    """The rate lanes of a big run from its log envelopes, shown while the full load runs."""

    workspace: Workspace
    binner: Binner
    frame: Frame
    markers: list[dict]


def preview_of(ws: Workspace) -> PreviewRun:
    """Lanes (rates only, no duplication) and markers of an envelope-only preview."""
    from inspector.analysis.binning import FACTORS, Binner
    from inspector.views.timeline_frames import (
        FACTOR_WIDTH_US,
        build_frame,
        markers_table,
        nice_width,
    )

    binner = Binner(ws.records, duplicates=False)
    span = binner.span_us()
    width = nice_width(span[1] - span[0]) if span else FACTOR_WIDTH_US
    frame = build_frame(binner, width, FACTORS.empty_table())
    return PreviewRun(ws, binner, frame, markers_table(ws.status))


@dataclass
class RunLanes:
    """A loaded run's analysis up to its lanes (``analyse_lanes``): what the timeline draws."""

    binner: Binner
    factors: pa.Table  # duplication factors per minute
    frame: Frame
    markers: list[dict]
    bursts: pa.Table  # ``duplicate_bursts`` of the factors: the lanes found doubled


def analyse_lanes(ws: Workspace, progress: Progress) -> RunLanes:
    """The binner, the duplication factors, the whole run's frame, the markers and the bursts
    (in the worker thread): the window can draw the run from these while its findings are
    computed."""
    from inspector.analysis.binning import Binner
    from inspector.analysis.burst_rules import BurstOptions
    from inspector.analysis.duplicates import duplicate_bursts, duplication_factors
    from inspector.views.timeline_frames import (
        FACTOR_WIDTH_US,
        build_frame,
        markers_table,
        nice_width,
    )

    binner = Binner(ws.records)
    progress.report(0.1, "counting duplicated deliveries")
    # The one definition of the factors (inspector.sql), as scan and fleet scan compute them;
    # the binner re-bins for the timeline's zoom levels (a test keeps the two equal).
    factors = duplication_factors(ws.records, FACTOR_WIDTH_US // 1_000_000)
    progress.check()
    progress.report(0.3, "counting events per lane")
    span = binner.span_us()
    width = nice_width(span[1] - span[0]) if span else FACTOR_WIDTH_US
    frame = build_frame(binner, width, factors, subscriptions=ws.subscriptions)
    bursts = duplicate_bursts(
        factors, ws.status, BurstOptions(bucket_seconds=FACTOR_WIDTH_US // 1_000_000)
    )
    return RunLanes(binner, factors, frame, markers_table(ws.status), bursts)


def analyse_findings(
    ws: Workspace, factors: pa.Table, progress: Progress, bursts: pa.Table | None = None
) -> pa.Table:
    """The run's findings, from its duplication factors and (if given) their bursts (in the
    worker thread)."""
    from inspector.analysis.burst_rules import BurstOptions
    from inspector.analysis.findings import find
    from inspector.views.timeline_frames import FACTOR_WIDTH_US

    progress.report(0.5, "finding duplicate bursts and re-baselines")
    options = BurstOptions(bucket_seconds=FACTOR_WIDTH_US // 1_000_000)
    return find(ws, options, factors=factors, bursts=bursts)


def analyse(
    ws: Workspace, progress: Progress
) -> tuple[Binner, pa.Table, pa.Table, Frame, list[dict[str, Any]]]:
    """The analysis a loaded run gets before the window shows it (in the worker thread): the
    binner, the duplication factors, the findings, the whole run's frame and the markers —
    ``LoadedRun``'s fields after the overview."""
    lanes = analyse_lanes(ws, progress.scaled(0.0, 0.5))
    findings = analyse_findings(ws, lanes.factors, progress.scaled(0.5, 1.0), lanes.bursts)
    return lanes.binner, lanes.factors, findings, lanes.frame, lanes.markers


def load_run(
    paths: list[str],
    options: LoadOptions,
    progress: Progress,
    prepare: Callable[[Progress], list[str]] | None = None,
    wants_preview: bool = False,
) -> LoadedRun:
    """Load and analyse a run (on a worker). With ``wants_preview``, a big run's lanes from its
    log envelopes are posted first (``progress.post(PreviewRun)``) while the records load."""
    # Imported here, on the worker: the window is up before the loading pipeline (0.5–1 s of
    # imports) is.
    from inspector.analysis.findings import FINDINGS
    from inspector.loading.pipeline import load
    from inspector.loading.preview import preview
    from inspector.loading.read_cache import ReadCache
    from inspector.views.overview import overview

    whole = progress
    if prepare is not None:  # e.g. write the demo run first; returns the paths to load
        paths = prepare(whole.scaled(0.0, 0.4))
        progress = whole.scaled(0.4, 1.0)
    cache = ReadCache()
    first = None
    if wants_preview:
        try:
            first = preview(paths, options, cache, progress.scaled(0.0, 0.15))
        except Cancelled:
            raise
        except Exception:  # a nicety only: the full load says what is wrong, if anything
            log.warning("the preview of %s failed; loading in full", paths, exc_info=True)
            first = None
    if first is not None and isinstance(whole, PostingProgress):
        whole.post(preview_of(first))
        progress = progress.scaled(0.15, 1.0)
    whole.check()
    load_part, analysis_part = progress.scaled(0.0, 0.8), progress.scaled(0.8, 1.0)
    ws = load(paths, options, load_part, cache)
    whole.check()
    summary = overview(ws)
    lanes = analyse_lanes(ws, analysis_part.scaled(0.0, 0.5))
    order = record_order(ws.records)
    if wants_preview and isinstance(whole, PostingProgress):
        # The run without its findings: the window shows the tables and builds the lanes while
        # the findings are computed (~60 ms of a 50 MB run's, against ~150 ms of lanes).
        whole.post(
            LoadedRun(ws, summary, lanes.binner, lanes.factors, FINDINGS.empty_table(),
                      lanes.frame, lanes.markers, paths=list(paths), pending_bursts=lanes.bursts,
                      record_order=order)
        )  # fmt: skip
    findings = analyse_findings(ws, lanes.factors, analysis_part.scaled(0.5, 1.0), lanes.bursts)
    return LoadedRun(ws, summary, lanes.binner, lanes.factors, findings, lanes.frame,
                     lanes.markers, paths=list(paths), record_order=order)  # fmt: skip
