"""Every input read: the small files' batches parse while the other inputs are read, and the
results still come in input order, each file's own."""

from __future__ import annotations

import gzip
import os
import threading

import pytest
import zstandard

from inspector.loading import all_inputs
from inspector.loading.inputs import collect_inputs
from inspector.loading.pipeline import load, read_input
from inspector.model import LoadOptions
from inspector.progress import Cancelled, Progress
from tests.osquery_lines import GLOG_HEADER_5, event_line, glog_line

WAIT = 20.0  # seconds: generous on a loaded machine; the events are set in milliseconds


def _folder(tmp_path) -> str:
    """A host folder: a results log past the small-file limit, two small results logs, a small
    glog status log (not JSON lines: read on its own) and an empty file."""
    root = tmp_path / "host"
    root.mkdir()
    unix = 1_793_595_667
    big_lines = []
    while sum(len(x) for x in big_lines) <= all_inputs.SMALL_FILE_BYTES:
        k = len(big_lines)
        big_lines.append(
            event_line("pack_fim_file_events", {"target_path": f"/b/{k}"}, unix=unix + k)
        )
    (root / "osqueryd.results.log").write_text("\n".join(big_lines) + "\n")
    (root / "osqueryd.results.log.1").write_text(
        "\n".join(
            event_line("pack_fim_file_events", {"n": str(k)}, unix=unix - 100 + k)
            for k in range(50)
        )
        + "\n"
    )
    (root / "osqueryd.snapshots.log").write_text(
        "\n".join(event_line("listening_ports", {"port": str(k)}, unix=unix + k) for k in range(7))
        + "\nnot json\n"
    )
    (root / "osqueryd.INFO").write_text(
        "\n".join([*GLOG_HEADER_5, glog_line("Event publisher not enabled: x")]) + "\n"
    )
    (root / "empty.log").write_text("")
    return str(root)


def _read_one(options: LoadOptions):
    return lambda f, part: read_input(f, options, part)


def test_results_are_each_files_own_in_input_order(tmp_path) -> None:
    files, _ = collect_inputs([_folder(tmp_path)])
    sizes = {f.path: os.path.getsize(f.path) for f in files}
    options = LoadOptions()
    got = all_inputs.read_all(files, sizes, options, None, _read_one(options))
    assert [s.path for s, _ in got] == [f.path for f in files]
    # A batch's rows are carried by its first file; each row names its own file and line.
    lines_of: dict[str, list[int]] = {}
    for _, result in got:
        if result is not None and result.records is not None:
            for path, line in zip(
                result.records.column("source").to_pylist(),
                result.records.column("line").to_pylist(),
                strict=True,
            ):
                lines_of.setdefault(path, []).append(line)
    for (source, _), f in zip(got, files, strict=True):
        alone, alone_result = read_input(f, options, None)
        assert (source.kind, source.lines_read, source.lines_loaded, source.lines_rejected) == (
            alone.kind,
            alone.lines_read,
            alone.lines_loaded,
            alone.lines_rejected,
        ), f.path
        expected = (
            alone_result.records.column("line").to_pylist()
            if alone_result is not None and alone_result.records is not None
            else []
        )
        assert sorted(lines_of.get(f.path, [])) == sorted(expected), f.path


def test_compressed_files_that_say_they_are_large_never_join_a_batch(tmp_path) -> None:
    big = b"".join(
        (event_line("pack_fim_file_events", {"n": str(k), "pad": "x" * 200}) + "\n").encode()
        for k in range(12_000)
    )  # past the small-file limit decompressed, a few hundred KB compressed
    small = b"".join(big.splitlines(keepends=True)[:10])
    (tmp_path / "big.log.zst").write_bytes(zstandard.ZstdCompressor().compress(big))
    (tmp_path / "big.log.gz").write_bytes(gzip.compress(big))
    (tmp_path / "small.log.zst").write_bytes(zstandard.ZstdCompressor().compress(small))
    (tmp_path / "small.log.gz").write_bytes(gzip.compress(small))
    files, _ = collect_inputs([str(tmp_path)])
    assert len(big) > all_inputs.SMALL_FILE_BYTES
    joinable = {os.path.basename(f.path) for f in files if all_inputs.may_join_a_batch(f)}
    assert joinable == {"small.log.zst", "small.log.gz"}
    assert all(os.path.getsize(f.path) <= all_inputs.SMALL_FILE_BYTES for f in files)
    sizes = {f.path: os.path.getsize(f.path) for f in files}
    got = all_inputs.read_all(files, sizes, LoadOptions(), None, _read_one(LoadOptions()))
    assert [s.path for s, _ in got] == [f.path for f in files]
    assert {os.path.basename(s.path): s.lines_loaded for s, _ in got} == {
        "big.log.zst": 12_000,
        "big.log.gz": 12_000,
        "small.log.zst": 10,
        "small.log.gz": 10,
    }


def test_progress_never_goes_back_and_ends_where_asked(tmp_path) -> None:
    files, _ = collect_inputs([_folder(tmp_path)])
    sizes = {f.path: os.path.getsize(f.path) for f in files}
    seen: list[float] = []
    lock = threading.Lock()

    def record(fraction: float, _message: str) -> None:
        with lock:
            seen.append(fraction)

    options = LoadOptions()
    all_inputs.read_all(files, sizes, options, Progress(record), _read_one(options), end=0.9)
    assert seen and seen == sorted(seen)
    assert max(seen) <= 0.9 + 1e-9


def test_a_cancel_stops_both_sides(tmp_path) -> None:
    files, _ = collect_inputs([_folder(tmp_path)])
    sizes = {f.path: os.path.getsize(f.path) for f in files}
    progress = Progress()
    options = LoadOptions()

    def read_one(f, part):
        progress.cancel()
        return read_input(f, options, part)

    with pytest.raises(Cancelled):
        all_inputs.read_all(files, sizes, options, progress, read_one)


def test_the_loaded_run_is_the_same_as_each_file_read_alone(tmp_path) -> None:
    folder = _folder(tmp_path)
    ws = load([folder], LoadOptions())
    by_file = {os.path.basename(s.path): s for s in ws.sources}
    assert by_file["osqueryd.snapshots.log"].lines_rejected == 1
    assert by_file["osqueryd.results.log.1"].lines_loaded == 50
    files, _ = collect_inputs([folder])
    expected = []
    for f in files:
        _, alone = read_input(f, LoadOptions(), None)
        if alone is not None and alone.records is not None:
            expected += zip(
                alone.records.column("source").to_pylist(),
                alone.records.column("line").to_pylist(),
                strict=True,
            )
    got = zip(
        ws.records.column("source").to_pylist(), ws.records.column("line").to_pylist(), strict=True
    )
    assert sorted(got) == sorted(expected)
    assert by_file["osqueryd.INFO"].kind == "status_log_glog"
