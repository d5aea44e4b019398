"""osquery.db folders with known contents, in osquery's layouts, for the anatomy tests.

Domains are stored off by one, as osquery does: domain *n* in column family *n − 1* (events in
``queries``, queries in ``configurations``, configurations in ``default``, logs in ``events``).
``LEGACY`` is a ≤ 4.6 events domain (``eid.``, ``indexes.``, ``records.`` keys beside the rows),
written with Debian's ``ldb`` (RocksDB 7.8); ``CURRENT`` a 4.7+ one (rows and ``optimize`` keys
only), written with rocksdict. Every figure a test expects is computed from these dicts.
"""

from __future__ import annotations

import json
import shutil
import subprocess

from rocksdict import Options, Rdict

DOMAINS_5 = ("configurations", "queries", "events", "logs", "carves")  # osquery 2.5 – 5.3
T0 = 1785846000


def family(domain: str) -> str:
    """The column family osquery keeps ``domain`` in (off by one)."""
    i = DOMAINS_5.index(domain)
    return "default" if i == 0 else DOMAINS_5[i - 1]


def row(eid: int, time: int, **columns: str) -> str:
    """A stored event row: compact JSON, every value a string, keys sorted, eid and time in."""
    values = dict(columns, eid=f"{eid:010d}", time=str(time))
    return json.dumps(dict(sorted(values.items())), separators=(",", ":"))


def config_text(events_expiry: int | None, intervals: dict[str, int]) -> str:
    """An osquery config: ``options.events_expiry`` and one scheduled query per event table."""
    doc: dict = {"options": {} if events_expiry is None else {"events_expiry": events_expiry}}
    doc["schedule"] = {
        f"q_{table}": {"query": f"SELECT * FROM {table};", "interval": interval}
        for table, interval in intervals.items()
    }
    return json.dumps(doc)


# -- 4.7+ -------------------------------------------------------------------------------------
FILE_TIMES = [0, 0, 1, 2, 2, 3, 10, 5, 11, 12]  # key order; 10 then 5: one inversion
PROCESS_TIMES = [100, 1900, 3700, 5500, 7300]  # a two-hour span
CURRENT_EVENTS = {
    **{
        f"data.inotify.file_events.{2 + i:010d}": row(
            2 + i, T0 + t, action="CREATED",
            # eid 2 and 3 hold the same event (same path, same time): one repeated content
            target_path="/etc/hosts" if i in (0, 1) else f"/tmp/f{i}",
        )
        for i, t in enumerate(FILE_TIMES)
    },
    **{
        f"data.auditeventpublisher.process_events.{100 + i:010d}": row(
            100 + i, T0 + t, cmdline=f"/bin/p{i}", pid=str(4000 + i)
        )
        for i, t in enumerate(PROCESS_TIMES)
    },
    "optimize.q_file_events": str(T0 + 12),
    "optimize_eid.q_file_events": "0000000011",
}  # fmt: skip
CURRENT_QUERIES = {
    "q_file_events": "[]",
    "q_file_eventscounter": "3",
    "q_file_eventsepoch": "0",
    "query.q_file_events": "SELECT * FROM file_events;",
}
CURRENT_CONFIG = {
    "results_version": "2",
    # file_events is read every 1500 s: its expiry rises to 3 × 1500 + 60 = 4560 s
    "config_persistence.filesystem": config_text(3600, {"file_events": 1500}),
}
CURRENT_LOGS = {"tls_r_1785846000_1": '{"name":"q"}', "tls_s_1785846000_2": '{"s":0}'}
CURRENT = {
    family("events"): CURRENT_EVENTS,
    family("queries"): CURRENT_QUERIES,
    family("configurations"): CURRENT_CONFIG,
    family("logs"): CURRENT_LOGS,
    family("carves"): {},
    "carves": {},
}
# Written, flushed to a table file, then deleted: tombstones RocksDB still holds.
CURRENT_DELETED = {family("events"): [f"data.inotify.file_events.{n:010d}" for n in (50, 51, 52)]}


def write_current(path: str) -> None:
    """The 4.7+ layout with rocksdict, the events family flushed to a table file."""
    options = Options(raw_mode=True)
    options.create_if_missing(True)
    options.create_missing_column_families(True)
    db = Rdict(
        path, options=options, column_families={cf: Options(raw_mode=True) for cf in DOMAINS_5}
    )
    try:
        for name, pairs in CURRENT.items():
            handle = db if name == "default" else db.get_column_family(name)
            for key in CURRENT_DELETED.get(name, []):
                handle[key.encode()] = b"{}"
            for key, value in pairs.items():
                handle[key.encode()] = value.encode()
            handle.flush()
            for key in CURRENT_DELETED.get(name, []):
                del handle[key.encode()]
            handle.flush()
    finally:
        db.close()


# -- ≤ 4.6 ------------------------------------------------------------------------------------
LEGACY_DATA_TIMES = {2: T0 + 891, 3: T0 + 891, 4: T0 + 950, 5: T0 + 950}
LEGACY_EVENTS = {
    **{
        f"data.inotify.file_events.{eid:010d}": row(eid, t, target_path=f"/etc/f{eid}")
        for eid, t in LEGACY_DATA_TIMES.items()
    },
    "eid.inotify.file_events": "0000000012",
    "eid.audit.process_events": "0000000010",  # a checkpoint of a subscriber without rows
    # bin 29764116 has no records key; records bin 29764117 is not listed
    "indexes.inotify.file_events.60": "29764114,29764115,29764116",
    # eid 9 has no row; eid 5 is in no bin
    "records.inotify.file_events.60.29764114": f"0000000002:{T0 + 891},0000000003:{T0 + 891},0000000009:{T0 + 891}",
    # eid 2 listed again; eid 4 with another time than its row's
    "records.inotify.file_events.60.29764115": f"0000000004:{T0 + 999},0000000002:{T0 + 891}",
    "records.inotify.file_events.60.29764117": f"0000000011:{T0 + 1020}",  # no row for eid 11
    "optimize.q_file_events": str(T0 + 950),
    "optimize_eid.q_file_events": "0000000005",
}
LEGACY_EXPECTED = {  # family → (entries, dangling, missing, repeated, time mismatch)
    "records.inotify.file_events": (6, 2, 1, 1, 1),
    "indexes.inotify.file_events": (3, 1, 1, None, None),
    "eid": (2, 1, 0, None, None),
    "optimize": (1, None, None, None, None),
    "optimize_eid": (1, None, None, None, None),
}
LEGACY = {
    family("events"): LEGACY_EVENTS,
    family("queries"): {"q_file_eventscounter": "7", "query.q_file_events": "SELECT 1;"},
    family("configurations"): {"results_version": "2"},
    family("logs"): {},
    "carves": {},
}
LEGACY_DELETED = {family("queries"): ["q_gone"]}  # put, then deleted: a memtable tombstone


def write_legacy(path: str) -> None:
    """The ≤ 4.6 layout with Debian's ``ldb`` (RocksDB 7.8.3); nothing flushed (write-ahead log)."""
    ldb = shutil.which("ldb")
    assert ldb, "ldb (rocksdb-tools) is needed"

    def run(*args: str) -> None:
        subprocess.run([ldb, f"--db={path}", *args], check=True, capture_output=True, timeout=60)

    run("--create_if_missing", "put", "results_version", "2")
    for cf in DOMAINS_5:
        run("create_column_family", cf)
    for name, pairs in LEGACY.items():
        flat = [part for kv in pairs.items() for part in kv]
        for key in LEGACY_DELETED.get(name, []):
            flat += [key, "x"]
        if flat:
            run(f"--column_family={name}", "batchput", *flat)
        for key in LEGACY_DELETED.get(name, []):
            run(f"--column_family={name}", "delete", key)


def sizes(pairs: dict[str, str]) -> tuple[int, int, int]:
    """Keys, key bytes and value bytes of a family's contents."""
    return (
        len(pairs),
        sum(len(k.encode()) for k in pairs),
        sum(len(v.encode()) for v in pairs.values()),
    )
