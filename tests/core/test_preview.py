"""The envelope-only preview of a big run: the same lanes as the full load, or none at all."""

from __future__ import annotations

import pyarrow.compute as pc

from inspector.loading import small_files
from inspector.loading.pipeline import load
from inspector.loading.preview import preview
from inspector.loading.read_cache import ReadCache
from inspector.model import LoadOptions
from tests.osquery_lines import batch_line, event_line

OPTIONS = LoadOptions(tz="UTC")


def write_lines(path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_subscribers_come_from_the_columns_as_in_the_full_load(tmp_path) -> None:
    # No config, and a query name that names no table: only the columns tell file_events.
    rows = [
        event_line(
            "watch_etc",
            {"target_path": f"/etc/f{i}", "action": "UPDATED", "category": "etc",
             "md5": "", "time": str(1785846000 + i), "eid": f"{i:010d}", "inode": "1"},
        )
        for i in range(300)
    ] + ['{"name":"watch_etc", torn']  # fmt: skip
    log = write_lines(tmp_path / "osqueryd.results.log", rows)
    early = preview([log], OPTIONS, min_bytes=0)
    full = load([log], OPTIONS)
    assert early.mapping.to_pylist() == full.mapping.to_pylist()
    assert early.records.num_rows == 300
    assert pc.min(early.records.column("event_time")) == pc.min(full.records.column("event_time"))
    assert early.records.column("subscriber").unique().to_pylist() == ["file_events"]


def test_no_preview_for_small_cached_or_batch_only_runs(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)  # the log stands for a large one
    event_log = write_lines(
        tmp_path / "events.log",
        [event_line("pack_fim_file_events", {"time": str(1785846000 + i)}) for i in range(50)],
    )
    assert preview([event_log], OPTIONS) is None  # far below PREVIEW_MIN_BYTES
    cache = ReadCache(str(tmp_path / "cache"))
    load([event_log], OPTIONS, cache=cache)
    assert preview([event_log], OPTIONS, cache, min_bytes=0) is None  # all in the cache
    batch_log = write_lines(
        tmp_path / "batch.log", [batch_line("pack_x", [{"a": "1"}], []) for _ in range(50)]
    )
    assert preview([batch_log], OPTIONS, min_bytes=0) is None  # no event-format lines
    assert preview([str(tmp_path / "missing.log")], OPTIONS, min_bytes=0) is None
