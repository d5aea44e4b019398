"""A followed run: its logs and databases read as they grow, joined batch by batch as a load
joins its files (``loading.pipeline.assemble``), and analysed incrementally.

``LiveRun.step()`` reads what every followed input gained, parses it, joins it (markers,
subscribers, publishers, the agent's zone), adds the records to the record window and updates
the factors and bursts. It is Qt-free and single-threaded: the command line and the window's
worker call it from one thread.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from inspector.analysis.burst_rules import BurstOptions
from inspector.live.database_follower import FLUSH_NOTE, DatabaseFollower
from inspector.live.followed_inputs import FollowedInputs, followed_inputs
from inspector.live.incremental import IncrementalDuplicates
from inspector.live.live_findings import live_findings
from inspector.live.log_follower import LogFollower
from inspector.live.piece_parser import LINE_READERS, PieceParser
from inspector.live.record_window import DEFAULT_LIMIT_BYTES, RecordWindow
from inspector.live.stable_mapping import StableMapping
from inspector.loading.pipeline import assemble
from inspector.model import LoadOptions, SourceReport
from inspector.readers.registry import choose_reader
from inspector.readers.result import ReaderResult, SkipFile
from inspector.readers.sniff import Head
from inspector.schema import STATUS

log = logging.getLogger(__name__)

STATUS_ROWS_KEPT = 200_000  # status rows held for the window (markers); older ones let go
BAD_LINES_KEPT = 10_000  # rejected-line entries listed; later ones are only counted
CHUNKS_BEFORE_COMPACTING = 32  # status batches held as chunks before they are joined into one
BAD_LINES_CAPPED = (
    "more than {kept:,} rejected-line entries: the later ones are counted, not listed"
)


@dataclass
class FollowedLog:
    follower: LogFollower
    parser: PieceParser
    report: SourceReport


@dataclass
class Counts:
    """Totals since the start (``lines``: every line read from the followed logs, once)."""

    lines: int = 0
    records: int = 0
    rejected: int = 0
    status_lines: int = 0
    database_events: int = 0


@dataclass
class StepResult:
    """What one step found: new rows, and whether more is waiting to be read at once."""

    lines: int = 0
    records: int = 0
    more: bool = False
    newest_write: float | None = None  # modification time of the newest file data read
    notes: list[str] = field(default_factory=list)


class LiveRun:
    """The state of a followed run between steps."""

    def __init__(
        self,
        paths: list[str],
        options: LoadOptions | None = None,
        bursts: BurstOptions | None = None,
        limit_bytes: int = DEFAULT_LIMIT_BYTES,
        lateness_seconds: int = 90,
        retries: int | None = None,
    ) -> None:
        self.paths = list(paths)
        self.options = options or LoadOptions()
        self.burst_options = bursts or BurstOptions()
        self.window = RecordWindow(limit_bytes)
        self.analysis = IncrementalDuplicates(
            self.window.since, self.burst_options, lateness_seconds
        )
        self.mapping = StableMapping()
        self.logs: dict[str, FollowedLog] = {}
        self.databases: dict[str, DatabaseFollower] = {}
        self.documents: dict[str, tuple[tuple[int, int], ReaderResult, SourceReport]] = {}
        self.status = STATUS.empty_table()
        self.counts = Counts()
        self.bad_lines: list[tuple[str, int, str, int]] = []  # source, line, reason, lines
        self.notes: list[str] = []  # every note so far, in order (each once)
        self.inputs = FollowedInputs()
        self._retries = retries
        self._rediscover = True

    # -- inputs ---------------------------------------------------------------------------------
    def rediscover(self) -> None:
        """Look for logs and databases that appeared (at the next step)."""
        self._rediscover = True

    def _discover(self) -> list[str]:
        notes: list[str] = []
        self.inputs = followed_inputs(self.paths)
        for live in self.inputs.logs:
            if live in self.logs or live in self.documents:
                continue
            if self._document(live, notes):
                continue
            kwargs = {} if self._retries is None else {"retries": self._retries}
            follower = LogFollower(live, **kwargs)
            self.logs[live] = FollowedLog(
                follower, PieceParser(live, self.options), SourceReport(live, "unknown", "loaded")
            )
        for db in self.inputs.databases:
            if db not in self.databases:
                self.databases[db] = DatabaseFollower(db)
                notes.append(f"{db}: {FLUSH_NOTE}")
        for path, (seen, result, _report) in list(self.documents.items()):
            if result.kind in ("config", "pack") and _state(path) != seen:
                del self.documents[path]  # an edited config: read again (its queries may differ)
                self._document(path, [])
        self._rediscover = False
        return notes

    def close(self) -> None:
        for f in self.logs.values():
            f.follower.close()
        for d in self.databases.values():
            d.close()

    @property
    def more(self) -> bool:
        """A follower stopped at its read limit: step again without waiting for a change."""
        return any(f.follower.more for f in self.logs.values())

    def last_flush(self) -> float | None:
        """When a followed database was last flushed by osqueryd (epoch seconds), if any."""
        times = [t for d in self.databases.values() if (t := d.last_flush()) is not None]
        return max(times) if times else None

    # -- a step ---------------------------------------------------------------------------------
    def step(self, now: float | None = None) -> StepResult:
        """Read, join and analyse what the followed inputs gained."""
        out = StepResult()
        if self._rediscover:
            out.notes += self._discover()
        results: list[tuple[SourceReport, ReaderResult]] = []
        for live, followed in list(self.logs.items()):
            results += self._read_log(live, followed, out)
        for path, db in self.databases.items():
            got = db.check()
            if got is not None:
                self.counts.database_events += got.lines_read
                results.append((SourceReport(path, "osquery_db", "loaded"), got))
        out.more = self.more
        if results:
            self._join(results, out, now)
        fresh = [n for n in dict.fromkeys(out.notes) if n not in self.notes]
        self.notes += fresh
        out.notes = fresh
        return out

    def _read_log(
        self, live: str, followed: FollowedLog, out: StepResult
    ) -> list[tuple[SourceReport, ReaderResult]]:
        pieces = followed.follower.check()
        for note in followed.follower.stats.notes:
            if note not in self.notes:
                out.notes.append(note)
        results = []
        for piece in pieces:
            result = followed.parser.parse(piece)
            if result is None:
                break
            followed.report.kind = result.kind
            self.counts.lines += result.lines_read
            out.lines += result.lines_read
            results.append((SourceReport(piece.source, result.kind, "loaded"), result))
        if pieces and followed.follower.last_mtime is not None:
            out.newest_write = max(out.newest_write or 0.0, followed.follower.last_mtime)
        if followed.parser.skipped is not None:
            self._not_a_log(live, followed, out)
        return results

    def _document(self, path: str, notes: list[str]) -> bool:
        """A config (read whole: its queries name the subscribers), or a file in no format of
        lines (let go, with a note)? A log that is empty or not there yet is followed."""
        try:
            head = Head.of(path)
            if not head.data:
                return False
            reader = choose_reader(head)
        except SkipFile as exc:
            self.documents[path] = (
                (0, 0),
                ReaderResult(kind="skipped"),
                SourceReport(path, "skipped", "skipped"),
            )
            notes.append(f"{path}: not followed ({exc})")
            return True
        except OSError:
            return False
        if reader.name in LINE_READERS:
            return False
        if reader.name == "config":
            seen = _state(path)
            try:
                result = reader.read(path, path, self.options, None)
            except (OSError, SkipFile) as exc:
                notes.append(f"{path}: not followed ({exc})")
                result = ReaderResult(kind="skipped")
            report = SourceReport(path, result.kind, "loaded", lines_read=result.lines_read)
            self.documents[path] = (seen, result, report)
            notes.append(f"{path}: a config; its queries name the subscribers")
            return True
        self.documents[path] = (
            (0, 0),
            ReaderResult(kind="skipped"),
            SourceReport(path, "skipped", "skipped"),
        )
        notes.append(
            f"{path}: not followed (a {reader.name.replace('_', ' ')}, not a log of lines)"
        )
        return True

    def _not_a_log(self, live: str, followed: FollowedLog, out: StepResult) -> None:
        """A config is read whole (its queries name the subscribers); anything else is let go."""
        followed.follower.close()
        del self.logs[live]
        try:
            head = Head.of(live)
            reader = choose_reader(head)
            if reader.name == "config":
                seen = _state(live)
                result = reader.read(live, live, self.options, None)
                report = SourceReport(live, result.kind, "loaded", lines_read=result.lines_read)
                self.documents[live] = (seen, result, report)
                out.notes.append(f"{live}: a config; its queries name the subscribers")
                return
        except (OSError, SkipFile):
            pass
        self.documents[live] = (
            (0, 0),
            ReaderResult(kind="skipped"),
            SourceReport(live, "skipped", "skipped"),
        )
        out.notes.append(f"{live}: not followed ({followed.parser.skipped})")

    def _join(
        self, results: list[tuple[SourceReport, ReaderResult]], out: StepResult, now: float | None
    ) -> None:
        configs = [
            (r, res) for _, res, r in self.documents.values() if res.kind in ("config", "pack")
        ]
        sources = [s for s, _ in results] + [s for s, _ in configs]
        ws = assemble(sources, results + configs, self.options)
        self._lock_zone(ws.status_clocks)
        records = self.mapping.apply(ws.records, ws.mapping)
        status = ws.status
        for source, result in results:
            self._keep_bad_lines(source.path, result, out)
            self.counts.rejected += len(result.bad)
        self.counts.records += records.num_rows
        self.counts.status_lines += status.num_rows
        out.records += records.num_rows
        self.window.add(records)
        self.analysis.add(records, status)
        evicted = self.window.evict()
        if evicted is not None:
            self.analysis.forget_until(evicted)
        if status.num_rows:
            self.status = pa.concat_tables([self.status, status.cast(self.status.schema)])
            if self.status.num_rows > STATUS_ROWS_KEPT:
                self.status = self.status.slice(self.status.num_rows - STATUS_ROWS_KEPT)
            if self.status.column(0).num_chunks > CHUNKS_BEFORE_COMPACTING:
                # A chunk per batch would pile up over hours (and a slice keeps the buffers
                # of the chunk it starts in): one chunk of the rows kept lets the rest go.
                self.status = self.status.combine_chunks()

    def _keep_bad_lines(self, path: str, result: ReaderResult, out: StepResult) -> None:
        """List a batch's rejected lines, up to ``BAD_LINES_KEPT`` entries over the run: a log
        that keeps failing for hours must not grow memory (the counts stay exact)."""
        bad = result.bad
        room = BAD_LINES_KEPT - len(self.bad_lines)
        if bad.entries > room:
            out.notes.append(BAD_LINES_CAPPED.format(kept=BAD_LINES_KEPT))
        entries = zip(bad.lines, bad.reasons, bad.counts, strict=True)
        for line, reason, count in itertools.islice(entries, max(room, 0)):
            self.bad_lines.append((path, line, reason, count))

    def _lock_zone(self, clocks: pa.Table) -> None:
        """Once the run's evidence placed the agent's zone (whole hours), keep it: every later
        batch is placed alike, even one without evidence of its own."""
        if self.options.tz is not None or not clocks.num_rows:
            return
        inferred = clocks.filter(pc.equal(clocks.column("basis"), "inferred"))
        offsets = {o for o in inferred.column("offset_minutes").to_pylist() if o is not None}
        if len(offsets) == 1 and (minutes := offsets.pop()) % 60 == 0:
            zone = "Etc/GMT" + (f"{-minutes // 60:+d}" if minutes else "")
            self.options = LoadOptions(tz=zone, year=self.options.year)
            for f in self.logs.values():
                f.parser.options = self.options

    # -- results --------------------------------------------------------------------------------
    def findings(self, now: float | None = None) -> pa.Table:
        """The duplicate bursts so far in the findings contract's columns, plus ``provisional``."""
        now_us = int((now if now is not None else time.time()) * 1_000_000)
        return live_findings(self.analysis, self.mapping, now_us)


def _state(path: str) -> tuple[int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (0, 0)
    return (st.st_size, st.st_mtime_ns)
