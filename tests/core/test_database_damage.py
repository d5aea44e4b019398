"""A damaged osquery.db says what it lost; odd folders and an unwritable cache are no obstacle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pyarrow.compute as pc
import pytest

from inspector.demo.writer import write_run
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from tests.osquery_lines import event_line


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("damage-demo")
    truth = write_run(str(out), "linux-control", seed=5, hours=2, size=1_500_000)
    return out, truth, out / truth["database"]["path"]


def events_of(ws) -> int:
    formats = ws.records.column("format").cast("string")
    return int(pc.sum(pc.equal(formats, "database_event")).as_py() or 0)


def biggest_table_file(db) -> str:
    tables = [n for n in os.listdir(db) if n.endswith(".sst")]
    return max(tables, key=lambda n: os.path.getsize(db / n))


def test_a_corrupt_table_file_is_reported_and_the_rest_loads(demo, tmp_path) -> None:
    _, truth, db = demo
    whole = load([str(db)], LoadOptions(tz="UTC"))
    total = events_of(whole)
    assert total == sum(truth["database"]["buffered_events"].values())
    damaged = tmp_path / "osquery.db"
    shutil.copytree(db, damaged)
    name = biggest_table_file(damaged)
    data = bytearray((damaged / name).read_bytes())
    middle = len(data) // 3
    for offset in range(middle, middle + 600, 5):  # a few hundred flipped bytes in one block
        data[offset] ^= 0x5A
    (damaged / name).write_bytes(bytes(data))

    ws = load([str(damaged)], LoadOptions(tz="UTC"))
    (source,) = ws.sources
    assert source.status == "loaded"
    note = source.notes[0]
    assert "corrupt" in note and name in note and "lost" in note
    assert source.reason is not None and "corrupt" in source.reason
    kept = events_of(ws)
    assert 0 < kept < total
    lost = int(note.split("about ")[1].split(" ")[0].replace(",", ""))
    assert kept + lost == total  # eids are sequential: the gap says exactly how many
    # The same in scan's JSON, on the source.
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))",
         "scan", str(damaged), "--json", "--no-cache"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    doc = json.loads(done.stdout)
    (entry,) = doc["sources"]
    assert (
        entry["status"] == "loaded" and "corrupt" in entry["notes"][0] and name in entry["reason"]
    )


def test_an_empty_folder_named_osquery_db_is_named_in_the_error(tmp_path) -> None:
    (tmp_path / "host" / "osquery.db").mkdir(parents=True)
    (tmp_path / "host" / "osqueryd.results.log").write_text(event_line("q", {"n": "1"}) + "\n")
    ws = load([str(tmp_path / "host")], LoadOptions(tz="UTC"))
    errors = {s.path: s.reason for s in ws.sources if s.status == "error"}
    assert list(errors) == [str(tmp_path / "host" / "osquery.db")]
    assert "empty folder named osquery.db" in errors[str(tmp_path / "host" / "osquery.db")]
    assert ws.records.num_rows == 1
    ws = load([str(tmp_path / "host" / "osquery.db")])
    (source,) = ws.sources
    assert source.status == "error" and "osquery.db" in source.reason


def test_pipes_and_devices_among_the_inputs_are_problems_never_read(tmp_path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "osqueryd.results.log").write_text(event_line("q", {"n": "1"}) + "\n")
    os.mkfifo(folder / "a-pipe")  # nobody writes to it: opening it to read would wait forever
    script = (
        "import json, sys; from inspector.loading.pipeline import load; "
        "ws = load(sys.argv[1:]); "
        "print(json.dumps([[s.path, s.status, s.reason] for s in ws.sources]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder), "/dev/null", str(folder / "a-pipe")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sources = {path: (status, reason) for path, status, reason in json.loads(done.stdout)}
    assert sources[str(folder / "osqueryd.results.log")][0] == "loaded"
    assert sources[str(folder / "a-pipe")][0] == "error"
    assert "named pipe" in sources[str(folder / "a-pipe")][1]
    assert "character device" in sources["/dev/null"][1]


def test_an_unwritable_cache_folder_does_not_stop_logs_or_the_database(demo, tmp_path) -> None:
    out = demo[0]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    env = dict(os.environ, XDG_CACHE_HOME=str(blocker / "cache"))
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))",
         "scan", str(out), "--json"],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    by_kind = {s["kind"]: s for s in doc["sources"]}
    assert by_kind["osquery_db"]["status"] == "loaded"
    assert by_kind["results_log"]["status"] == "loaded"
    assert not [s for s in doc["sources"] if s["status"] == "error"]
