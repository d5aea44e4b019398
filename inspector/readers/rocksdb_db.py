"""Reading an agent's RocksDB ``osquery.db`` without changing anything in its directory.

The binding (rocksdict) writes ``rocksdict-config.json`` into every database it opens and RocksDB
wants the ``LOCK`` a live osqueryd holds, so the database is opened read-only through a shadow
folder of symbolic links in the user's cache (``rocksdb_shadow``; retried if a compaction removes
a file between listing and opening): nothing is copied, linked or written beside the input, not
even a file's metadata. The physical column families are then mapped to
osquery's logical domains by what they hold, not by their names (osquery stores domain *n* in
column family *n − 1*).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from inspector.progress import Progress, report
from inspector.readers.database_error import DatabaseError
from inspector.readers.osquery_db import DOMAINS, Domain, database_tables
from inspector.readers.result import ReaderResult
from inspector.readers.rocksdb_damage import FamilyRead, damage_note, read_family
from inspector.readers.rocksdb_shadow import shadow_of

OPEN_TRIES = 6


def looks_like_rocksdb(path: str) -> bool:
    """A directory whose ``CURRENT`` file names a ``MANIFEST-*`` file that is there."""
    try:
        with open(os.path.join(path, "CURRENT"), "rb") as f:
            manifest = f.read(64).decode("ascii", "replace").strip()
    except OSError:
        return False
    return (
        manifest.startswith("MANIFEST-")
        and "/" not in manifest
        and os.path.isfile(os.path.join(path, manifest))
    )


def read_rocksdb(
    path: str, source: str | None = None, progress: Progress | None = None
) -> ReaderResult:
    """Read every domain of the database at ``path`` into records, status and queries."""
    source = source or path
    before = _fingerprint(path)
    physical: dict[str, Domain] = {}
    damage: dict[str, FamilyRead] = {}
    try:
        with shadow_of(path) as shadow:
            for attempt in range(OPEN_TRIES):
                report(progress, 0.05, f"{source}: opening the database")
                started = _fingerprint(path)
                try:
                    report(progress, 0.3, f"{source}: reading the database")
                    damage.clear()
                    physical = _read_all(shadow.path, path, damage)
                    break
                except DatabaseError:
                    # A live osqueryd flushed or compacted between listing and opening: again.
                    if _fingerprint(path) == started or attempt == OPEN_TRIES - 1:
                        raise
                    shadow.refresh()
    except PermissionError as exc:
        raise DatabaseError(f"{path}: permission denied reading {exc.filename or path}") from None
    after = _fingerprint(path)
    if not set(physical) & set(DOMAINS):
        names = ", ".join(sorted(physical))
        raise DatabaseError(
            f"{path}: a RocksDB database, but not osquery's (column families: {names})"
        )
    mapping, how = map_domains(physical)
    result = ReaderResult(kind="osquery_db")
    result.meta["column_families"] = {cf: len(domain) for cf, domain in physical.items()}
    result.meta["domain_mapping"] = mapping
    result.notes.append(how)
    if after == before:
        result.notes.append(
            f"the database directory is unchanged after reading ({len(after)} files checked)"
        )
    else:
        result.notes.append(
            "the database changed while it was read (a live osqueryd writing?); what was read is one "
            "consistent version of it, and nothing was written by this app"
        )
    domain_of = {cf: logical for logical, cf in mapping.items()}
    for cf, read in damage.items():
        note = damage_note(cf, domain_of.get(cf), read)
        result.notes.insert(0, note)
        result.meta.setdefault("damage", []).append(note)
    domains = {logical: physical[cf] for logical, cf in mapping.items()}
    unmapped = [cf for cf in physical if cf not in mapping.values() and len(physical[cf])]
    if unmapped:
        result.notes.append(f"column families with keys but no known domain: {', '.join(unmapped)}")
    report(progress, 0.7, f"{source}: building tables")
    database_tables(domains, source, result)
    return result


def _fingerprint(path: str) -> dict[str, tuple[int, int]]:
    """Name → (size, modification time) of every file in the directory."""
    out = {}
    for entry in os.scandir(path):
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        out[entry.name] = (info.st_size, info.st_mtime_ns)
    return out


def _read_all(shadow: str, path: str, damage: dict[str, FamilyRead]) -> dict[str, Domain]:
    """Every column family's keys and values (``damage`` gets the families that were corrupt)."""
    try:
        from rocksdict import AccessType, Options, Rdict
    except ImportError as exc:  # pragma: no cover - rocksdict is a dependency
        raise DatabaseError(f"{path}: the RocksDB binding is not installed ({exc})") from None
    try:
        families = Rdict.list_cf(shadow)
        options = {cf: Options(raw_mode=True) for cf in families if cf != "default"}
        db = Rdict(shadow, options=Options(raw_mode=True), column_families=options,
                   access_type=AccessType.read_only())  # fmt: skip
    except Exception as exc:  # rocksdict raises plain Exceptions with RocksDB's status text
        raise DatabaseError(
            f"{path}: not a readable RocksDB database ({_short(exc, shadow, path)})"
        ) from None
    try:
        out: dict[str, Domain] = {}
        for cf in families:
            handle = db if cf == "default" else db.get_column_family(cf)
            got = read_family(handle)
            out[cf] = Domain.of(got.keys, got.values)
            if got.damage is not None:
                damage[cf] = got
        return out
    except Exception as exc:
        raise DatabaseError(
            f"{path}: the database is damaged ({_short(exc, shadow, path)})"
        ) from None
    finally:
        db.close()


def _short(exc: Exception, shadow: str, path: str) -> str:
    """RocksDB's message, naming the user's database rather than its shadow folder."""
    text = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
    return text.replace(shadow, path)


def map_domains(physical: dict[str, Domain]) -> tuple[dict[str, str], str]:
    """Logical domain → physical column family, verified from what the families hold."""

    def holds(cf: str, test: Callable[[pa.Array], pa.Array]) -> bool:
        return bool(len(physical[cf])) and bool(pc.any(test(physical[cf].keys)).as_py())

    events = [cf for cf in physical if holds(cf, lambda k: pc.starts_with(k, "data."))]
    config = [
        cf
        for cf in physical
        if holds(cf, lambda k: pc.is_in(k, pa.array(["results_version", "executing_query"])))
    ]

    def query_keys(k: pa.Array) -> pa.Array:
        return pc.or_(
            pc.or_(pc.ends_with(k, "counter"), pc.ends_with(k, "epoch")),
            pc.starts_with(k, "query."),
        )

    queries = [cf for cf in physical if holds(cf, query_keys)]
    shifted = {DOMAINS[i]: cf for i, cf in enumerate(["default", *DOMAINS[:-1]]) if cf in physical}
    by_name = {d: d for d in DOMAINS if d in physical}
    evidence = {"events": events, "configurations": config, "queries": queries}

    def agrees(candidate: dict[str, str]) -> int:
        return sum(1 for domain, cfs in evidence.items() if candidate.get(domain) in cfs)

    found = sum(1 for cfs in evidence.values() if cfs)
    if found == 0:
        return (
            shifted,
            "no domain could be verified from the data (empty database?): osquery's usual off-by-one mapping assumed",
        )
    if agrees(shifted) >= agrees(by_name) and agrees(shifted) == found:
        return (
            shifted,
            "column families map to domains off by one (osquery's normal layout), verified from the data",
        )
    if agrees(by_name) == found:
        return (
            by_name,
            "column families hold the domains of their own names (not osquery's usual off-by-one layout)",
        )
    guessed = dict(shifted)
    for domain, cfs in evidence.items():
        if len(cfs) == 1:
            guessed[domain] = cfs[0]
    return guessed, "unusual layout: domains placed by what their column families hold " + str(
        {d: c for d, c in guessed.items() if d in evidence}
    )
