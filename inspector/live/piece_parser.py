"""New lines of a followed log, parsed by the reader its content calls for.

The format is sniffed once, from the first lines a log yields (as ``scan`` sniffs a file); after
that every piece goes to the same reader's in-memory entry point, numbered from where it starts
in its file, so rejected lines name their file and line as in a full read.
"""

from __future__ import annotations

import logging

from inspector.live.log_follower import Piece
from inspector.model import LoadOptions
from inspector.readers.glog import GlogHeader, glog_options, read_glog
from inspector.readers.json_lines.reader import read_json_lines
from inspector.readers.registry import choose_reader
from inspector.readers.result import ReaderResult, SkipFile
from inspector.readers.sniff import HEAD_BYTES, Head
from inspector.readers.system_log.logfmt import read_logfmt
from inspector.readers.system_log.reader import read_system_log

log = logging.getLogger(__name__)

LINE_READERS = ("json_lines", "glog", "system_log", "logfmt")


class PieceParser:
    """Parses the pieces of one followed log (one format, however its files are named)."""

    def __init__(self, live: str, options: LoadOptions) -> None:
        self.live = live
        self.options = options
        self.reader: str | None = None  # sniffed from the first lines
        self.skipped: str | None = None  # why the log is not read (not an osquery format)
        self.glog_headers: dict[str, GlogHeader] = {}  # per file: what its header said

    def parse(self, piece: Piece) -> ReaderResult | None:
        """The piece's rows and rejected lines (None for a log in no osquery line format)."""
        if self.reader is None and self.skipped is None:
            self._sniff(piece)
        if self.reader is None:
            return None
        glog = glog_options(self.options)
        if self.reader == "json_lines":
            return read_json_lines(
                piece.source, piece.source, glog=glog, data=piece.data, first_line=piece.first_line
            )
        if self.reader == "glog":
            result = read_glog(
                piece.source, piece.source, options=glog, data=piece.data,
                first_line=piece.first_line, header=self.glog_headers.get(piece.source),
            )  # fmt: skip
            if piece.first_line == 1:
                self.glog_headers[piece.source] = GlogHeader.of_meta(result.meta.get("glog_header"))
            return result
        if self.reader == "system_log":
            return read_system_log(
                piece.source, piece.source, options=glog, data=piece.data,
                first_line=piece.first_line,
            )  # fmt: skip
        return read_logfmt(
            piece.source, piece.source, options=glog, data=piece.data, first_line=piece.first_line
        )

    def _sniff(self, piece: Piece) -> None:
        data = piece.data[:HEAD_BYTES]
        head = Head(self.live, data, len(piece.data), None, len(piece.data) <= HEAD_BYTES)
        try:
            name = choose_reader(head).name
        except SkipFile as exc:
            self.skipped = str(exc)
            return
        if name not in LINE_READERS:
            self.skipped = f"a {name.replace('_', ' ')}, not a log of lines"
            return
        self.reader = name
        log.debug("%s: read as %s", self.live, name)
