"""``fleet ingest``: host folders and log-pipeline objects into a Parquet dataset, incrementally.

The manifest of earlier runs says which files were read (by path and identity); only new ones
are read now. A host folder with a new file is read whole again — its subscriber mapping and
status clock need the folder's other files — but only the new files' rows are written. A file
whose identity changed since it was read (a log that grew) is reported and not read again: its
earlier rows are in the dataset, and reading it whole would write them twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from inspector.fleet import layout, shared_knowledge, sources
from inspector.fleet.manifest_rows import tried_again
from inspector.fleet.scan import read_small
from inspector.fleet.units import UnitOutput, run_unit
from inspector.fleet.writer import DatasetWriter, conform, remove_unfinished, write_small
from inspector.loading.host_knowledge import HostKnowledge
from inspector.model import LoadOptions
from inspector.progress import Progress, report

BATCH_BYTES = 48 * 1024 * 1024  # compressed bytes of objects per parse
BATCH_FILES = 4000
LOCK_NAME = "ingest.lock"  # held while an ingest writes (see writing_lock)


@dataclass
class IngestResult:
    """What one ingest run did."""

    dataset: str
    ingest: str
    engine: str
    manifest: pa.Table  # this run's manifest rows
    skipped_known: int = 0  # files already in the dataset
    changed: list[str] = field(default_factory=list)  # files that changed since they were read
    repeated: list[tuple[str, str]] = field(default_factory=list)  # (given again, read as)
    renamed: list[tuple[str, str]] = field(default_factory=list)  # (path now, read before as)
    clocks: pa.Table = field(default_factory=layout.SMALL["clocks"].empty_table)  # this run's
    clock_changes: list[str] = field(default_factory=list)  # a host's clock unlike before
    late_publishers: list[str] = field(default_factory=list)  # earlier rows left without one
    problems: list[tuple[str, str]] = field(default_factory=list)
    removed_unfinished: list[str] = field(default_factory=list)
    rejected_lines: pa.Table = field(default_factory=layout.REJECTED.empty_table)  # this run's

    @property
    def lines(self) -> int:
        return sum(self.manifest.column("lines").to_pylist())

    @property
    def rejected(self) -> int:
        return sum(self.manifest.column("lines_rejected").to_pylist())


# A runner takes the unit specs and returns their merged output (it writes the dated files).
UnitRunner = Callable[[list[dict[str, Any]], str, str, Progress | None], UnitOutput]


@runtime_checkable
class FillsRecords(Protocol):
    """A runner that also rewrites the records the knowledge shared after the units fills
    (Spark's, in its tasks); for any other runner this process does."""

    def fill_records(self, files: list[str], fills: shared_knowledge.PublisherFills) -> list[str]:
        """``shared_knowledge.fill_records_files`` done by the runner's engine."""
        ...


def new_ingest_id(after: str = "") -> str:
    """A sortable id without dashes (file names split on them): UTC time + random hex, sorting
    after ``after`` (the dataset's latest run: two runs in one second keep their order, which
    says which of a file's manifest rows is the later)."""
    candidate = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + secrets.token_hex(3)
    return candidate if candidate > after else after + secrets.token_hex(1)


def known_files(dataset: str) -> dict[str, str]:
    """path → identity of every file an earlier finished run read. A file it could not read
    for a passing reason (permission denied, an I/O error: nothing of it was loaded) is left
    out, so that this run tries it again (``manifest_rows.tried_again``)."""
    folder = layout.table_dir(dataset, "manifest")
    if not os.path.isdir(folder):
        return {}
    out: dict[str, str] = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".parquet"):
            t = pq.read_table(
                os.path.join(folder, name), columns=["path", "identity", "status", "reason"]
            )
            again = [tried_again(s, r) for s, r in zip(t.column("status").to_pylist(),
                                                      t.column("reason").to_pylist(), strict=True)]  # fmt: skip
            t = t.filter(pc.invert(pa.array(again, pa.bool_())))
            out.update(
                zip(t.column("path").to_pylist(), t.column("identity").to_pylist(), strict=True)
            )
    return out


def clock_changes(earlier: pa.Table, now: pa.Table) -> list[str]:
    """Hosts whose wall-clock status lines this run places otherwise than an earlier run did
    (more evidence arrived, say): the lines written then keep the times they were given."""
    before = {c["host"]: c for c in earlier.to_pylist()}  # runs in order: the latest wins
    out = []
    for c in now.to_pylist():
        b = before.get(c["host"])
        if b is None or (b["zone"], b["offset_minutes"]) == (c["zone"], c["offset_minutes"]):
            continue
        out.append(
            f"{c['host'] or '(unknown host)'}: this run places its status-log times at "
            f"{c['zone']} ({c['basis']}); the status lines ingested earlier were placed at "
            f"{b['zone']} ({b['basis']}) and keep those times. To have one clock, ingest the "
            "host again into a new dataset (with --tz ZONE if the zone is known)"
        )
    return out


def late_publishers(earlier: pa.Table, now: pa.Table) -> list[str]:
    """Hosts whose subscriber's rows were written by an earlier run without a publisher (the
    status lines naming it had not arrived: hours ingested out of order) while this run knows
    it: those rows keep a lane of their own beside the new ones."""
    known = {
        (r["host"], r["subscriber"]): r["publisher"]
        for r in now.to_pylist()
        if r["subscriber"] and r["publisher"]
    }
    out = []
    for host, subscriber in sorted(
        {(r["host"], r["subscriber"]) for r in earlier.to_pylist()
         if r["subscriber"] and not r["publisher"]},
        key=lambda k: (k[0] or "", k[1]),
    ):  # fmt: skip
        if (publisher := known.get((host, subscriber))) is not None:
            out.append(
                f"{host or '(unknown host)'}: rows of {subscriber} ingested earlier have no "
                f"publisher (the status lines naming {publisher} came later); they stay a lane "
                "of their own. Ingest the host again into a new dataset, oldest files first"
            )
    return out


def dataset_knowledge(dataset: str) -> HostKnowledge:
    """What the dataset's earlier runs found out about their hosts (platforms, publishers)."""
    return HostKnowledge().merged(read_small(dataset, "hosts"), read_small(dataset, "mapping"))


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_target(dataset: str, paths: list[str]) -> None:
    """Refuse (``ValueError``) a dataset folder that would write into an input or read itself:
    one that is a source, lies inside one or holds one; or an existing folder that is neither
    empty nor a fleet dataset (of this format)."""
    target = os.path.realpath(dataset)
    for given in paths:
        if not os.path.lexists(given):
            continue
        source = os.path.realpath(given)
        if _within(target, source):
            raise ValueError(
                f"the dataset {dataset} would be written inside the input {given}: "
                "a dataset goes in a folder of its own, outside what it reads"
            )
        if _within(source, target):
            raise ValueError(f"the input {given} is inside the dataset {dataset}")
    if os.path.isdir(target):
        if os.path.exists(os.path.join(target, "dataset.json")):
            layout.check_dataset(dataset)
        elif os.listdir(target):
            raise ValueError(
                f"{dataset} is a folder that is neither empty nor a fleet dataset "
                "(no dataset.json): give a new or empty folder"
            )
    elif os.path.lexists(target):
        raise ValueError(f"{dataset} exists and is not a folder")


def plan_units(
    plan: sources.Plan, known: dict[str, str], options: LoadOptions, result: IngestResult
) -> list[dict[str, Any]]:
    """The unit specs for what is new; fills ``result``'s known/changed counts."""
    units: list[dict[str, Any]] = []
    common = {"tz": options.tz, "year": options.year}
    # Files read before, by device, inode, size and time: found again under another name (a
    # rotated log, a moved folder) they are not new.
    read_files = {k: path for path, identity in known.items() if (k := sources.file_key(identity))}

    def fresh(paths: list[str]) -> tuple[list[str], dict[str, tuple[int, str]]]:
        new, ident = [], {}
        for p in paths:
            try:
                ident[p] = sources.identity(p)
            except OSError as exc:
                result.problems.append((p, f"cannot read: {exc.strerror or exc}"))
                continue
            read_as = p if p in known else plan.aliases.get(p, p)  # an earlier run's name for it
            now = ident[p][1]
            before = known.get(read_as)
            if before is not None and sources.same_identity(before, now):
                result.skipped_known += 1
            elif (key := sources.file_key(now)) is not None and key in read_files:
                result.skipped_known += 1  # renamed (a rotated log) or moved: read before
                result.renamed.append((p, read_files[key]))
            elif before is None or not sources.same_file(before, now):
                new.append(p)  # a new file; or another file at a known path (rotation)
            else:
                result.changed.append(p)  # the file read before, since grown or rewritten
        return new, ident

    for folder in plan.folders:
        new, ident = fresh(folder.files)
        if new:
            readable = [f for f in folder.files if f not in result.changed and f in ident]
            units.append({"unit": "host_folder", "path": folder.path, "files": readable,
                          "keep": new, "identity": ident, **common})  # fmt: skip
    new, ident = fresh(plan.objects)
    batch: list[str] = []
    size = 0
    for p in new:
        batch.append(p)
        size += ident[p][0]
        if size >= BATCH_BYTES or len(batch) >= BATCH_FILES:
            units.append(
                {
                    "unit": "objects",
                    "files": batch,
                    "identity": {q: ident[q] for q in batch},
                    **common,
                }
            )
            batch, size = [], 0
    if batch:
        units.append(
            {"unit": "objects", "files": batch, "identity": {q: ident[q] for q in batch}, **common}
        )
    return units


def run_in_process(
    units: list[dict[str, Any]], dataset: str, ingest: str, progress: Progress | None
) -> UnitOutput:
    """The DuckDB engine's runner: units one after another here, one writer for all. Each
    unit knows what earlier ingests found, as in Spark's tasks; what the units found about
    their hosts is shared after all of them are read (``shared_knowledge``)."""
    writer = DatasetWriter(dataset, ingest)
    out = UnitOutput()
    for i, spec in enumerate(units):
        what = spec.get("path") or f"{len(spec['files']):,} objects"
        report(progress, 0.9 * i / max(len(units), 1), f"reading {what}")
        out.merge(run_unit(spec, dataset, ingest, writer))
    writer.flush()
    return out


def ingest(
    paths: list[str],
    dataset: str,
    engine: str = "duckdb",
    options: LoadOptions | None = None,
    progress: Progress | None = None,
    runner: UnitRunner | None = None,
) -> IngestResult:
    """Add what is new under ``paths`` to ``dataset`` (created if missing)."""
    options = options or LoadOptions()
    check_target(dataset, paths)
    os.makedirs(dataset, exist_ok=True)
    marker = os.path.join(dataset, "dataset.json")
    if not os.path.exists(marker):
        with open(marker, "w", encoding="utf-8") as f:
            json.dump({"format": layout.FORMAT_NAME, "version": layout.FORMAT_VERSION}, f)
    with writing_lock(dataset):
        return _ingest(paths, dataset, engine, options, progress, runner)


@contextlib.contextmanager
def writing_lock(dataset: str) -> Iterator[None]:
    """Hold the dataset's ingest lock (``ValueError`` when another ingest holds it): two runs at
    once would both read what is new, and each would take the other's files for leftovers of a
    killed run and remove them."""
    try:
        import fcntl
    except ImportError:  # no fcntl (Windows): one ingest at a time is the user's to keep
        yield
        return
    with open(os.path.join(dataset, LOCK_NAME), "a", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ValueError(
                f"another fleet ingest is writing to {dataset}; run this one when it is done"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ingest(
    paths: list[str],
    dataset: str,
    engine: str,
    options: LoadOptions,
    progress: Progress | None,
    runner: UnitRunner | None,
) -> IngestResult:
    """``ingest`` with the dataset's lock held."""
    removed = remove_unfinished(dataset)
    ingest_id = new_ingest_id(after=max(layout.finished_ingests(dataset), default=""))
    result = IngestResult(dataset, ingest_id, engine, layout.MANIFEST.empty_table())
    result.removed_unfinished = removed
    plan = sources.plan(paths)
    result.problems.extend(plan.problems)
    result.repeated = plan.repeated
    units = plan_units(plan, known_files(dataset), options, result)
    earlier = dataset_knowledge(dataset)
    units = [{**u, "known": earlier.to_json()} for u in units]
    output = (runner or run_in_process)(units, dataset, ingest_id, progress)
    fill_records = (
        runner.fill_records
        if isinstance(runner, FillsRecords)
        else shared_knowledge.fill_records_files
    )
    share_knowledge(dataset, ingest_id, earlier, output, fill_records, progress)
    report(progress, 0.97, "writing the manifest")
    clocks = [t for t in output.small.get("clocks", []) if t is not None and t.num_rows]
    if clocks:
        result.clocks = pa.concat_tables(clocks)
        earlier = read_small(dataset, "clocks")
        earlier = earlier.filter(pc.fill_null(earlier.column("written"), False))
        result.clock_changes = clock_changes(earlier, result.clocks)
    mappings = [t for t in output.small.get("mapping", []) if t is not None and t.num_rows]
    if mappings:
        result.late_publishers = late_publishers(
            read_small(dataset, "mapping"), pa.concat_tables(mappings)
        )
    for name, tables in output.small.items():
        parts = [t for t in tables if t is not None and t.num_rows]
        if parts:
            write_small(
                dataset, name, pa.concat_tables([layout_cast(t, name) for t in parts]), ingest_id
            )
    if output.rejected:
        result.rejected_lines = layout_cast(pa.concat_tables(output.rejected), "rejected")
        write_small(dataset, "rejected", result.rejected_lines, ingest_id)
    manifest = (
        pa.Table.from_pylist(output.manifest, schema=layout.MANIFEST)
        if output.manifest
        else layout.MANIFEST.empty_table()
    )
    # The manifest is written last: it is what makes this run's files count as finished.
    if manifest.num_rows:
        write_small(dataset, "manifest", manifest, ingest_id)
    result.manifest = manifest
    report(progress, 1.0, "ingested")
    return result


def share_knowledge(
    dataset: str,
    ingest_id: str,
    earlier: HostKnowledge,
    output: UnitOutput,
    fill_records: Callable[[list[str], shared_knowledge.PublisherFills], list[str]],
    progress: Progress | None,
) -> None:
    """Give the rows a unit left without a publisher the one its host's other units (or the
    dataset's earlier ingests) tell, in the written records (``fill_records``: the engine's
    rewrite of this run's records files) and in the units' small tables."""
    known = shared_knowledge.ingest_knowledge(earlier, output)
    fills = shared_knowledge.publisher_fills(output.small.get("mapping", []), known)
    shared_knowledge.fill_unit_tables(output, known, fills)
    if fills:
        report(progress, 0.93, "giving rows the publishers other batches named")
        files = layout.finished_files(dataset, "records", {ingest_id})
        fill_records(files, fills)


def layout_cast(table: pa.Table, name: str) -> pa.Table:
    """A small table in its dataset schema."""
    return conform(table, layout.SMALL[name])
