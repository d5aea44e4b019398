"""A live osquery.db followed through a secondary instance in a shadow folder."""

from __future__ import annotations

import os

from inspector.demo.live_database import LiveDatabase
from inspector.live.database_follower import DatabaseFollower


def state(folder: str) -> dict[str, tuple[int, int, int]]:
    out = {}
    for e in os.scandir(folder):
        st = e.stat(follow_symlinks=False)
        out[e.name] = (st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return out


def row(i: int) -> dict[str, str]:
    return {"pid": str(i), "time": str(1_700_000_000 + i), "eid": str(i)}


def test_events_show_when_the_agent_flushes_and_only_new_ones(tmp_path):
    path = str(tmp_path / "osquery.db")
    db = LiveDatabase(path)
    follower = DatabaseFollower(path, shadow_root=str(tmp_path / "shadows"))
    try:
        for i in range(1, 6):
            db.put_event("auditeventpublisher", "process_events", i, row(i))
        assert follower.check() is None  # buffered without a write-ahead log: invisible
        db.flush()
        before = state(path)
        first = follower.check()
        assert state(path) == before  # nothing written beside the database, not even metadata
        assert first is not None and first.records.num_rows == 5
        for i in range(6, 9):
            db.put_event("auditeventpublisher", "process_events", i, row(i))
        db.put_event("inotify", "file_events", 1, row(1))
        db.flush()
        second = follower.check()
        keys = second.records.column("key").to_pylist()
        assert keys == [
            "data.auditeventpublisher.process_events.0000000006",
            "data.auditeventpublisher.process_events.0000000007",
            "data.auditeventpublisher.process_events.0000000008",
            "data.inotify.file_events.0000000001",
        ]
        assert follower.check() is None
        assert follower.events == 9
        assert follower.last_flush() is not None
    finally:
        follower.close()
        db.close()
    assert not os.path.exists(follower.shadow.path)


def test_compaction_and_expiry_between_checks(tmp_path):
    path = str(tmp_path / "osquery.db")
    db = LiveDatabase(path)
    follower = DatabaseFollower(path, shadow_root=str(tmp_path / "shadows"))
    try:
        seen = 0
        for round_ in range(6):
            for i in range(round_ * 200 + 1, round_ * 200 + 201):
                db.put_event("auditeventpublisher", "process_events", i, row(i))
            db.flush()
            if round_ == 3:  # expiry: osquery deletes old events, then compacts
                for i in range(1, 300):
                    db.events.delete(f"data.auditeventpublisher.process_events.{i:010d}".encode())
                db.db.compact_range(None, None)
                db.events.compact_range(None, None)
            got = follower.check()
            seen += got.records.num_rows if got is not None else 0
        assert seen == 1200
    finally:
        follower.close()
        db.close()
