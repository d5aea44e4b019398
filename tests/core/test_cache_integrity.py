"""A damaged or tampered read-cache entry is never served and never breaks a later load; a log
edited in the middle and then appended to is read again, not served stale."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from inspector.loading import cache_integrity, small_files
from inspector.loading.pipeline import load
from inspector.loading.read_cache import ReadCache, flush
from inspector.model import LoadOptions
from tests.core.test_cache import comparable, lines


@pytest.fixture(autouse=True)
def logs_the_cache_holds(monkeypatch):
    """These logs stand for the large logs the read cache holds: small files are read in
    batches and never cached (tests/core/test_small_files.py)."""
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)


OPTIONS = LoadOptions(tz="UTC")


def entry_files(cache: ReadCache) -> list[str]:
    """Every file of every complete entry."""
    out = []
    for entry in sorted(os.listdir(cache.directory)):
        folder = os.path.join(cache.directory, entry)
        if os.path.isdir(folder) and not entry.startswith("."):
            out += [os.path.join(folder, n) for n in sorted(os.listdir(folder))]
    return out


def snapshot(ws) -> tuple:
    return comparable(ws.records), ws.bad_lines.to_pylist(), ws.status.num_rows


@pytest.fixture(scope="module")
def log(tmp_path_factory) -> str:
    folder = tmp_path_factory.mktemp("log")
    path = folder / "osqueryd.results.log"
    path.write_text("\n".join(lines(0, 300)) + "\nnot json\n\n\n")
    return str(path)


@pytest.fixture(scope="module")
def truth(log) -> tuple:
    return snapshot(load([log], OPTIONS))


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_random_byte_flips_are_never_served(tmp_path_factory, log, truth, data) -> None:
    cache = ReadCache(str(tmp_path_factory.mktemp("cache")))
    load([log], OPTIONS, cache=cache)
    flush()
    files = entry_files(cache)
    target = data.draw(st.sampled_from(files), label="file")
    original = Path(target).read_bytes()
    raw = bytearray(original)
    for _ in range(data.draw(st.integers(1, 3), label="flips")):
        at = data.draw(st.integers(0, len(raw) - 1), label="offset")
        raw[at] ^= data.draw(st.integers(1, 255), label="xor")
    assume(raw != original)  # two flips of one byte may undo each other
    with open(target, "wb") as f:
        f.write(raw)
    again = load([log], OPTIONS, cache=cache)
    (source,) = again.sources
    assert source.cached is None  # read afresh, not served from the damaged entry
    assert snapshot(again) == truth
    flush()
    third = load([log], OPTIONS, cache=cache)  # the entry was stored again, whole
    assert third.sources[0].cached == "cache" and snapshot(third) == truth


def test_truncated_and_emptied_entry_files(tmp_path, log, truth) -> None:
    for cut in ("truncate", "empty", "remove"):
        cache = ReadCache(str(tmp_path / cut))
        load([log], OPTIONS, cache=cache)
        flush()
        for target in entry_files(cache):
            if target.endswith(".arrow"):
                if cut == "remove":
                    os.remove(target)
                else:
                    size = os.path.getsize(target)
                    with open(target, "r+b") as f:
                        f.truncate(size // 2 if cut == "truncate" else 0)
        assert snapshot(load([log], OPTIONS, cache=cache)) == truth


def test_an_edited_entry_json_is_not_trusted(tmp_path, log, truth) -> None:
    cache = ReadCache(str(tmp_path / "cache"))
    load([log], OPTIONS, cache=cache)
    flush()
    (meta_path,) = [p for p in entry_files(cache) if p.endswith("entry.json")]
    meta = json.loads(Path(meta_path).read_text())
    meta["lines_read"] += 5  # the accounting no longer adds up
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    again = load([log], OPTIONS, cache=cache)
    assert again.sources[0].cached is None and snapshot(again) == truth


def test_a_log_edited_in_the_middle_then_appended_is_read_again(tmp_path) -> None:
    cache = ReadCache(str(tmp_path / "cache"))
    path = tmp_path / "osqueryd.results.log"
    text = "\n".join(lines(0, 4000)) + "\n"
    path.write_text(text)
    load([str(path)], OPTIONS, cache=cache)
    flush()
    # Same length, same first and last 64 KB: only a value in the middle differs.
    middle = len(text) // 2
    at = text.index("/etc/f", middle)
    edited = text[:at] + "/etc/X" + text[at + 6 :]
    assert len(edited) == len(text)
    with open(path, "r+") as f:
        f.write(edited)
    with open(path, "a") as f:
        f.write("\n".join(lines(4000, 10)) + "\n")
    grown = load([str(path)], OPTIONS, cache=cache)
    fresh = load([str(path)], OPTIONS)
    assert grown.sources[0].cached != "tail"
    assert comparable(grown.records) == comparable(fresh.records)
    assert any('"/etc/X' in c for c in grown.records.column("columns").to_pylist())


def test_a_grown_log_still_takes_the_tail_path(tmp_path) -> None:
    cache = ReadCache(str(tmp_path / "cache"))
    path = tmp_path / "osqueryd.results.log"
    path.write_text("\n".join(lines(0, 100)) + "\n")
    load([str(path)], OPTIONS, cache=cache)
    flush()
    for step in range(3):  # the CRC of the cached part is carried on at each tail
        with open(path, "a") as f:
            f.write("\n".join(lines(100 + 10 * step, 10)) + "\n")
        grown = load([str(path)], OPTIONS, cache=cache)
        assert grown.sources[0].cached == "tail"
        assert comparable(grown.records) == comparable(load([str(path)], OPTIONS).records)


def test_many_random_flips_across_an_entry_never_crash(tmp_path, log, truth) -> None:
    rng = random.Random(7)
    cache = ReadCache(str(tmp_path / "cache"))
    for _ in range(6):
        load([log], OPTIONS, cache=cache)
        flush()
        files = entry_files(cache)
        target = rng.choice(files)
        raw = bytearray(Path(target).read_bytes())
        for _ in range(rng.randint(1, 40)):
            raw[rng.randrange(len(raw))] ^= rng.randrange(1, 256)
        with open(target, "wb") as f:
            f.write(raw)
        assert snapshot(load([log], OPTIONS, cache=cache)) == truth


def test_an_entry_written_while_the_command_exits_is_complete(tmp_path, monkeypatch) -> None:
    """``scan`` returns before the cache's writer thread is done: the entry is written while the
    interpreter shuts down, when no new thread may start (its blocks are checked on one)."""
    log = tmp_path / "osqueryd.results.log"
    log.write_text("\n".join(lines(0, 200)) + "\n")
    cache = tmp_path / "cache"
    code = f"""
import time
from inspector.loading import cache_integrity, read_cache, small_files
cache_integrity.BLOCK = 4096  # several blocks, checked on threads when it can
small_files.SMALL_FILE_BYTES = 0  # the log stands for a large one
from inspector.loading.pipeline import load
read_cache.write_later("before", lambda: time.sleep(0.5))  # the entry is written after exit
load([{str(log)!r}], cache=read_cache.ReadCache({str(cache)!r}))
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    monkeypatch.setattr(cache_integrity, "BLOCK", 4096)  # the checksums name their blocks
    assert [
        e for e in os.listdir(cache) if e.startswith(".") and not e.startswith(".identity")
    ] == []
    ws = load([str(log)], cache=ReadCache(str(cache)))
    assert ws.sources[0].cached == "cache" and ws.records.num_rows == 200
