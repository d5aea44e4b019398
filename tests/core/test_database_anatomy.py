"""The database anatomy: every figure against a database built here with known contents."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.database.expiry import ExpirySettings, expiry_settings
from inspector.database.key_order import inversions, key_order_health
from inspector.database.report import anatomy
from tests import db_layouts as L

needs_ldb = pytest.mark.skipif(shutil.which("ldb") is None, reason="Debian's ldb is not installed")


@pytest.fixture(scope="module")
def current_db(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("current") / "osquery.db")
    L.write_current(path)
    return path


@pytest.fixture(scope="module")
def legacy_db(tmp_path_factory) -> str:
    if shutil.which("ldb") is None:
        pytest.skip("Debian's ldb (rocksdb-tools) is not installed")
    path = str(tmp_path_factory.mktemp("legacy") / "osquery.db")
    L.write_legacy(path)
    return path


def by(table, *names) -> dict:
    return {
        tuple(r[n] for n in names) if len(names) > 1 else r[names[0]]: r for r in table.to_pylist()
    }


# -- column families --------------------------------------------------------------------------
def test_families_are_named_as_rocksdb_lists_them_with_the_domain_they_hold(current_db) -> None:
    report = anatomy(current_db)
    families = by(report.column_families, "name")
    assert set(families) == {"default", *L.DOMAINS_5}
    # off by one: domain n in family n − 1; the last family holds nothing
    assert {n: f["domain"] for n, f in families.items()} == {
        "default": "configurations", "configurations": "queries", "queries": "events",
        "events": "logs", "logs": "carves", "carves": None,
    }  # fmt: skip
    assert report.events_family == "queries"
    for name, pairs in L.CURRENT.items():
        keys, key_bytes, value_bytes = L.sizes(pairs)
        f = families[name]
        assert (f["keys"], f["key_bytes"], f["value_bytes"]) == (keys, key_bytes, value_bytes), name
    total = sum(sum(L.sizes(p)[1:]) for p in L.CURRENT.values())
    assert report.database_bytes == total
    events = families["queries"]
    assert events["share"] == pytest.approx(sum(L.sizes(L.CURRENT_EVENTS)[1:]) / total)


def test_rocksdb_properties_and_tombstones(current_db) -> None:
    report = anatomy(current_db)
    props = report.properties["queries"]
    keys = len(L.CURRENT_EVENTS)
    deleted = len(L.CURRENT_DELETED["queries"])
    table = props["rocksdb.aggregated-table-properties"]
    # two flushes: the rows and the rows to delete, then the deletions
    assert table["entries"] == keys + 2 * deleted and table["deletions"] == deleted
    assert props["tombstones"] == deleted
    assert props["rocksdb.estimate-num-keys"] is not None
    assert props["rocksdb.total-sst-files-size"] > 0
    assert sum(props["files_per_level"]) >= 2
    assert props["unreadable"] == []
    families = by(report.column_families, "name")
    assert families["queries"]["tombstones"] == deleted
    assert families["queries"]["sst_bytes"] == props["rocksdb.total-sst-files-size"]


def test_key_length_distribution(current_db) -> None:
    report = anatomy(current_db)
    lengths = sorted(len(k) for k in L.CURRENT_EVENTS)
    dist = report.key_lengths["queries"]
    assert (dist["min"], dist["max"]) == (lengths[0], lengths[-1])
    assert dist["histogram"] == [[n, lengths.count(n)] for n in sorted(set(lengths))]
    assert dist["mean"] == pytest.approx(np.mean(lengths))
    assert report.key_lengths["carves"]["min"] is None


def test_key_classes_split_the_events_family(current_db) -> None:
    report = anatomy(current_db)
    classes = {(r["family"], r["class"]): r for r in report.key_classes.to_pylist()}
    file_rows = {k: v for k, v in L.CURRENT_EVENTS.items() if k.startswith("data.inotify.")}
    got = classes[("queries", "data.inotify.file_events")]
    assert (got["keys"], got["key_bytes"], got["value_bytes"]) == L.sizes(file_rows)
    assert classes[("queries", "optimize")]["keys"] == 1
    assert (
        classes[("events", "results")]["keys"] == 1 and classes[("events", "status")]["keys"] == 1
    )
    assert classes[("configurations", "counters")]["keys"] == 2


# -- subscribers --------------------------------------------------------------------------------
def test_events_per_subscriber_span_and_expiry(current_db) -> None:
    report = anatomy(current_db)
    subs = by(report.subscribers, "publisher", "subscriber")
    files = subs[("inotify", "file_events")]
    rows = {k: v for k, v in L.CURRENT_EVENTS.items() if k.startswith("data.inotify.")}
    assert files["events"] == 10
    assert files["bytes"] == sum(len(v) for v in rows.values())
    assert files["key_bytes"] == sum(len(k) for k in rows)
    assert files["oldest"].timestamp() == L.T0 and files["newest"].timestamp() == L.T0 + 12
    assert files["span_seconds"] == 12
    assert files["events_per_hour"] == pytest.approx(10 * 3600 / 60)  # a span under a minute: 1 min
    assert (files["first_eid"], files["last_eid"]) == (2, 11)
    assert files["distinct_times"] == len(set(L.FILE_TIMES))
    assert files["ram_index_bytes"] == len(set(L.FILE_TIMES)) * 96 + 10 * 8
    # 3 × 1500 + 60 = 4560 s beats options.events_expiry (3600): osquery's min_expiry rule
    assert files["expiry_seconds"] == 4560 and files["expiry_keeps_up"] is True
    process = subs[("auditeventpublisher", "process_events")]
    assert process["span_seconds"] == 7200 and process["expiry_seconds"] == 3600
    assert process["span_over_expiry"] == pytest.approx(2.0)
    assert process["expiry_keeps_up"] is False  # 7200 s buffered against 3600 s + a minute
    assert process["events_per_hour"] == pytest.approx(5 / 2)
    assert "config_persistence.filesystem in the database" in report.expiry.source


def test_without_a_config_no_verdict_and_an_explicit_expiry_wins(tmp_path) -> None:
    path = str(tmp_path / "osquery.db")
    saved = dict(L.CURRENT_CONFIG)
    L.CURRENT_CONFIG.pop("config_persistence.filesystem")
    try:
        L.write_current(path)
    finally:
        L.CURRENT_CONFIG.update(saved)
    report = anatomy(path)
    assert set(report.subscribers.column("expiry_keeps_up").to_pylist()) == {None}
    assert any("no config says events_expiry" in n for n in report.notes)
    report = anatomy(path, events_expiry=10_000)
    assert set(report.subscribers.column("expiry_keeps_up").to_pylist()) == {True}


def test_expiry_rules() -> None:
    flags = ("osquery.flags", "--verbose\n--events_expiry=7200\n")
    config = ("osquery.conf", L.config_text(None, {"process_events": 1200}))
    settings = expiry_settings([flags])
    assert settings.events_expiry == 7200 and "--events_expiry" in settings.source
    # a config without events_expiry keeps the flags' value
    settings = expiry_settings([flags, config])
    assert settings.events_expiry == 7200
    # 3 × 1200 = 3600, a multiple of 60, still rises to 3660 (osquery adds 60 − m % 60)
    assert settings.effective("process_events") == 7200
    assert ExpirySettings(3600, "x", {"process_events": 1200}).effective("process_events") == 3660
    # a config alone without events_expiry means osquery's default
    alone = expiry_settings([config])
    assert alone.events_expiry == 3600 and "default" in alone.source
    assert expiry_settings([config], explicit=60).events_expiry == 60
    assert expiry_settings([]).effective("process_events") is None
    # syslog_events keeps its own flag (30 days by default); an explicit expiry applies to all
    assert settings.effective("syslog_events") == 30 * 86400
    flags = ("osquery.flags", "--events_expiry=7200\n--syslog_events_expiry=600\n")
    assert expiry_settings([flags]).effective("syslog_events") == 600
    assert expiry_settings([flags], explicit=60).effective("syslog_events") == 60


def test_key_order_against_time_order(current_db) -> None:
    report = anatomy(current_db)
    files = by(report.subscribers, "publisher", "subscriber")[("inotify", "file_events")]
    times = np.array(L.FILE_TIMES)
    assert files["adjacent_decreasing"] == pytest.approx(1 / 9)
    assert files["inversions"] == 1  # (10, 5)
    assert files["inversion_fraction"] == pytest.approx(1 / (10 * 9 / 2))
    assert files["late_events"] == int(np.sum(times < np.maximum.accumulate(times)))
    assert files["max_lag_seconds"] == 5


def brute_inversions(v: list[int]) -> int:
    return sum(1 for i in range(len(v)) for j in range(i + 1, len(v)) if v[i] > v[j])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 40), max_size=70))
def test_inversions_match_the_definition(values) -> None:
    assert inversions(np.array(values, dtype=np.int64)) == brute_inversions(values)


def test_inversions_of_reversed_and_sorted_keys() -> None:
    n = 1000
    health = key_order_health(np.arange(n, 0, -1).astype(float))
    assert health["inversions"] == n * (n - 1) // 2 and health["inversion_fraction"] == 1.0
    assert key_order_health(np.arange(n).astype(float))["inversion_fraction"] == 0.0
    assert key_order_health(np.array([np.nan, 3.0, np.nan, 1.0]))["inversions"] == 1


# -- duplicated content ---------------------------------------------------------------------
def test_repeated_content_under_different_eids(current_db) -> None:
    report = anatomy(current_db)
    dup = by(report.duplicated, "publisher", "subscriber")
    files = dup[("inotify", "file_events")]
    assert (files["rows"], files["distinct"], files["extra_rows"]) == (10, 9, 1)
    assert files["factor"] == pytest.approx(10 / 9) and files["repeated_contents"] == 1
    assert files["first_repeat"].timestamp() == L.T0 == files["last_repeat"].timestamp()
    process = dup[("auditeventpublisher", "process_events")]
    assert (process["rows"], process["distinct"], process["first_repeat"]) == (5, 5, None)
    # by time: the repeated pair sits in the first bucket
    timeline = [r for r in report.timeline.to_pylist() if r["subscriber"] == "file_events"]
    assert sum(r["events"] for r in timeline) == 10
    first = min(timeline, key=lambda r: r["start"])
    assert first["events"] - first["distinct"] == 1
    assert all(r["events"] == r["distinct"] for r in timeline if r is not first)


# -- index-like keys --------------------------------------------------------------------------
def test_current_layout_has_only_optimize_cursors(current_db) -> None:
    report = anatomy(current_db)
    indexes = by(report.indexes, "family")
    assert set(indexes) == {"optimize", "optimize_eid"}
    opt = indexes["optimize"]
    key, value = "optimize.q_file_events", L.CURRENT_EVENTS["optimize.q_file_events"]
    assert (opt["entries"], opt["keys"], opt["bytes"]) == (1, 1, len(key) + len(value))
    assert opt["dangling"] is None and opt["missing"] is None and opt["ram_bytes"] == 8


@needs_ldb
def test_legacy_index_families_cost_and_consistency(legacy_db) -> None:
    report = anatomy(legacy_db)
    indexes = by(report.indexes, "family")
    assert set(indexes) == set(L.LEGACY_EXPECTED)
    width = {"records": 16, "indexes": 8, "eid": 8, "optimize": 8, "optimize_eid": 8}
    for family, (entries, dangling, missing, repeated, mismatch) in L.LEGACY_EXPECTED.items():
        row = indexes[family]
        got = (
            row["entries"],
            row["dangling"],
            row["missing"],
            row["repeated"],
            row["time_mismatch"],
        )
        assert got == (entries, dangling, missing, repeated, mismatch), family
        assert row["ram_bytes"] == entries * width[row["kind"]]
        prefix = family if row["kind"] not in ("eid", "optimize", "optimize_eid") else family + "."
        keys = {k: v for k, v in L.LEGACY_EVENTS.items() if k.startswith(prefix)}
        assert row["bytes"] == sum(len(k) + len(v) for k, v in keys.items()), family
        assert row["keys"] == len(keys)
        assert row["share"] == pytest.approx(row["bytes"] / report.database_bytes)


@needs_ldb
def test_legacy_database_written_by_another_rocksdb(legacy_db) -> None:
    report = anatomy(legacy_db)
    families = by(report.column_families, "name")
    assert (
        families["queries"]["domain"] == "events"
        and families["default"]["domain"] == "configurations"
    )
    for name, pairs in L.LEGACY.items():
        assert families[name]["keys"] == len(pairs), name
    # ldb flushes what its write-ahead log holds when it opens: the deletion is in a table file
    props = report.properties["configurations"]
    assert props["rocksdb.aggregated-table-properties"]["deletions"] == 1
    assert props["tombstones"] == 1
    subs = by(report.subscribers, "publisher", "subscriber")
    assert subs[("inotify", "file_events")]["events"] == 4


def test_tombstones_still_in_the_write_ahead_log_count_too(tmp_path) -> None:
    """Read-only, RocksDB replays the log into a memtable: its deletes are tombstones too."""
    from rocksdict import Options, Rdict

    path = str(tmp_path / "osquery.db")
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    options.create_missing_column_families(True)
    db = Rdict(path, options=options, column_families={"queries": Options(raw_mode=True)})
    family = db.get_column_family("queries")  # closing flushes only the default family
    for i in range(5):
        family[f"k{i}".encode()] = b"v"
    for i in range(3):
        del family[f"k{i}".encode()]
    db.close()
    props = anatomy(path).properties["queries"]
    assert props["rocksdb.num-deletes-active-mem-table"] == 3 and props["tombstones"] == 3
    assert props["rocksdb.num-entries-active-mem-table"] == 8


# -- never writing ---------------------------------------------------------------------------
def folder_metadata(folder: str) -> dict:
    """Every entry with its content hash, inode, link count, ctime and mtime."""
    out = {}
    for name in sorted(os.listdir(folder)):
        full = os.path.join(folder, name)
        info = os.stat(full, follow_symlinks=False)
        with open(full, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        out[name] = (digest, info.st_ino, info.st_nlink, info.st_ctime_ns, info.st_mtime_ns)
    return out


def test_reading_changes_nothing_in_the_folder(current_db, tmp_path, monkeypatch) -> None:
    from inspector.readers import rocksdb_shadow

    root = tmp_path / "shadows"
    monkeypatch.setattr(rocksdb_shadow, "shadow_root", lambda: str(root))
    time.sleep(0.05)  # a ctime change would show at this resolution
    before = folder_metadata(current_db)
    report = anatomy(current_db)
    assert folder_metadata(current_db) == before
    assert report.unchanged and any("unchanged after reading" in n for n in report.notes)
    assert os.listdir(root) == []  # the shadow folder is gone


def test_not_a_database_is_one_clear_error(tmp_path) -> None:
    from inspector.readers.database_error import DatabaseError

    with pytest.raises(DatabaseError, match=str(tmp_path)):
        anatomy(str(tmp_path))
    broken = tmp_path / "broken.db"
    broken.mkdir()
    (broken / "CURRENT").write_text("MANIFEST-000001\n")
    (broken / "MANIFEST-000001").write_bytes(os.urandom(300))
    with pytest.raises(DatabaseError, match=r"broken\.db"):
        anatomy(str(broken))


def test_the_anatomy_agrees_with_the_records_the_app_loads(tmp_path) -> None:
    """The demo's doubled openbsm subscription: the same events and duplicates as the app sees."""
    import duckdb

    from inspector.demo.writer import write_run
    from inspector.loading.pipeline import load

    truth = write_run(str(tmp_path), "openbsm-double", seed=3, hours=2, size=1_000_000)
    db = str(tmp_path / truth["database"]["path"])
    report = anatomy(db)
    events = {
        f"{r['publisher']}.{r['subscriber']}": r["events"] for r in report.subscribers.to_pylist()
    }
    assert events == truth["database"]["buffered_events"]
    con = duckdb.connect()
    con.register("r", load([db]).records)
    loaded = {
        (p, s): (n, d)
        for p, s, n, d in con.sql(
            "SELECT CAST(publisher AS VARCHAR), CAST(subscriber AS VARCHAR), count(*), "
            "count(DISTINCT content) FROM r WHERE CAST(format AS VARCHAR) = 'database_event' "
            "GROUP BY ALL"
        ).fetchall()
    }
    measured = {(r["publisher"], r["subscriber"]): (r["rows"], r["distinct"])
                for r in report.duplicated.to_pylist()}  # fmt: skip
    assert measured == loaded
    assert any(n > d for n, d in measured.values())  # the doubled subscription shows


def test_a_foreign_database_is_refused_and_an_empty_one_measured(tmp_path) -> None:
    from rocksdict import Options, Rdict

    from inspector.readers.database_error import DatabaseError

    def create(path, families):
        options = Options(raw_mode=True)
        options.create_if_missing(True)
        options.create_missing_column_families(True)
        return Rdict(str(path), options=options,
                     column_families={cf: Options(raw_mode=True) for cf in families})  # fmt: skip

    foreign = create(tmp_path / "other.db", ["sessions"])
    foreign[b"user:1"] = b"alice"
    foreign.close()
    with pytest.raises(DatabaseError, match="not osquery's"):
        anatomy(str(tmp_path / "other.db"))
    create(tmp_path / "empty.db", L.DOMAINS_5).close()
    report = anatomy(str(tmp_path / "empty.db"))
    assert report.database_bytes == 0 and report.events_family == "queries"
    assert report.subscribers.num_rows == report.indexes.num_rows == report.timeline.num_rows == 0
    assert any("no domain could be verified" in n for n in report.notes)


def test_report_json_leads_with_the_contract_fields(current_db) -> None:
    from inspector.cli.summary import json_default
    from inspector.database.json_doc import report_json

    doc = json.loads(json.dumps(report_json(anatomy(current_db)), default=json_default))
    assert list(doc)[:5] == ["database", "column_families", "subscribers", "indexes", "duplicated"]
    leading = {
        "column_families": ["name", "domain", "keys", "key_bytes", "value_bytes", "properties"],
        "subscribers": ["publisher", "subscriber", "events", "bytes", "oldest", "newest"],
        "indexes": ["family", "entries", "bytes", "dangling", "missing", "ram_bytes"],
    }
    for section, names in leading.items():
        assert list(doc[section][0])[: len(names)] == names, section
    assert list(doc["duplicated"][0])[:4] == ["publisher", "subscriber", "rows", "distinct"]
    files = next(s for s in doc["subscribers"] if s["subscriber"] == "file_events")
    assert files["oldest"] == "2026-08-04T12:20:00Z"
