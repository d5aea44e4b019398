"""Clear errors instead of tracebacks on the command line; outputs checked before loading and
written whole or not at all."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import textwrap
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.osquery_lines import event_line

ENTRY = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"


def cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def private_env(tmp_path) -> dict:
    env = dict(os.environ)
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


@pytest.fixture
def log(tmp_path) -> str:
    lines = [
        event_line("q", {"n": str(i), "path": f"/usr/bin/{i}"}, unix=1785846000 + i)
        for i in range(20)
    ]
    path = tmp_path / "osqueryd.results.log"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_a_mistyped_command_is_neither_a_command_nor_a_path(tmp_path) -> None:
    done = cli("scna", str(tmp_path))
    assert done.returncode == 2
    assert "'scna' is neither a command" in done.stderr and "did you mean 'scan'" in done.stderr
    done = cli("nonsense")
    assert done.returncode == 2 and "neither a command" in done.stderr


@pytest.mark.parametrize(
    ("option", "target", "words"),
    [
        ("--findings", "/nonexistent/dir/x.parquet", "/nonexistent/dir does not exist"),
        ("--records", "/etc", "is a folder"),
        ("--records", "/dev/null", "not a regular file"),
    ],
)
def test_unwritable_outputs_exit_2_before_loading(tmp_path, log, option, target, words) -> None:
    env = private_env(tmp_path)
    done = cli("scan", log, option, target, env=env)
    assert done.returncode == 2, done.stderr
    assert words in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""  # no summary: nothing was loaded
    assert not os.path.exists(tmp_path / "cache" / "osquery-inspector" / "reads")


def test_compare_out_and_bucket_are_checked_before_loading(tmp_path, log) -> None:
    env = private_env(tmp_path)
    done = cli("compare", log, log, "--out", "/nonexistent/x.parquet", env=env)
    assert done.returncode == 2 and "does not exist" in done.stderr
    done = cli("scan", log, "--bucket", "0", env=env)
    assert done.returncode == 2 and "--bucket" in done.stderr and done.stdout == ""
    assert not os.path.exists(tmp_path / "cache" / "osquery-inspector" / "reads")


def test_where_writes_only_matching_records(tmp_path, log) -> None:
    out = tmp_path / "r.parquet"
    where = "json_extract_string(columns, '$.path') IN ('/usr/bin/3', '/usr/bin/7')"
    done = cli(
        "scan", log, "--records", str(out), "--where", where, "-q", env=private_env(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    table = pq.read_table(out)
    assert sorted(table.column("line").to_pylist()) == [4, 8]
    assert "duplicate_group" in table.column_names


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("read_text('/etc/passwd') IS NOT NULL", "not a scalar function"),
        ("EXISTS (SELECT * FROM glob('/*'))", "subquery"),
        ("1=1) UNION SELECT * FROM read_csv('/etc/passwd') WHERE (1", "UNION"),
        ("hots = 'x'", 'column "hots" not found'),
    ],
)
def test_a_refused_where_exits_2_with_the_reason_and_writes_nothing(tmp_path, log, where, words):
    out = tmp_path / "r.parquet"
    done = cli("scan", log, "--records", str(out), "--where", where, env=private_env(tmp_path))
    assert done.returncode == 2
    assert "--where refused" in done.stderr and words in done.stderr
    assert not out.exists() and done.stdout == ""
    assert not os.path.exists(tmp_path / "cache" / "osquery-inspector" / "reads")


def test_where_needs_records(tmp_path, log) -> None:
    done = cli("scan", log, "--where", "line > 1", env=private_env(tmp_path))
    assert done.returncode == 2 and "--records" in done.stderr


def test_demo_into_an_impossible_folder_is_one_line(tmp_path) -> None:
    done = cli("demo", "/proc/x", env=private_env(tmp_path))
    assert done.returncode == 2
    assert "/proc/x" in done.stderr and "Traceback" not in done.stderr


def _good_parquet(path) -> None:
    pq.write_table(pa.table({"previous": [1, 2, 3]}), path)


def test_a_kill_mid_write_leaves_the_previous_file_whole(tmp_path) -> None:
    target = tmp_path / "findings.parquet"
    _good_parquet(target)
    code = textwrap.dedent(
        f"""
        import sys, time
        from inspector.atomic_file import atomic_output
        with atomic_output({str(target)!r}) as part:
            with open(part, "wb") as f:
                f.write(b"PAR1 half a file")
                f.flush()
                print("writing", flush=True)
                time.sleep(60)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    assert pq.read_table(target).column("previous").to_pylist() == [1, 2, 3]
    leftovers = [n for n in os.listdir(tmp_path) if n.endswith(".part")]
    assert len(leftovers) == 1  # the killed write's temporary file…
    from inspector.atomic_file import write_bytes_atomically

    write_bytes_atomically(str(tmp_path / "findings.parquet"), target.read_bytes())
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]  # …gone at the next


def test_a_killed_scan_leaves_the_previous_records_file_whole(tmp_path) -> None:
    from inspector.demo.writer import write_run

    write_run(str(tmp_path / "run"), "linux-control", seed=3, hours=1, size=8_000_000)
    target = tmp_path / "records.parquet"
    _good_parquet(target)
    env = private_env(tmp_path)
    args = [sys.executable, "-c", ENTRY, "scan", str(tmp_path / "run"), "--records", str(target)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    caught = False
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if any(n.endswith(".part") for n in os.listdir(tmp_path)):
                proc.send_signal(signal.SIGKILL)
                caught = True
                break
            time.sleep(0.001)
        proc.wait(timeout=60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
    table = pq.read_table(target)  # whole either way: the old file, or the complete new one
    if caught:
        assert table.column_names == ["previous"]
    else:
        assert "duplicate_group" in table.column_names


def test_a_full_disk_is_one_line_and_keeps_the_previous_file(tmp_path, log, monkeypatch) -> None:
    from inspector.cli.main import main

    target = tmp_path / "records.parquet"
    _good_parquet(target)

    def full(table, where, **kwargs):
        with open(where, "wb") as f:
            f.write(b"PAR1")
        raise OSError(errno.ENOSPC, "No space left on device", where)

    monkeypatch.setattr("pyarrow.parquet.write_table", full)
    code = main(["scan", log, "--records", str(target), "-q", "--no-cache"])
    assert code == 2
    assert pq.ParquetFile(target).schema_arrow.names == ["previous"]
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".part")]


@pytest.fixture
def tiny_disk(tmp_path):
    """A 1 MB tmpfs (needs root and mount; skipped elsewhere)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk(tmp_path, tiny_disk) -> None:
    from inspector.demo.writer import write_run

    write_run(str(tmp_path / "run"), "linux-control", seed=3, hours=1, size=3_000_000)
    target = tiny_disk / "records.parquet"
    _good_parquet(target)
    done = cli("scan", str(tmp_path / "run"), "--records", str(target), env=private_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "disk is full" in done.stderr and "Traceback" not in done.stderr
    assert pq.read_table(target).column_names == ["previous"]
    assert sorted(os.listdir(tiny_disk)) == ["records.parquet"]


def test_an_unexpected_error_is_logged_with_its_traceback(tmp_path, log, monkeypatch) -> None:
    from inspector.cli import main as cli_main
    from inspector.logs import log_file

    def broken(*args, **kwargs):
        raise RuntimeError("a bug somewhere")

    monkeypatch.setattr("inspector.cli.scan.find", broken)
    # 2, not 1: with --fail-on-findings, 1 says "findings" — a crash must not look like that
    assert cli_main.main(["scan", log, "-q", "--no-cache", "--fail-on-findings"]) == 2
    with open(log_file(), encoding="utf-8") as f:
        text = f.read()
    assert "Traceback" in text and "a bug somewhere" in text and "inspector.cli" in text
