"""Reading an agent's ``osquery.db``: the app's reader vs bare rocksdict iteration, rows per second;
and the database anatomy (``osquery-inspector db``) against the app's reader, in the same run.

The database is the demo generator's: a one-hour run, so every event it generated is still
buffered (osquery keeps the last hour). Each read is a fresh process, timed inside it.
"""

from __future__ import annotations

import os
import tempfile

from benchmarks.harness import ChildRun, Measurement, Section, child_code, from_children, run_child
from benchmarks.inputs import copy_db, osquery_db

APP = "rows = read_rocksdb({path!r}).records.num_rows"
ANATOMY = "rows = sum(anatomy({path!r}).subscribers.column('events').to_pylist())"
BARE = """\
families = Rdict.list_cf({path!r})
raw = {{cf: Options(raw_mode=True) for cf in families if cf != "default"}}
db = Rdict({path!r}, options=Options(raw_mode=True), column_families=raw,
           access_type=AccessType.read_only())
rows = 0
for cf in families:
    for _ in (db if cf == "default" else db.get_column_family(cf)).items():
        rows += 1
db.close()"""


def run(events: int, repeat: int) -> Section:
    """Write a database buffering about ``events`` events and read it both ways."""
    with tempfile.TemporaryDirectory(prefix="oqi-rocksdb-") as folder:
        path = osquery_db(folder, events)
        copy = copy_db(path, os.path.join(folder, "copy.db"))
        return _measure(path, copy, repeat)


def _measure(path: str, copy: str, repeat: int) -> Section:
    mb = sum(e.stat().st_size for e in os.scandir(path) if e.is_file()) / 1e6
    app_code = child_code(
        "from inspector.readers.rocksdb_db import read_rocksdb", APP.format(path=path)
    )
    bare_code = child_code(
        "from rocksdict import AccessType, Options, Rdict", BARE.format(path=copy)
    )
    anatomy_code = child_code(
        "from inspector.database.report import anatomy", ANATOMY.format(path=path)
    )
    app_runs: list[ChildRun] = []
    bare_runs: list[ChildRun] = []
    anatomy_runs: list[ChildRun] = []
    for _ in range(repeat):  # interleaved, so drift hits all alike
        app_runs.append(run_child(app_code))
        bare_runs.append(run_child(bare_code))
        anatomy_runs.append(run_child(anatomy_code))
    app = _row("app: `read_rocksdb` → records (through its shadow folder)", app_runs, "records")
    bare = _row("baseline: bare rocksdict `items()` over every column family", bare_runs, "pairs")
    anatomy = _row("app: `db` anatomy report (`database.report.anatomy`)", anatomy_runs, "events")
    section = Section(
        f"Reading an osquery.db ({mb:,.0f} MB on disk)",
        "A one-hour demo `openbsm-double` run's RocksDB database (all its events still buffered). "
        "App: the whole read — opening the database through a shadow folder of links, iterating, "
        "decoding the JSON rows and building the records, status and query tables. Baseline: "
        "opening a copy read-only with `Options(raw_mode=True)` and iterating `items()` of every "
        "column family, nothing decoded. Anatomy: the whole `osquery-inspector db` measurement "
        "(every key and value read, RocksDB properties, event times and content hashes, index "
        "checks, key-order inversions), compared with the app's read (goal: about its time). "
        "Fresh process per run, timed inside it; same run, interleaved.",
        [app, bare, anatomy],
    )
    if app.seconds and bare.seconds:
        app_rate = _rows(app_runs) / app.median
        bare_rate = _rows(bare_runs) / bare.median
        section.verdicts.append(
            f"the app reads {app_rate:,.0f} records/s against {bare_rate:,.0f} bare pairs/s: "
            f"{bare_rate / app_rate:.1f}× slower than iterating alone (the cost of copying, "
            "decoding and building the tables)"
        )
    else:
        section.verdicts.append("a reader failed: no ratio (see the notes)")
    if app.seconds and anatomy.seconds:
        section.verdicts.append(
            f"the anatomy report of the same database takes {anatomy.median / app.median:.2f}× "
            "the time of the app's read (goal: about 1×)"
        )
    return section


def _row(name: str, runs: list[ChildRun], unit: str) -> Measurement:
    ok = [r for r in runs if not r.error]
    if not ok:
        return Measurement(name, [], note=f"failed: {runs[0].error}")
    m = from_children(name, ok)
    m.note = f"{_rows(ok):,} {unit}, {_rows(ok) / m.median:,.0f} {unit}/s"
    if len(ok) < len(runs):
        m.note += f"; {len(runs) - len(ok)} run(s) failed"
    return m


def _rows(runs: list[ChildRun]) -> int:
    return int(next(r.result.get("rows", 0) for r in runs if not r.error))
