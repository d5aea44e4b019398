"""The read cache finds a file by its content after a rotation renamed it, so a rotation does not
re-read the whole set."""

from __future__ import annotations

import os
import shutil

import pyarrow.compute as pc
import pytest

from inspector.loading import read_cache, small_files
from inspector.loading.pipeline import load
from inspector.loading.read_cache import ReadCache
from inspector.model import LoadOptions
from tests.core.test_cache import comparable, lines


@pytest.fixture(autouse=True)
def logs_the_cache_holds(monkeypatch):
    """These logs stand for the large logs the read cache holds: small files are read in
    batches and never cached (tests/core/test_small_files.py)."""
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)


OPTIONS = LoadOptions(tz="UTC")


@pytest.fixture
def cache(tmp_path) -> ReadCache:
    return ReadCache(str(tmp_path / "cache"))


def how(ws, name: str) -> str | None:
    return next(s.cached for s in ws.sources if os.path.basename(s.path) == name)


def test_a_renamed_log_comes_from_the_cache_under_its_new_name(tmp_path, cache) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    live = folder / "osqueryd.results.log"
    live.write_text("\n".join(lines(0, 40)) + "\n")
    first = load([str(folder)], OPTIONS, cache=cache)
    read_cache.flush()
    os.rename(live, folder / "osqueryd.results.log.1")  # osquery's rotation
    live.write_text("\n".join(lines(40, 5)) + "\n")
    second = load([str(folder)], OPTIONS, cache=cache)
    assert how(second, "osqueryd.results.log.1") == "cache"
    assert how(second, "osqueryd.results.log") is None  # new content: read
    rotated = second.records.filter(
        pc.equal(
            second.records.column("source").cast("string"), str(folder / "osqueryd.results.log.1")
        )
    )
    assert comparable(rotated) == comparable(first.records)  # every row, named by the new path


def test_a_log_that_grew_before_it_was_rotated_reads_only_its_tail(tmp_path, cache) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    live = folder / "osqueryd.results.log"
    live.write_text("\n".join(lines(0, 40)) + "\n")
    load([str(folder)], OPTIONS, cache=cache)
    read_cache.flush()
    with open(live, "a") as f:
        f.write("\n".join(lines(40, 10)) + "\n")
    os.rename(live, folder / "osqueryd.results.log.1")
    second = load([str(folder)], OPTIONS, cache=cache)
    (source,) = second.sources
    assert source.cached == "tail"
    assert second.records.num_rows == 50
    assert source.lines_read == 50 and source.lines_loaded == 50
    assert set(second.records.column("source").cast("string").to_pylist()) == {source.path}


def test_a_copy_comes_from_the_cache(tmp_path, cache) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    live = folder / "messages.log"
    live.write_text("\n".join(lines(0, 40)) + "\n")
    load([str(live)], OPTIONS, cache=cache)
    read_cache.flush()
    shutil.copyfile(live, folder / "messages.log.1")  # logrotate's copytruncate
    os.truncate(live, 0)
    ws = load([str(folder / "messages.log.1")], OPTIONS, cache=cache)
    assert ws.sources[0].cached == "cache" and ws.records.num_rows == 40


def test_a_rotation_shifting_every_name_reads_only_the_new_live_log(tmp_path, cache) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    base = folder / "osqueryd.results.log"
    for k, first in ((3, 0), (2, 10), (1, 20)):
        (folder / f"osqueryd.results.log.{k}").write_text("\n".join(lines(first, 10)) + "\n")
    base.write_text("\n".join(lines(30, 10)) + "\n")
    load([str(folder)], OPTIONS, cache=cache)
    read_cache.flush()
    os.unlink(folder / "osqueryd.results.log.3")  # past the limit
    for k in (2, 1):  # every name now holds what the one before it held
        os.rename(folder / f"osqueryd.results.log.{k}", folder / f"osqueryd.results.log.{k + 1}")
    os.rename(base, folder / "osqueryd.results.log.1")
    base.write_text("\n".join(lines(40, 5)) + "\n")
    ws = load([str(folder)], OPTIONS, cache=cache)
    cached = {os.path.basename(s.path): s.cached for s in ws.sources}
    assert cached == {
        "osqueryd.results.log.3": "cache",
        "osqueryd.results.log.2": "cache",
        "osqueryd.results.log.1": "cache",
        "osqueryd.results.log": None,
    }
    assert ws.records.num_rows == 35
    eids = ws.records.column("eid").to_pylist()
    assert eids == sorted(eids)  # oldest first, each row once
