"""The read cache: unchanged inputs come back from it, grown logs are read from where they ended,
anything else is read afresh; nothing is ever written beside an input."""

from __future__ import annotations

import gzip
import json
import os

import pyarrow as pa
import pytest

from inspector.cli.main import main
from inspector.loading import small_files
from inspector.loading.pipeline import load
from inspector.loading.read_cache import ReadCache
from inspector.model import LoadOptions
from tests.osquery_lines import event_line, glog_line


@pytest.fixture(autouse=True)
def logs_the_cache_holds(monkeypatch):
    """These logs stand for the large logs the read cache holds: small files are read in
    batches and never cached (tests/core/test_small_files.py)."""
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)


OPTIONS = LoadOptions(tz="UTC")


def lines(first: int, count: int) -> list[str]:
    return [
        event_line(
            "pack_fim_file_events",
            {"target_path": f"/etc/f{i}", "time": str(1785846000 + i), "eid": f"{i:010d}"},
        )
        for i in range(first, first + count)
    ]


def comparable(table: pa.Table) -> list[dict]:
    return table.drop_columns(["source"]).to_pylist()


def load_with(path: str, cache: ReadCache):
    ws = load([path], OPTIONS, cache=cache)
    (source,) = ws.sources
    assert source.lines_loaded + source.lines_rejected == source.lines_read
    return ws, source


@pytest.fixture
def cache(tmp_path) -> ReadCache:
    return ReadCache(str(tmp_path / "cache"))


def test_unchanged_file_comes_back_from_the_cache_as_read(tmp_path, cache) -> None:
    log = tmp_path / "inputs" / "osqueryd.results.log"
    log.parent.mkdir()
    log.write_text("\n".join(lines(0, 50)) + "\nnot json\n")
    before = sorted(os.listdir(log.parent))
    first, s1 = load_with(str(log), cache)
    second, s2 = load_with(str(log), cache)
    assert (s1.cached, s2.cached) == (None, "cache")
    assert second.from_cache == 1
    assert comparable(second.records) == comparable(first.records)
    assert second.bad_lines.to_pylist() == first.bad_lines.to_pylist()
    assert (s2.lines_read, s2.lines_loaded, s2.lines_rejected) == (51, 50, 1)
    assert "content" in second.records.column_names
    assert sorted(os.listdir(log.parent)) == before  # nothing written beside the input
    assert cache.usage()[0] == 1


@pytest.mark.parametrize("torn", [True, False], ids=["torn-last-line", "complete-last-line"])
def test_grown_log_reads_only_its_tail(tmp_path, cache, torn) -> None:
    log = tmp_path / "osqueryd.results.log"
    body = "\n".join(lines(0, 40))
    last = lines(40, 1)[0]
    # A torn last line is half written; a complete one only lacks its newline (both happen).
    log.write_text(body + "\n" + (last[:30] if torn else last))
    _, s1 = load_with(str(log), cache)
    assert s1.lines_read == 41 and s1.lines_rejected == (1 if torn else 0)
    with open(log, "a") as f:
        f.write((last[30:] if torn else "") + "\n" + "\n".join(lines(41, 20)) + "\n")
    grown, s2 = load_with(str(log), cache)
    fresh = load([str(log)], OPTIONS)
    assert s2.cached == "tail"
    assert (s2.lines_read, s2.lines_loaded, s2.lines_rejected) == (61, 61, 0)
    assert comparable(grown.records) == comparable(fresh.records)
    again, s3 = load_with(str(log), cache)
    assert s3.cached == "cache" and comparable(again.records) == comparable(fresh.records)


def test_log_grown_twice_keeps_every_line_once(tmp_path, cache) -> None:
    log = tmp_path / "r.log"
    log.write_text("\n".join(lines(0, 10)) + "\n")
    load_with(str(log), cache)
    for first in (10, 20):
        with open(log, "a") as f:
            f.write("\n".join(lines(first, 10)) + "\n")
        ws, source = load_with(str(log), cache)
        assert source.cached == "tail"
    eids = ws.records.column("eid").to_pylist()
    assert eids == [f"{i:010d}" for i in range(30)]
    assert ws.records.column("line").to_pylist() == list(range(1, 31))


def test_rewritten_truncated_or_rotated_files_are_read_afresh(tmp_path, cache) -> None:
    log = tmp_path / "r.log"
    log.write_text("\n".join(lines(0, 30)) + "\n")
    load_with(str(log), cache)
    # Same size, different content (only the eids' digits change).
    text = log.read_text().replace('"eid":"00000000', '"eid":"99999999')
    log.write_text(text)
    ws, source = load_with(str(log), cache)
    assert source.cached is None
    assert ws.records.column("eid").to_pylist()[0] == "9999999900"
    # Truncated (copytruncate rotation) and written again: shorter than the cached read.
    log.write_text("\n".join(lines(100, 5)) + "\n")
    ws, source = load_with(str(log), cache)
    assert source.cached is None and ws.records.num_rows == 5
    # Grown, but what was read before is gone (rotated over with new content).
    log.write_text("\n".join(lines(200, 50)) + "\n")
    ws, source = load_with(str(log), cache)
    assert source.cached is None and ws.records.column("eid").to_pylist()[0] == "0000000200"


def test_damaged_entries_are_dropped_and_rebuilt(tmp_path, cache) -> None:
    log = tmp_path / "r.log"
    log.write_text("\n".join(lines(0, 30)) + "\n")
    load_with(str(log), cache)
    (entry,) = [e.path for e in os.scandir(cache.directory) if e.is_dir()]
    for name in os.listdir(entry):
        if name.startswith("records-"):
            with open(os.path.join(entry, name), "r+b") as f:
                f.truncate(100)
    ws, source = load_with(str(log), cache)
    assert source.status == "loaded" and source.cached is None and ws.records.num_rows == 30
    # entry.json that is not JSON
    (entry,) = [e.path for e in os.scandir(cache.directory) if e.is_dir()]
    with open(os.path.join(entry, "entry.json"), "w") as f:
        f.write("{not json")
    ws, source = load_with(str(log), cache)
    assert source.cached is None and ws.records.num_rows == 30
    ws, source = load_with(str(log), cache)
    assert source.cached == "cache"


def test_other_formats_and_options_are_cached_apart(tmp_path, cache) -> None:
    gz = tmp_path / "r.log.1.gz"
    gz.write_bytes(gzip.compress(("\n".join(lines(0, 20)) + "\n").encode()))
    glog = tmp_path / "osqueryd.INFO"
    glog.write_text(
        "Log file created at: 2026/08/01 10:00:00\n"
        + glog_line("I0801 10:00:01.000000  4242 init.cpp:1] osqueryd started [version=5.12.1]")
        + "\n"
    )
    for path in (gz, glog):
        load([str(path)], OPTIONS, cache=cache)
        ws, source = load_with(str(path), cache)
        assert source.cached == "cache", path
    assert ws.status.num_rows == 1
    assert load_with(str(gz), cache)[1].compression == "gzip"
    other = load([str(glog)], LoadOptions(year=2019), cache=cache)
    assert other.sources[0].cached is None  # another year for year-less lines: its own entry


def test_size_limit_evicts_least_recently_used(tmp_path, cache) -> None:
    paths = []
    for n in range(3):
        log = tmp_path / f"r{n}.log"
        log.write_text("\n".join(lines(n * 100, 200)) + "\n")
        paths.append(str(log))
        load([str(log)], OPTIONS, cache=cache)
    entries, size = cache.usage()
    assert entries == 3
    load([paths[0]], OPTIONS, cache=cache)  # r0 used last: r1 is the oldest now
    cache.set_limit(size * 2 // 3)
    assert cache.usage()[0] == 2
    assert load([paths[0]], OPTIONS, cache=cache).sources[0].cached == "cache"
    assert load([paths[1]], OPTIONS, cache=cache).sources[0].cached is None
    cache.set_limit(1000)  # smaller than any entry: nothing is kept
    assert cache.usage()[0] == 0
    assert load([paths[2]], OPTIONS, cache=cache).sources[0].cached is None
    assert cache.usage()[0] == 0


def test_unwritable_cache_still_loads(tmp_path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    log = tmp_path / "r.log"
    log.write_text("\n".join(lines(0, 5)) + "\n")
    ws = load([str(log)], OPTIONS, cache=ReadCache(str(blocker / "cache")))
    assert ws.records.num_rows == 5 and ws.sources[0].status == "loaded"


def test_cache_command_shows_limits_and_clears(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    log = tmp_path / "r.log"
    log.write_text("\n".join(lines(0, 5)) + "\n")
    assert main(["scan", "--json", "-q", str(log)]) in (0, 1)
    capsys.readouterr()
    assert main(["cache", "--limit", "2GB"]) == 0
    out = capsys.readouterr().out
    assert "1 input," in out and "of 2.0 GB allowed" in out
    assert ReadCache().limit == 2 * 10**9
    assert main(["scan", "--json", "-q", "--no-cache", str(log)]) in (0, 1)
    report = json.loads(capsys.readouterr().out)
    assert report["sources"][0]["rows"] == 5
    assert main(["cache", "--clear"]) == 0
    assert "0 inputs" in capsys.readouterr().out
    assert ReadCache().usage() == (0, 0)
    with pytest.raises(SystemExit):
        main(["cache", "--limit", "lots"])


def test_a_full_or_read_only_cache_never_stops_a_load(tmp_path, cache, monkeypatch) -> None:
    log = tmp_path / "r.log"
    log.write_text("\n".join(lines(0, 10)) + "\n")
    load_with(str(log), cache)
    log.write_text("\n".join(lines(50, 12)) + "\n")  # changed: its entry is stale now

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("inspector.loading.read_cache.tempfile.mkdtemp", no_space)
    ws, source = load_with(str(log), cache)
    assert source.status == "loaded" and ws.records.num_rows == 12


def test_a_log_written_to_while_it_is_read_is_cached_up_to_where_the_read_began(
    tmp_path, cache
) -> None:
    from inspector.loading.cached_read import read_through_cache
    from inspector.loading.pipeline import _read_file

    log = tmp_path / "osqueryd.results.log"
    log.write_text("\n".join(lines(0, 30)) + "\n")

    def read_while_the_agent_appends(end):
        with open(log, "a") as f:  # the agent writes on while we read
            f.write("\n".join(lines(30, 5)) + "\n")
        return _read_file(str(log), OPTIONS, None, end)

    result, _, how = read_through_cache(
        cache, str(log), str(log), OPTIONS, read_while_the_agent_appends
    )
    assert how == "read" and result.lines_read == 30 and result.records.num_rows == 30
    ws, source = load_with(str(log), cache)  # the 5 appended lines come as the tail
    assert source.cached == "tail" and ws.records.num_rows == 35
    assert comparable(ws.records) == comparable(load([str(log)], OPTIONS).records)


def test_one_entry_serves_every_zone_and_the_viewers_zone_changes_nothing(
    tmp_path, cache, monkeypatch
):
    """Readers keep glog's wall clock; the zone is applied after the cache, so a read cached
    under one zone is placed correctly under another, and this machine's zone plays no part."""
    glog = tmp_path / "osqueryd.INFO"
    glog.write_text(
        "Log file created at: 2026/08/01 10:00:00\n"
        + glog_line("I0801 10:00:01.000000  4242 init.cpp:1] osqueryd started [version=5.12.1]")
        + "\n"
    )
    utc = load([str(glog)], LoadOptions(tz="UTC"), cache=cache)
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    tokyo = load([str(glog)], LoadOptions(tz="Asia/Tokyo"), cache=cache)
    assert tokyo.sources[0].cached == "cache"
    utc_time = utc.status.column("log_time")[0].as_py()
    assert (utc_time - tokyo.status.column("log_time")[0].as_py()).total_seconds() == 9 * 3600
    unknown = load([str(glog)], LoadOptions(), cache=cache)  # no --tz, no evidence: UTC assumed
    assert unknown.status.column("log_time")[0].as_py() == utc_time
    assert unknown.status_clocks.column("basis").to_pylist() == ["assumed"]
