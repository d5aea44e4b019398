"""Saved sessions: which inputs were open (with sizes and SHA-256), how they were read, and what
the window showed (filters, visible time range, hidden lanes, brush, a comparison).

A session file is indented JSON with a fixed key order, so two saves of the same state are
identical and a person can read (or edit) one. Hashing the inputs takes a while for big runs:
``build_session`` and ``check_inputs`` take a ``Progress`` and belong on a worker thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from inspector.export import file_digest
from inspector.loading.inputs import collect_inputs, special_file
from inspector.progress import Progress, report
from inspector.readers.rocksdb_db import looks_like_rocksdb
from inspector.session_checks import SessionFieldError, check_document
from inspector.views.record_filter import RecordFilter

VERSION = 1
VALUE_SETS = ("hosts", "subscribers", "queries", "actions")


class SessionError(ValueError):
    """A session file that cannot be used; one readable line."""


@dataclass
class Session:
    """What a session file holds (see the module docstring)."""

    inputs: list[dict[str, Any]] = field(default_factory=list)  # {path, size, sha256, folder}
    options: dict[str, Any] = field(default_factory=lambda: {"tz": None, "year": None})
    # {inputs: [{path, size, sha256}], align_before, align_after}
    compare: dict[str, Any] | None = None
    filters: dict[str, Any] = field(default_factory=dict)  # filter_to_json of the records filter
    visible_range: list[float] | None = None  # [lo, hi] in Unix seconds
    hidden_lanes: list[list[str | None]] = field(default_factory=list)  # lane keys as lists
    brush: list[float] | None = None  # [lo, hi] in Unix seconds
    version: int = VERSION

    def to_json(self) -> str:
        """Indented JSON with a stable key order."""
        doc = {
            "version": self.version,
            "inputs": [_input(e) for e in self.inputs],
            "options": {"tz": self.options.get("tz"), "year": self.options.get("year")},
            "compare": _compare(self.compare),
            "filters": self.filters,
            "visible_range": _pair(self.visible_range),
            "hidden_lanes": [list(k) for k in self.hidden_lanes],
            "brush": _pair(self.brush),
        }
        return json.dumps(doc, indent=2, ensure_ascii=False, default=_default) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Session:
        """Parse a session file's text; ``SessionError`` says what is wrong with it."""
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise SessionError(f"not a session file (invalid JSON: {exc})") from None
        if not isinstance(doc, dict) or "inputs" not in doc:
            raise SessionError("not a session file (no inputs)")
        if doc.get("version") != VERSION:
            raise SessionError(f"session version {doc.get('version')!r} is not supported")
        try:
            check_document(doc)  # untrusted: every field, before any is used
        except SessionFieldError as exc:
            raise SessionError(f"not a valid session file: {exc}") from None
        try:
            filters = doc.get("filters") or {}
            filter_from_json(filters)  # fails here, not later, if the filter is malformed
            return cls(
                inputs=[_input(e) for e in doc["inputs"]],
                options=dict(doc.get("options") or {"tz": None, "year": None}),
                compare=_compare(doc.get("compare")),
                filters=filters,
                visible_range=_pair(doc.get("visible_range")),
                hidden_lanes=[list(k) for k in doc.get("hidden_lanes") or []],
                brush=_pair(doc.get("brush")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SessionError(f"not a valid session file ({type(exc).__name__}: {exc})") from None

    @property
    def input_paths(self) -> list[str]:
        return [e["path"] for e in self.inputs]


def _input(entry: dict[str, Any]) -> dict[str, Any]:
    return {"path": str(entry["path"]), "size": entry.get("size"), "sha256": entry.get("sha256"),
            "folder": bool(entry.get("folder", False))}  # fmt: skip


def _compare(compare: dict[str, Any] | None) -> dict[str, Any] | None:
    if not compare:
        return None
    return {
        "inputs": [_input(e) for e in compare.get("inputs") or []],
        "align_before": compare.get("align_before"),
        "align_after": compare.get("align_after"),
    }


def _pair(value: Iterable[float] | None) -> list[float] | None:
    if value is None:
        return None
    lo, hi = value
    return [float(lo), float(hi)]


def _default(value: object) -> object:
    """JSON for what a comparison's alignment may hold (times, tuples of them)."""
    if isinstance(value, dt.datetime):
        return iso_time(value)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def iso_time(value: dt.datetime) -> str:
    """An ISO 8601 UTC time ("…Z"); a time without a zone is taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def filter_to_json(flt: RecordFilter) -> dict[str, Any]:
    """A records filter as plain JSON: sorted lists (null for a null value), ISO times, and the
    explicit ``rows`` as their count (a session cannot restore those)."""
    out: dict[str, Any] = {}
    for name in VALUE_SETS:
        values = getattr(flt, name)
        out[name] = None if values is None else sorted(values, key=lambda v: (v is None, v or ""))
    if flt.runs is not None:  # only where a host was given in several runs
        out["runs"] = sorted(flt.runs, key=lambda v: (v is None, v or ""))
    out["time_range"] = None if flt.time_range is None else [iso_time(t) for t in flt.time_range]
    out["text"] = flt.text
    out["sql_where"] = flt.sql_where
    out["stream"] = flt.stream
    out["rows"] = None if flt.rows is None else len(flt.rows)
    return out


def filter_from_json(doc: dict[str, Any]) -> RecordFilter:
    """The filter ``filter_to_json`` wrote (``rows``, being a count, is not restored)."""
    sets = {n: None if doc.get(n) is None else frozenset(doc[n]) for n in VALUE_SETS}
    hosts, subscribers, queries, actions = (sets[n] for n in VALUE_SETS)
    times = doc.get("time_range")
    time_range = None
    if times is not None:
        lo, hi = (dt.datetime.fromisoformat(str(t).replace("Z", "+00:00")) for t in times)
        lo, hi = (t if t.tzinfo else t.replace(tzinfo=dt.UTC) for t in (lo, hi))
        time_range = (lo, hi)
    return RecordFilter(
        hosts=hosts, subscribers=subscribers, queries=queries, actions=actions,
        time_range=time_range, text=str(doc.get("text") or ""),
        sql_where=str(doc.get("sql_where") or ""), stream=doc.get("stream"),
        runs=None if doc.get("runs") is None else frozenset(doc["runs"]),
    )  # fmt: skip


def path_digest(path: str) -> tuple[int, str]:
    """Size and SHA-256 of an input as loading reads it: a file, an osquery.db, or a folder with
    every input under it (relative path, size and digest of each, in reading order)."""
    if not os.path.isdir(path) or looks_like_rocksdb(path):
        return file_digest(path)
    files, _ = collect_inputs([path])
    h, size = hashlib.sha256(), 0
    for f in files:
        if f.duplicate_of is None:
            one, digest = file_digest(f.path)
            size += one
            h.update(f"{os.path.relpath(f.path, path)}\0{one}\0{digest}\n".encode())
    return size, h.hexdigest()


def digest_inputs(paths: list[str], progress: Progress | None = None) -> list[dict[str, Any]]:
    """``{path, size, sha256, folder}`` of each path (made absolute), one after the other."""
    out = []
    for i, path in enumerate(paths):
        report(progress, i / max(len(paths), 1), f"hashing {os.path.basename(path) or path}")
        size, sha256 = path_digest(path)
        folder = os.path.isdir(path)
        out.append(
            {"path": os.path.abspath(path), "size": size, "sha256": sha256, "folder": folder}
        )
    report(progress, 1.0, "hashed")
    return out


def build_session(
    inputs: list[str],
    options: dict[str, Any],
    flt: RecordFilter | None = None,
    visible_range: tuple[float, float] | None = None,
    hidden_lanes: Iterable[tuple[str | None, ...]] = (),
    brush: tuple[float, float] | None = None,
    compare: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> Session:
    """A session of the window's state; hashes ``inputs`` (and the comparison's, given as
    ``{inputs: [paths], align_before, align_after}``)."""
    compared = None
    if compare:
        paths = [p if isinstance(p, str) else p["path"] for p in compare.get("inputs") or []]
        compared = dict(compare, inputs=digest_inputs(paths))
    return Session(
        inputs=digest_inputs(inputs, progress),
        options={"tz": options.get("tz"), "year": options.get("year")},
        compare=compared,
        filters=filter_to_json(flt or RecordFilter()),
        visible_range=_pair(visible_range),
        hidden_lanes=sorted(([*k] for k in hidden_lanes), key=lambda k: json.dumps(k, default=str)),
        brush=_pair(brush),
    )


def check_inputs(session: Session, progress: Progress | None = None) -> list[dict[str, Any]]:
    """``{path, problem, folder}`` for each input (the comparison's too) whose ``problem`` is
    ``"missing"`` or ``"changed"`` (another size, else another SHA-256)."""
    entries = session.inputs + (session.compare or {}).get("inputs", [])
    problems = []
    for i, entry in enumerate(entries):
        path, size = entry["path"], entry.get("size")
        report(progress, i / max(len(entries), 1), f"checking {os.path.basename(path) or path}")
        problem = None
        if not os.path.exists(path):
            problem = "missing"
        elif special_file(path) is not None:
            problem = "not a regular file"  # never read: a pipe or a device could block
        elif size is not None and os.path.isfile(path) and os.path.getsize(path) != size:
            problem = "changed"  # another size: no need to read it all
        elif entry.get("sha256") and path_digest(path) != (size, entry["sha256"]):
            problem = "changed"
        if problem is not None:
            problems.append(
                {"path": path, "problem": problem, "folder": entry.get("folder", False)}
            )
    report(progress, 1.0, "checked")
    return problems


def relocated(session: Session, moves: dict[str, str]) -> Session:
    """The session with input paths replaced per ``moves`` (old path → new path)."""

    def move(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [dict(e, path=moves.get(e["path"], e["path"])) for e in entries]

    compare = None if session.compare is None else dict(session.compare)
    if compare is not None:
        compare["inputs"] = move(compare["inputs"])
    return replace(session, inputs=move(session.inputs), compare=compare)


def guess_moves(missing: list[str], old: str, new: str) -> dict[str, str]:
    """Where the other ``missing`` paths are if they moved as ``old`` moved to ``new`` (the
    same folder change), for those that exist there."""
    a, b = os.path.normpath(old).split(os.sep), os.path.normpath(new).split(os.sep)
    same = 0
    while same < min(len(a), len(b)) - 1 and a[-1 - same] == b[-1 - same]:
        same += 1
    same = max(same, 1)  # a renamed file: its folder moved (or not) all the same
    old_root, new_root = os.sep.join(a[: len(a) - same]), os.sep.join(b[: len(b) - same])
    guesses = {}
    for path in missing:
        if path != old and path.startswith(old_root + os.sep):
            candidate = new_root + path[len(old_root) :]
            if os.path.exists(candidate):
                guesses[path] = candidate
    return guesses
