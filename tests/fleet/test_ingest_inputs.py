"""What `fleet ingest` is given, as users give it: the same files reached twice, datasets in
odd places, a pipeline's objects over several runs and batches, damaged objects."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from inspector.fleet import ingest as ingest_module
from inspector.fleet import layout
from inspector.fleet.ingest import ingest
from inspector.fleet.scan import fleet_scan, read_small
from tests.fleet.test_fleet_scan import rows_of

T0 = 1_793_577_600  # 2026-11-02T00:00:00Z


def _status(host: str, t: int, message: str) -> dict:
    return {"hostIdentifier": host, "calendarTime": "", "unixTime": t, "severity": 0,
            "filename": "events.cpp", "line": 10, "message": message}  # fmt: skip


def _event(host: str, t: int, k: int, eid: int) -> dict:
    columns = {"action": "CREATED", "target_path": f"/srv/app/{k}.conf", "time": str(t - 5),
               "inode": str(k), "eid": f"{eid:010d}"}  # fmt: skip
    return {"name": "pack_fim_file_events", "hostIdentifier": host, "unixTime": t, "epoch": 0,
            "counter": eid, "numerics": False, "action": "added", "columns": columns}  # fmt: skip


def _object(root: str, hour: int, name: str, lines: list[dict]) -> str:
    folder = os.path.join(root, "2026", "11", "02", f"{hour:02d}")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode()))
    return path


def write_hourly_pipeline(root: str, status_hour: int = 0) -> None:
    """One host whose publishers only the status lines of one hour's object name (neutral
    paths: no platform evidence in the rows), delivering every event twice from the second
    hour on. ``status_hour`` 2: the status lines reached the pipeline last (sent late)."""
    host = "web-02"
    eid = 0
    started = _status(host, T0 + 1, "Starting event publisher run loop: inotify")
    first = [started] if status_hour == 0 else []
    for k in range(40):
        eid += 1
        first.append(_event(host, T0 + 60 + k * 60, k, eid))
    _object(root, 0, "a.gz", first)
    for hour in (1, 2):
        later = []
        for k in range(40):
            for _ in range(2):  # each event twice, with a new eid
                eid += 1
                later.append(_event(host, T0 + hour * 3600 + 60 + k * 60, 100 * hour + k, eid))
        _object(root, hour, f"b{hour}.gz", later + ([started] if status_hour == hour else []))


def test_a_file_reached_twice_is_read_once(pipeline_root, pipeline_dataset, tmp_path):
    one_object = next(
        os.path.join(d, f) for d, _, fs in sorted(os.walk(pipeline_root)) for f in sorted(fs)
    )
    hour_folder = os.path.dirname(one_object)
    hard_link = str(tmp_path / "linked.gz")
    os.link(one_object, hard_link)
    dataset = str(tmp_path / "ds")
    done = ingest([pipeline_root, pipeline_root, hour_folder, one_object, hard_link], dataset)
    assert done.manifest.num_rows == 150  # the pipeline's objects, each once
    assert len(done.repeated) >= 150 + 2
    assert rows_of(fleet_scan(dataset).findings) == rows_of(fleet_scan(pipeline_dataset).findings)
    # a link to a folder already ingested is the same files: nothing new
    link = str(tmp_path / "link")
    os.symlink(pipeline_root, link)
    again = ingest([link], dataset)
    assert again.manifest.num_rows == 0 and again.skipped_known == 150


def test_the_dataset_never_goes_inside_an_input(pipeline_root, tmp_path):
    inside = os.path.join(pipeline_root, "ds")
    with pytest.raises(ValueError, match="inside the input"):
        ingest([pipeline_root], inside)
    assert not os.path.exists(inside)
    with pytest.raises(ValueError, match="inside the input"):
        ingest([pipeline_root], pipeline_root)
    dataset = tmp_path / "ds"
    dataset.mkdir()
    (dataset / "logs").mkdir()
    with pytest.raises(ValueError, match="inside the dataset"):
        ingest([str(dataset / "logs")], str(dataset))
    (dataset / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="neither empty nor a fleet dataset"):
        ingest([pipeline_root], str(dataset))
    assert sorted(os.listdir(dataset)) == ["logs", "notes.txt"]


def test_a_dataset_of_another_format_or_a_newer_version_is_refused(pipeline_root, tmp_path):
    dataset = tmp_path / "ds"
    dataset.mkdir()
    (dataset / "dataset.json").write_text(json.dumps({"format": "something else", "version": 1}))
    with pytest.raises(ValueError, match="does not describe a fleet dataset"):
        ingest([pipeline_root], str(dataset))
    newer = {"format": layout.FORMAT_NAME, "version": layout.FORMAT_VERSION + 1}
    (dataset / "dataset.json").write_text(json.dumps(newer))
    with pytest.raises(ValueError, match="update it"):
        ingest([pipeline_root], str(dataset))
    assert sorted(os.listdir(dataset)) == ["dataset.json"]


def _file_events_publishers(dataset: str) -> list:
    records = pq.read_table(os.path.join(dataset, "records"), schema=layout.RECORDS)
    mine = records.filter(pc.equal(records.column("subscriber"), "file_events"))
    return sorted(set(mine.column("publisher").to_pylist()), key=str)


def test_hour_by_hour_ingests_know_the_publishers_of_earlier_hours(tmp_path):
    whole, hourly = str(tmp_path / "whole"), str(tmp_path / "hourly")
    write_hourly_pipeline(whole)
    one_shot = str(tmp_path / "one_shot")
    ingest([whole], one_shot)
    expected = rows_of(fleet_scan(one_shot).findings)
    assert len(expected) == 1 and _file_events_publishers(one_shot) == ["inotify"]

    stepwise = str(tmp_path / "stepwise")
    for hour in ("00", "01", "02"):  # the pipeline's hours arrive one after another
        target = os.path.join(hourly, "2026", "11", "02", hour)
        shutil.copytree(os.path.join(whole, "2026", "11", "02", hour), target)
        assert ingest([hourly], stepwise).manifest.num_rows == 1
    assert _file_events_publishers(stepwise) == ["inotify"]
    assert rows_of(fleet_scan(stepwise).findings) == expected


@pytest.mark.parametrize("status_hour", [0, 2])
def test_every_batch_of_one_ingest_knows_what_the_others_found(tmp_path, monkeypatch, status_hour):
    """Batches read apart: the one holding the status lines names the publisher for the rows of
    the others, whether it comes first or last."""
    root = str(tmp_path / "pipe")
    write_hourly_pipeline(root, status_hour)
    one_shot = str(tmp_path / "one_shot")
    ingest([root], one_shot)
    assert _file_events_publishers(one_shot) == ["inotify"]
    monkeypatch.setattr(ingest_module, "BATCH_FILES", 1)  # every object a batch of its own
    batched = str(tmp_path / "batched")
    done = ingest([root], batched)
    assert done.late_publishers == []
    assert _file_events_publishers(batched) == ["inotify"]
    assert rows_of(fleet_scan(batched).findings) == rows_of(fleet_scan(one_shot).findings)
    mapping = read_small(batched, "mapping").to_pylist()
    assert {(m["publisher"], m["how"]) for m in mapping} == {
        ("inotify", "query name; its rows fit; publisher from platform linux")
    }
    hosts = read_small(batched, "hosts").to_pylist()
    assert {h["platform"] for h in hosts} == {"linux"}


def test_damaged_empty_and_foreign_objects_say_so_as_scan_does(tmp_path):
    root = str(tmp_path / "pipe")
    write_hourly_pipeline(root)
    folder = os.path.join(root, "2026", "11", "02", "03")
    os.makedirs(folder)
    good = gzip.compress(b"".join(json.dumps(_event("h", T0, k, k)).encode() + b"\n"
                                  for k in range(50)))  # fmt: skip
    damaged = {
        "cut.gz": good[: len(good) // 2],
        "empty.json": b"",
        "empty.gz": gzip.compress(b""),
        "noise.bin": bytes(range(256)) * 8,
    }
    for name, data in damaged.items():
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
    dataset = str(tmp_path / "ds")
    done = ingest([root], dataset)
    by_name = {os.path.basename(r["path"]): r for r in done.manifest.to_pylist()}
    assert by_name["empty.json"]["status"] == "skipped"
    assert by_name["empty.json"]["reason"] == "empty file"
    assert by_name["empty.gz"]["status"] == "skipped"
    assert by_name["noise.bin"]["status"] == "skipped"
    assert "binary data" in by_name["noise.bin"]["reason"]
    cut = by_name["cut.gz"]
    assert cut["status"] == "loaded" and 0 < cut["lines_loaded"] < 50
    assert "truncated" in (cut["notes"] or "")
    for r in done.manifest.to_pylist():  # every line accounted for
        assert r["lines"] == r["lines_loaded"] + r["lines_rejected"], r["path"]
    assert pa.types.is_string(done.manifest.schema.field("status").type)


def _glog(t: int, where: str, message: str) -> str:
    g = time.gmtime(t - 5 * 3600)  # the agent's wall clock: UTC−05:00
    return f"I{g.tm_mon:02d}{g.tm_mday:02d} {g.tm_hour:02d}:{g.tm_min:02d}:{g.tm_sec:02d}.000000  4242 {where}] {message}"  # noqa: E501


def test_a_host_whose_status_clock_changes_between_runs_is_named(tmp_path):
    """A status log ingested before the results that tell its zone: the first run assumes
    UTC (and says so); the second infers UTC−05:00 and says the earlier lines keep theirs."""
    folder = tmp_path / "mac-07"
    folder.mkdir()
    status = ["Log file created at: 2026/11/01 19:00:00", "Running on machine: mac-07"]
    results = []
    for run in range(1, 40):
        t = T0 + run * 60
        status.append(_glog(t, "scheduler.cpp:100", "Executing scheduled query pack_ps"))
        results.append(json.dumps({"name": "pack_ps", "hostIdentifier": "mac-07", "unixTime": t,
                                   "epoch": 0, "counter": run, "numerics": False,
                                   "action": "added", "columns": {"pid": str(run)}}))  # fmt: skip
    (folder / "osqueryd.INFO.20261101-190000.4242").write_text("\n".join(status) + "\n")
    dataset = str(tmp_path / "ds")
    first = ingest([str(folder)], dataset)
    assert [(c["host"], c["basis"], c["zone"]) for c in first.clocks.to_pylist()] == [
        ("mac-07", "assumed", "UTC")
    ]
    assert first.clock_changes == []
    (folder / "osqueryd.results.log").write_text("\n".join(results) + "\n")
    second = ingest([str(folder)], dataset)
    assert second.manifest.num_rows == 1  # only the new results log is written
    assert [(c["basis"], c["offset_minutes"]) for c in second.clocks.to_pylist()] == [
        ("inferred", -300)
    ]
    (change,) = second.clock_changes
    assert change.startswith("mac-07:") and "UTC−05:00" in change and "UTC (assumed)" in change


def test_a_rotated_log_is_not_read_again_and_the_new_one_is(tmp_path):
    """logrotate renames results.log to results.log.1 and starts a new results.log: the
    renamed file was read (same device, inode, size and time), the new one is new."""
    folder = tmp_path / "web-1"
    folder.mkdir()
    first = [json.dumps(_event("web-1", T0 + 60 * k, k, k)) for k in range(30)]
    second = [json.dumps(_event("web-1", T0 + 3600 + 60 * k, 100 + k, 100 + k)) for k in range(20)]
    log = folder / "osqueryd.results.log"
    log.write_text("\n".join(first) + "\n")
    dataset = str(tmp_path / "ds")
    assert ingest([str(folder)], dataset).manifest.num_rows == 1
    log.rename(folder / "osqueryd.results.log.1")
    log.write_text("\n".join(second) + "\n")
    again = ingest([str(folder)], dataset)
    assert again.manifest.column("path").to_pylist() == [str(log)]
    assert again.renamed == [(str(folder / "osqueryd.results.log.1"), str(log))]
    assert again.changed == []
    records = pq.read_table(os.path.join(dataset, "records"), schema=layout.RECORDS)
    assert records.num_rows == 50  # each event once


def test_a_second_ingest_while_one_writes_is_refused(pipeline_root, tmp_path):
    dataset = str(tmp_path / "ds")
    ingest([], dataset)  # makes the dataset
    with ingest_module.writing_lock(dataset), pytest.raises(ValueError, match="another fleet"):
        ingest([pipeline_root], dataset)
    assert ingest([pipeline_root], dataset).manifest.num_rows == 150  # once it is done


def test_a_file_whose_name_is_not_utf8_is_left_out_with_a_reason(tmp_path):
    root = str(tmp_path / "pipe")
    write_hourly_pipeline(root)
    folder = os.path.join(root, "2026", "11", "02", "00")
    odd = os.path.join(os.fsencode(folder), b"bad-\xff-name.gz")
    shutil.copy(os.path.join(folder, "a.gz"), odd)
    done = ingest([root], str(tmp_path / "ds"))
    assert done.manifest.num_rows == 3
    ((path, reason),) = done.problems
    assert path.endswith("bad-\\xff-name.gz") and "not valid UTF-8" in reason


def test_hours_ingested_out_of_order_name_the_rows_left_without_a_publisher(tmp_path):
    whole, late = str(tmp_path / "whole"), str(tmp_path / "late")
    write_hourly_pipeline(whole)
    dataset = str(tmp_path / "ds")
    shutil.copytree(os.path.join(whole, "2026", "11", "02", "01"),
                    os.path.join(late, "2026", "11", "02", "01"))  # fmt: skip
    first = ingest([late], dataset)  # a later hour first: no status line names a publisher
    assert first.late_publishers == []
    shutil.copytree(os.path.join(whole, "2026", "11", "02", "00"),
                    os.path.join(late, "2026", "11", "02", "00"))  # fmt: skip
    second = ingest([late], dataset)
    (warning,) = second.late_publishers
    assert warning.startswith("web-02: rows of file_events") and "inotify" in warning


def test_identities_survive_a_remount_and_older_manifests():
    from inspector.fleet import sources

    before, remounted = "120:1700000000000000000:64769:42", "120:1700000000000000000:65024:42"
    assert sources.same_identity(before, remounted)  # a new device number: the same file
    assert sources.file_key(before) == sources.file_key(remounted)
    assert sources.same_identity("120:1700000000000000000", before)  # written before inodes
    assert not sources.same_identity("121:1700000000000000000", before)
    assert not sources.same_file(before, "300:1700000000000000009:64769:43")  # rotated in
    assert sources.same_file(before, "300:1700000000000000009:64769:42")  # grown
    assert not sources.same_identity("dir:3:100:5", "dir:3:100:6")
    assert sources.file_key("dir:3:100:5") is None


def _deny_reading(monkeypatch, denied: str) -> None:
    """Reading ``denied`` fails as a file of mode 000 does for a user without root's override
    (the suite may run as root, for whom chmod denies nothing)."""
    from inspector.loading import small_files
    from inspector.readers.sniff import Head

    real_of, real_open = Head.of.__func__, small_files.open_regular

    def deny_head(cls, path):
        if path == denied:
            raise PermissionError(13, "Permission denied", path)
        return real_of(cls, path)

    def deny_open(path):
        if path == denied:
            raise PermissionError(13, "Permission denied", path)
        return real_open(path)

    monkeypatch.setattr(Head, "of", classmethod(deny_head))
    monkeypatch.setattr(small_files, "open_regular", deny_open)


def _one_second(monkeypatch) -> None:
    """Every ingest in the same second, its random part sorting lower each time: the order of
    the runs is then what ``new_ingest_id`` makes of it."""
    import datetime as dt

    frozen = dt.datetime(2026, 12, 7, 9, 0, 0, tzinfo=dt.UTC)

    class Frozen(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    falling = iter(f"{n:06x}" for n in range(0xFFFFFF, 0, -1))
    monkeypatch.setattr(ingest_module.dt, "datetime", Frozen)
    monkeypatch.setattr(ingest_module.secrets, "token_hex", lambda n: next(falling)[: 2 * n])


def test_ingest_ids_keep_the_runs_order_within_a_second():
    later = ingest_module.new_ingest_id(after="20991231T000000Zffffff")
    assert later > "20991231T000000Zffffff" and "-" not in later


@pytest.mark.parametrize("same_second", [False, True])
def test_an_object_that_could_not_be_read_is_read_by_the_next_ingest(
    tmp_path, monkeypatch, same_second
):
    """Permission denied once is no reason to leave the file out for ever: the manifest keeps
    the failure (the scan's accounting counts it) until a later run reads the file — also
    when both runs fall in one second."""
    from inspector.fleet.accounting import ingest_accounting

    if same_second:
        _one_second(monkeypatch)
    root = str(tmp_path / "pipe")
    write_hourly_pipeline(root)
    denied = os.path.join(root, "2026", "11", "02", "01", "b1.gz")
    dataset = str(tmp_path / "ds")
    with monkeypatch.context() as patch:
        _deny_reading(patch, denied)
        first = ingest([root], dataset)
    (failed,) = [r for r in first.manifest.to_pylist() if r["status"] == "error"]
    assert failed["path"] == denied and "permission denied" in failed["reason"]
    assert ingest_accounting(dataset).files_not_read == 1
    again = ingest([root], dataset)  # readable now
    assert again.manifest.to_pylist()[0]["path"] == denied
    assert again.manifest.to_pylist()[0]["status"] == "loaded" and again.skipped_known == 2
    records = pq.read_table(os.path.join(dataset, "records"), schema=layout.RECORDS)
    assert records.num_rows == 40 + 80 + 80  # each event once
    assert ingest_accounting(dataset).files_not_read == 0
    assert ingest([root], dataset).manifest.num_rows == 0  # and not a third time


def test_an_hour_folder_that_cannot_be_listed_is_named(tmp_path, monkeypatch):
    root = str(tmp_path / "pipe")
    write_hourly_pipeline(root)
    hidden = os.path.join(root, "2026", "11", "02", "01")
    real_scandir = os.scandir

    def deny(path="."):
        if os.fspath(path) == hidden:
            raise PermissionError(13, "Permission denied", hidden)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", deny)
    done = ingest([root], str(tmp_path / "ds"))
    assert done.manifest.num_rows == 2
    assert done.problems == [(hidden, "cannot list directory: Permission denied")]


def test_a_file_that_crashed_the_reader_is_not_read_again_and_again(tmp_path, monkeypatch):
    """Only a passing failure (the file system's) is tried again: a parser crash would crash
    the same way, logging its traceback each time."""
    from inspector.fleet import manifest_rows

    assert manifest_rows.tried_again("error", "permission denied: /x")
    assert manifest_rows.tried_again("error", "cannot read /x: Input/output error")
    assert not manifest_rows.tried_again("error", "could not be read (ValueError: x); please …")
    assert not manifest_rows.tried_again("skipped", "permission denied")
    root = str(tmp_path / "pipe")
    write_hourly_pipeline(root)
    dataset = str(tmp_path / "ds")
    import inspector.loading.pipeline as pipeline

    real = pipeline._read_file
    crashed = os.path.join(root, "2026", "11", "02", "01", "b1.gz")

    def crash(path, *args, **kwargs):
        if path == crashed:
            raise ValueError("a reader bug")
        return real(path, *args, **kwargs)

    from inspector.loading import small_files

    real_open = small_files.open_regular

    def alone(path):  # not joined to a batch: read on its own, by _read_file
        if path == crashed:
            raise OSError(5, "Input/output error", path)
        return real_open(path)

    with monkeypatch.context() as patch:
        patch.setattr(pipeline, "_read_file", crash)
        patch.setattr(small_files, "open_regular", alone)
        first = ingest([root], dataset)
    assert [r["status"] for r in first.manifest.to_pylist() if r["path"] == crashed] == ["error"]
    assert ingest([root], dataset).manifest.num_rows == 0


def test_records_naming_no_host_are_said_in_their_files_notes(tmp_path):
    """A pipeline that strips hostIdentifier (or writes null) leaves rows no --hosts pattern
    selects: the ingest says how many, per file; the rows are kept."""
    rows = [_event("web-1", T0 + 60, 1, 1), _event("web-1", T0 + 120, 2, 2)]
    rows[1]["hostIdentifier"] = None
    stripped = _event("web-1", T0 + 180, 3, 3)
    del stripped["hostIdentifier"]
    root = str(tmp_path / "pipe")
    path = _object(root, 0, "a.gz", [*rows, stripped])
    done = ingest([root], str(tmp_path / "ds"))
    (row,) = done.manifest.to_pylist()
    assert row["path"] == path and row["rows"] == 3
    assert "2 records name no host (no hostIdentifier, or null)" in row["notes"]
    clean = str(tmp_path / "clean")
    _object(clean, 0, "b.gz", [_event("web-1", T0 + 60, 1, 1)])
    assert ingest([clean], str(tmp_path / "ds2")).manifest.to_pylist()[0]["notes"] is None
