"""Following one log across rotations: every line read exactly once and in order.

A check opens the live name first, then every earlier file of the set (``rotation_names``),
and reads only through those handles. The file followed last time is held open, so its last
lines are read from the handle wherever its name went (``.1``, compressed, deleted); files
rotated in between that were never seen are recognised by identity (``file_identity``) and read
whole, oldest first; then the new live file from its first byte. Files already read are
remembered by their first 4 KB, so a compressed or copied duplicate is never read twice.

A check that finds the set between two steps of a rotation — a hole in the numbering, a
compressed file not decodable yet, two files with the same first 4 KB, the live file already
among the rotated ones, a name gone between listing and opening — is retried after ~20 ms
(live-follow.md: the multi-step rotation raced every follower that trusted names).

Truncation (logrotate ``copytruncate``, or the log emptied in place) is seen as a file shorter
than what was read, or whose first bytes changed: the lines appended before the truncation are
taken from the copy (the earlier file with the same first 4 KB) when there is one.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field

from inspector.live.file_identity import (
    HEAD_BYTES,
    OpenedFile,
    ReadIdentity,
    RotationInProgress,
    open_file,
    read_content,
    same_content,
)
from inspector.live.rotation_names import RotationScheme

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.02
RETRIES = 50  # ~1 s of a rotation caught in the middle before reading what is safe
READ_LIMIT = 16 * 1024 * 1024  # bytes taken from one file per check (the rest next time)


@dataclass
class Piece:
    """Complete lines read from one file: ``data`` ends with a newline."""

    source: str  # the name the file had when it was read
    first_line: int  # 1-based number in that file of the first line in ``data``
    data: bytes
    lines: int


@dataclass
class FollowedFile:
    """The file read last: its handle, how far it was read, and its unfinished last line."""

    opened: OpenedFile
    offset: int = 0  # bytes taken from the file (the unfinished line included)
    pending: bytes = b""  # an unfinished last line, waiting for its newline
    lines: int = 0  # complete lines handed out
    head: bytes = b""  # its first 4 KB, as read
    size_seen: int = 0
    mtime_seen: int = 0

    @property
    def source(self) -> str:
        return self.opened.path


@dataclass
class FollowStats:
    """What a follower did: lines handed out, files read whole, truncations, notes."""

    lines: int = 0
    files: int = 0
    truncations: int = 0
    retries: int = 0
    notes: list[str] = field(default_factory=list)


class LogFollower:
    """One log (a live name and its rotations) read incrementally by file identity."""

    def __init__(
        self,
        live: str,
        retries: int = RETRIES,
        retry_seconds: float = RETRY_SECONDS,
        remembered: int = 512,
    ) -> None:
        """``retries`` × ``retry_seconds``: how long a half-done rotation is waited for."""
        self.scheme = RotationScheme(live)
        self.live = live
        self.retries, self.retry_seconds = retries, retry_seconds
        self.current: FollowedFile | None = None
        self.read: list[ReadIdentity] = []  # files read to their end (by content)
        self.remembered = remembered
        self.started = False
        self.stats = FollowStats()
        self.more = False  # the last check stopped at READ_LIMIT: check again at once
        self._out: list[Piece] = []  # lines of the check under way, kept across its retries
        self.folder_seen: tuple[int, int] | None = None  # the folder at the last full check
        self.last_mtime: float | None = None  # modification time of the file data last read

    # -- the check ------------------------------------------------------------------------------
    def check(self) -> list[Piece]:
        """New complete lines since the last check, in order (retrying mid-rotation states).

        Every step changes the follower's state only after its reads succeeded, and hands its
        lines to ``self._out`` at once: a retry after a step that was cut short neither loses
        nor repeats a line."""
        try:
            for _ in range(self.retries):
                try:
                    self._check_once()
                    return self._out
                except RotationInProgress as exc:
                    self.stats.retries += 1
                    log.debug("%s: rotation in progress (%s); again shortly", self.live, exc)
                    time.sleep(self.retry_seconds)
            # The set stayed half-rotated: read only what is certain — the held file, unless it
            # was truncated (its copy comes first) or was empty (copies made since would come
            # first, unrecognisable); the rest at the next check.
            log.info("%s: rotation still in progress after %d tries", self.live, self.retries)
            current = self.current
            if current is not None and current.head and not self._truncated(current):
                self._read_on(current)
            return self._out
        finally:
            self._out = []

    def close(self) -> None:
        if self.current is not None:
            self.current.opened.close()
            self.current = None

    def _check_once(self) -> None:
        self.more = False
        live = open_file(self.live)  # first: whatever rotates after this is seen next time
        earlier: list[OpenedFile] = []
        try:
            if self._quiet(live):
                assert self.current is not None
                self._read_on(self.current)
                return
            folder = self._folder_state()
            earlier = self._open_earlier(live)
            self._advance(live, earlier)
            self.folder_seen = folder
        finally:
            if live is not None and (self.current is None or live is not self.current.opened):
                live.close()
            for e in earlier:
                e.close()
        self._forget_gone(earlier)

    def _folder_state(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.scheme.folder)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    def _quiet(self, live: OpenedFile | None) -> bool:
        """Nothing but growth: the same live file, not truncated, no name in its folder added,
        removed or renamed since the last full check (the folder's modification time)."""
        current = self.current
        return (
            current is not None
            and live is not None
            and live.identity == current.opened.identity
            and self.folder_seen is not None
            and self._folder_state() == self.folder_seen
            and not self._truncated(current)
        )

    def _open_earlier(self, live: OpenedFile | None) -> list[OpenedFile]:
        try:
            names = os.listdir(self.scheme.folder)
        except FileNotFoundError:
            return []
        listed = self.scheme.earlier(names)
        if self.scheme.numbering_gap(listed):
            raise RotationInProgress("a hole in the rotation numbers")
        opened: list[OpenedFile] = []
        try:
            for e in listed:
                f = open_file(e.path)
                if f is None:
                    raise RotationInProgress(f"{e.path} went away while listing")
                opened.append(f)
                if live is not None and f.identity == live.identity:
                    opened.pop().close()
                    if not self.scheme.glog:  # glog's live file keeps its stamped name too
                        raise RotationInProgress("the live file is already among the rotated ones")
            for i, f in enumerate(opened):
                if any(same_content(f.head, g.head) for g in opened[i + 1 :]):
                    raise RotationInProgress("two rotated files start alike (one being compressed)")
                if live is not None and same_content(live.head, f.head):
                    raise RotationInProgress("the live file's content is already rotated")
        except BaseException:
            for f in opened:
                f.close()
            raise
        return opened

    def _advance(self, live: OpenedFile | None, earlier: list[OpenedFile]) -> None:
        current = self.current
        if current is not None and live is not None and live.identity == current.opened.identity:
            if self._truncated(current):
                self._after_truncation(current, earlier)
            # Copies made by copytruncates since the last check (not of the lines read last).
            if self._read_unseen(earlier, current.head):
                self._read_on(current)
            return
        if current is not None:
            # The held file was rotated away: its last lines through the handle, then the files
            # rotated after it, then the new live file.
            self._finish(current)
        self.started = True
        if self._read_unseen(earlier):
            self._start(live)

    # -- reading ----------------------------------------------------------------------------------
    def _start(self, live: OpenedFile | None) -> None:
        self.current = None if live is None else FollowedFile(live)
        if self.current is not None:
            self._read_on(self.current)

    def _read_on(self, f: FollowedFile) -> None:
        """Append the file's new complete lines from where it was left."""
        fd = f.opened.handle.fileno()
        st = os.fstat(fd)
        f.size_seen, f.mtime_seen = st.st_size, st.st_mtime_ns
        if f.opened.compression is not None:
            # A compressed file under the live name (unusual): read whole, once.
            if f.offset == 0:
                self._take(f, read_content(f.opened, strict=False))
            return
        budget = READ_LIMIT
        while budget > 0 and f.offset < st.st_size:
            data = os.pread(fd, min(budget, st.st_size - f.offset, 4 * 1024 * 1024), f.offset)
            if not data:
                break
            budget -= len(data)
            self.last_mtime = st.st_mtime
            self._take(f, data)
        if f.offset < st.st_size:
            self.more = True

    def _take(self, f: FollowedFile, data: bytes) -> None:
        if len(f.head) < HEAD_BYTES and f.offset < HEAD_BYTES:
            f.head = (f.head + data[: HEAD_BYTES - f.offset])[:HEAD_BYTES]
        f.offset += len(data)
        buffered = f.pending + data
        cut = buffered.rfind(b"\n") + 1
        f.pending = buffered[cut:]
        if cut:
            self._emit(f, buffered[:cut])

    def _emit(self, f: FollowedFile, data: bytes) -> None:
        count = data.count(b"\n")
        out = self._out
        if out and out[-1].source == f.source and out[-1].first_line + out[-1].lines == f.lines + 1:
            last = out[-1]
            out[-1] = Piece(last.source, last.first_line, last.data + data, last.lines + count)
        else:
            out.append(Piece(f.source, f.lines + 1, data, count))
        f.lines += count
        self.stats.lines += count

    def _flush_torn(self, f: FollowedFile) -> None:
        """A file that will not grow again: its unterminated last line is a line too."""
        if f.pending:
            data, f.pending = f.pending + b"\n", b""
            self._emit(f, data)

    def _finish(self, f: FollowedFile) -> None:
        """Read a file that will not grow again (rotated away) to its end, torn line included."""
        while True:
            self._read_on(f)
            if not self.more:
                break
        self._flush_torn(f)
        self._remember(ReadIdentity(f.opened.dev, f.opened.ino, f.head))
        f.opened.close()
        self.current = None

    def _read_unseen(self, earlier: list[OpenedFile], held_head: bytes = b"") -> bool:
        """Read whole, oldest first, every earlier file not read yet (nor a copy of the held
        file, ``held_head``). False when it stopped at the read limit (the rest, and the live
        file, next time)."""
        taken = 0
        for e in earlier:
            if any(r.matches(e) for r in self.read) or same_content(held_head, e.head):
                continue
            if taken >= READ_LIMIT:
                self.more = True
                return False
            data = read_content(e)  # raises RotationInProgress on a half-written stream
            f = FollowedFile(e)
            self._take(f, data)
            self._flush_torn(f)
            self._remember(ReadIdentity(e.dev, e.ino, f.head))
            self.stats.files += 1
            taken += len(data)
        return True

    # -- truncation -----------------------------------------------------------------------------
    def _truncated(self, f: FollowedFile) -> bool:
        fd = f.opened.handle.fileno()
        st = os.fstat(fd)
        if st.st_size < f.offset:
            return True
        if (st.st_size, st.st_mtime_ns) == (f.size_seen, f.mtime_seen) or not f.head:
            return False
        # Same size or longer, but written since: emptied and written again past our offset?
        return os.pread(fd, len(f.head), 0) != f.head

    def _after_truncation(self, f: FollowedFile, earlier: list[OpenedFile]) -> None:
        """The lines appended before the truncation come from the copy, if it kept them; the
        file is then read again from its first byte under a fresh line count."""
        old = ReadIdentity(f.opened.dev, f.opened.ino, f.head)
        copy = next(
            (e for e in earlier if e.identity != f.opened.identity and old.matches(e)), None
        )
        data = read_content(copy) if copy is not None else b""  # may raise: before any change
        self.stats.truncations += 1
        if len(data) > f.offset:
            self._take(f, data[f.offset :])
        self._flush_torn(f)
        if copy is not None:
            self._remember(ReadIdentity(copy.dev, copy.ino, copy.head))
        else:
            note = (
                f"{self.live} was truncated with no copy beside it: lines written after "
                "the last check and before the truncation could not be read"
            )
            if note not in self.stats.notes:
                self.stats.notes.append(note)
        self._remember(old)
        f.offset, f.pending, f.head, f.lines, f.size_seen, f.mtime_seen = 0, b"", b"", 0, 0, 0

    # -- what was read ----------------------------------------------------------------------------
    def _remember(self, identity: ReadIdentity) -> None:
        self.read.append(identity)
        del self.read[: -self.remembered]

    def _forget_gone(self, earlier: list[OpenedFile]) -> None:
        """Files read earlier that the set no longer holds are forgotten (bounded memory)."""
        if len(self.read) < 64:
            return
        self.read = [r for r in self.read if any(r.matches(e) for e in earlier)]
