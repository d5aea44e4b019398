"""osquery.db: read every domain without changing a byte or a file in the database directory."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import time

import duckdb
import pyarrow.compute as pc
import pytest
from rocksdict import Options, Rdict

from inspector.demo.database import physical_family
from inspector.demo.writer import write_run
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.readers.osquery_db import DOMAINS


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("db-demo")
    truth = write_run(str(out), "openbsm-double", seed=5, hours=6, size=3_000_000)
    return out, truth, out / truth["database"]["path"]


def create_db(path, families) -> Rdict:
    """A new RocksDB database at ``path`` with these column families (the caller closes it)."""
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    options.create_missing_column_families(True)
    return Rdict(
        str(path), options=options, column_families={cf: Options(raw_mode=True) for cf in families}
    )


def fingerprint(folder) -> dict[str, str]:
    """Every file of the folder with the hash of its content."""
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in sorted(os.listdir(folder))
        if (folder / name).is_file()
    }


def db_source(ws):
    return next(
        s for s in ws.sources if s.kind in ("osquery_db", "error") and s.path.endswith("osquery.db")
    )


def test_demo_database_events_per_subscriber(demo) -> None:
    out, truth, db = demo
    before = fingerprint(db)
    ws = load([str(out)], LoadOptions(tz="UTC"))
    assert fingerprint(db) == before
    source = db_source(ws)
    assert source.status == "loaded" and source.kind == "osquery_db"
    assert any("off by one (osquery's normal layout)" in n for n in source.notes)
    con = duckdb.connect()
    con.register("r", ws.records)
    counts = dict(
        con.sql(
            "SELECT CAST(publisher AS VARCHAR) || '.' || CAST(subscriber AS VARCHAR), count(*) FROM r "
            "WHERE CAST(format AS VARCHAR) = 'database_event' GROUP BY 1"
        ).fetchall()
    )
    assert counts == truth["database"]["buffered_events"]
    # The doubled subscription is visible in the buffer: identical rows, same time, other eids.
    rows, distinct = con.sql(
        """SELECT count(*), count(DISTINCT regexp_replace(columns, '"eid":"[0-9]+",?', ''))
           FROM r WHERE CAST(format AS VARCHAR) = 'database_event' AND CAST(subscriber AS VARCHAR) = 'process_events'"""
    ).fetchall()[0]
    assert rows > distinct
    keys = con.sql("SELECT key, eid FROM r WHERE key LIKE 'data.%' LIMIT 1").fetchall()[0]
    assert keys[0].endswith(keys[1])
    assert {h["host"] for h in ws.hosts.to_pylist()} == {"mbp-demo-01"}


def test_stored_results_and_queries(demo) -> None:
    _out, _, db = demo
    ws = load([str(db)])
    stored = ws.records.filter(
        pc.equal(ws.records.column("format").cast("string"), "database_stored")
    )
    assert stored.num_rows > 0
    assert set(stored.column("query").cast("string").to_pylist()) == {
        "listening_ports",
        "pack_osquery-monitoring_osquery_info",
    }
    assert stored.column("counter")[0].as_py() is not None
    queries = {q["query"]: q["subscriber"] for q in ws.queries.to_pylist()}
    assert queries["pack_audit_process_events"] == "process_events"


def test_untouched_while_another_process_holds_it_open(demo, tmp_path) -> None:
    _, _, db = demo
    copy = tmp_path / "osquery.db"
    shutil.copytree(db, copy)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom rocksdict import Rdict, Options\n"
         f"cfs = Rdict.list_cf({str(copy)!r})\n"
         f"db = Rdict({str(copy)!r}, options=Options(raw_mode=True), "
         "column_families={c: Options(raw_mode=True) for c in cfs if c != 'default'})\n"
         "print('open', flush=True)\ntime.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        time.sleep(0.5)
        before = fingerprint(copy)
        ws = load([str(copy)])
        assert fingerprint(copy) == before
        assert db_source(ws).status == "loaded"
        assert ws.records.num_rows > 0
    finally:
        holder.kill()
        holder.wait()


def test_untouched_read_only_directory(demo, tmp_path) -> None:
    _, _truth, db = demo
    copy = tmp_path / "ro" / "osquery.db"
    shutil.copytree(db, copy)
    for name in os.listdir(copy):
        os.chmod(copy / name, stat.S_IRUSR | stat.S_IRGRP)
    os.chmod(copy, stat.S_IRUSR | stat.S_IXUSR)
    try:
        before = fingerprint(copy)
        names = sorted(os.listdir(copy))
        ws = load([str(tmp_path / "ro")])
        assert fingerprint(copy) == before and sorted(os.listdir(copy)) == names
        assert db_source(ws).status == "loaded"
    finally:
        os.chmod(copy, stat.S_IRWXU)


def test_foreign_and_broken_databases_are_one_clear_error(tmp_path) -> None:
    foreign = tmp_path / "other.db"
    db = create_db(foreign, ["sessions"])
    db[b"user:1"] = b"alice"
    db.close()
    broken = tmp_path / "broken.db"
    broken.mkdir()
    (broken / "CURRENT").write_text("MANIFEST-000001\n")
    (broken / "MANIFEST-000001").write_bytes(os.urandom(300))
    (tmp_path / "r.log").write_text(
        '{"name":"q","hostIdentifier":"h","unixTime":1785846896,"columns":{"a":"1"},"action":"added"}\n'
    )
    ws = load([str(tmp_path)])
    by_name = {os.path.basename(s.path): s for s in ws.sources}
    assert by_name["other.db"].status == "error" and "not osquery's" in by_name["other.db"].reason
    assert str(foreign) in by_name["other.db"].reason
    assert by_name["broken.db"].status == "error" and str(broken) in by_name["broken.db"].reason
    assert by_name["r.log"].status == "loaded" and ws.records.num_rows == 1


def test_legacy_index_layout_is_cross_checked(tmp_path) -> None:
    path = tmp_path / "osquery.db"
    db = create_db(path, DOMAINS[:5])
    events = db.get_column_family(physical_family("events"))
    for eid in (2, 3, 4):
        events[f"data.inotify.file_events.{eid:010d}".encode()] = json.dumps(
            {"eid": f"{eid:010d}", "target_path": "/etc/x", "time": "1785846891"}
        ).encode()
    events[b"eid.inotify.file_events"] = b"0000000012"
    events[b"indexes.inotify.file_events.60"] = b"29764114"
    events[b"records.inotify.file_events.60.29764114"] = (
        b"0000000002:1785846891,0000000003:1785846891,0000000009:1785846891"
    )
    db[b"results_version"] = b"2"
    db.close()
    ws = load([str(path)])
    source = db_source(ws)
    note = next(n for n in source.notes if "≤ 4.6 layout" in n)
    assert (
        "3 events" in note and "1 without a data row" in note and "1 data rows not indexed" in note
    )
    assert ws.records.num_rows == 3


def test_database_dump_text(demo, tmp_path) -> None:
    _, truth, db = demo
    families = Rdict.list_cf(str(db))
    handle = Rdict(str(db), options=Options(raw_mode=True),
                   column_families={c: Options(raw_mode=True) for c in families if c != "default"})  # fmt: skip
    lines = []
    try:
        for domain in DOMAINS:
            cf = physical_family(domain)
            if cf not in families:
                continue
            store = handle if cf == "default" else handle.get_column_family(cf)
            lines += [f"{domain}[{k.decode()}]: {v.decode()}" for k, v in store.items()]
    finally:
        handle.close()
    dump = tmp_path / "dump.txt"
    dump.write_text("\n".join(lines) + "\n")
    ws = load([str(dump)])
    (source,) = ws.sources
    assert source.kind == "database_dump" and source.lines_rejected == 0
    events = ws.records.filter(
        pc.equal(ws.records.column("format").cast("string"), "database_event")
    )
    assert events.num_rows == sum(truth["database"]["buffered_events"].values())


@pytest.mark.skipif(
    shutil.which("ldb") is None,
    reason="Debian's rocksdb-tools (ldb) is not installed; scripts/setup.sh installs it where it can",
)
def test_database_written_by_another_rocksdb_version(tmp_path) -> None:
    path = str(tmp_path / "osquery.db")

    def ldb(*args: str) -> None:
        subprocess.run(["ldb", f"--db={path}", *args], check=True, capture_output=True, timeout=60)

    ldb("--create_if_missing", "put", "results_version", "2")
    for cf in DOMAINS[:5]:
        ldb("create_column_family", cf)
    row = {"eid": "0000000002", "target_path": "/etc/hosts", "time": "1785846891"}
    ldb(
        f"--column_family={physical_family('events')}",
        "put",
        "data.inotify.file_events.0000000002",
        json.dumps(row),
    )
    ldb(f"--column_family={physical_family('queries')}", "put", "pack_fim_file_eventscounter", "4")
    before = fingerprint(tmp_path / "osquery.db")
    ws = load([path])
    assert fingerprint(tmp_path / "osquery.db") == before
    source = db_source(ws)
    assert source.status == "loaded"
    (row_read,) = ws.records.to_pylist()
    assert (row_read["publisher"], row_read["subscriber"], row_read["eid"]) == (
        "inotify",
        "file_events",
        "0000000002",
    )
    assert row_read["event_time"].timestamp() == 1785846891


def test_scan_lists_the_database(demo) -> None:
    out, truth, db = demo
    before = fingerprint(db)
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "scan", str(out), "--tz", "UTC"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    for ns, n in truth["database"]["buffered_events"].items():
        publisher, subscriber = ns.split(".")
        assert f"events buffered: {publisher} → {subscriber}: {n:,}" in done.stdout
    assert "query pack_audit_process_events: counter" in done.stdout
    assert "the database directory is unchanged after reading" in done.stdout
    assert fingerprint(db) == before


def test_a_bad_event_time_rejects_only_that_row(tmp_path) -> None:
    path = tmp_path / "osquery.db"
    db = create_db(path, DOMAINS[:5])
    events = db.get_column_family(physical_family("events"))
    for eid, t in ((2, "1785846891"), (3, "abc"), (4, "1e400"), (5, "")):
        events[f"data.inotify.file_events.{eid:010d}".encode()] = json.dumps(
            {"eid": f"{eid:010d}", "time": t}
        ).encode()
    events[b"data."] = b"{}"
    db.close()
    ws = load([str(path)])
    assert db_source(ws).status == "loaded"
    times = [r["event_time"] for r in ws.records.to_pylist()]
    assert len(times) == 4 and times.count(None) == 3  # implausible times are NULL, the rows load
    (bad,) = ws.bad_lines.to_pylist()
    assert "data.<publisher>.<table>.<eid>" in bad["reason"]


def test_stray_current_and_manifest_files_are_not_a_database(tmp_path) -> None:
    (tmp_path / "CURRENT").write_text("x\n")
    (tmp_path / "MANIFEST-1").write_bytes(b"")
    (tmp_path / "r.log").write_text(
        '{"name":"q","hostIdentifier":"h","unixTime":1785846896,"columns":{"a":"1"},"action":"added"}\n'
    )
    ws = load([str(tmp_path)])
    assert ws.records.num_rows == 1


def test_dump_rejections_name_their_text_line(tmp_path) -> None:
    dump = tmp_path / "dump.txt"
    dump.write_text(
        "configurations[results_version]: 2\nconfigurations[a]: 1\nevents[bogus.key]: x\n"
        "events[data.openbsm.process_events.0000000002]: {not json\n"
    )
    ws = load([str(dump)])
    assert [r["line"] for r in ws.bad_lines.to_pylist()] == [3, 4]


@pytest.mark.skipif(
    shutil.which("ldb") is None, reason="Debian's rocksdb-tools (ldb) is not installed"
)
def test_demo_database_opens_with_an_older_rocksdb(demo) -> None:
    _, _, db = demo
    done = subprocess.run(
        ["ldb", f"--db={db}", "--ignore_unknown_options", f"--column_family={physical_family('events')}", "scan",
         "--max_keys=3"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "data." in done.stdout


def metadata(folder) -> dict[str, tuple[int, int, int, int]]:
    """Every file of the folder with (inode, link count, ctime, mtime)."""
    out = {}
    for name in sorted(os.listdir(folder)):
        info = os.stat(folder / name, follow_symlinks=False)
        out[name] = (info.st_ino, info.st_nlink, info.st_ctime_ns, info.st_mtime_ns)
    return out


def test_reading_changes_no_metadata_and_leaves_no_shadow(demo, tmp_path, monkeypatch) -> None:
    """No hard links (they change ctime and link count), no copies; the shadow folder goes."""
    from inspector.readers import rocksdb_shadow

    _, _, db = demo
    copy = tmp_path / "osquery.db"
    shutil.copytree(db, copy)
    root = tmp_path / "shadows"
    monkeypatch.setattr(rocksdb_shadow, "shadow_root", lambda: str(root))
    time.sleep(0.05)  # a ctime change would show at this resolution
    before = metadata(copy)
    ws = load([str(copy)])
    assert db_source(ws).status == "loaded" and ws.records.num_rows > 0
    assert metadata(copy) == before
    assert not os.path.exists(root) or os.listdir(root) == []


def test_a_killed_reads_shadow_folder_is_removed_by_the_next_start(tmp_path, demo) -> None:
    from inspector.readers.rocksdb_shadow import SHADOW_PREFIX, ShadowFolder

    _, _, db = demo
    root = tmp_path / "shadows"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    stale = root / f"{SHADOW_PREFIX}{dead}-abc"
    stale.mkdir(parents=True)
    (stale / "CURRENT").symlink_to(db / "CURRENT")
    shadow = ShadowFolder(str(db), root=str(root))
    try:
        assert not stale.exists()
        assert os.path.islink(os.path.join(shadow.path, "CURRENT"))
        assert not any(n.startswith(("LOCK", "LOG")) for n in os.listdir(shadow.path))
    finally:
        shadow.close()
    assert os.listdir(root) == []
