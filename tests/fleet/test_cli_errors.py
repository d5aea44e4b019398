"""The fleet command line's refusals and failures: exit status 2 (never 1, which means findings),
a message naming the option and value or the file, outputs checked before any work, and the
traceback of an unexpected failure in the app's log file."""

from __future__ import annotations

import argparse
import glob
import json
import logging
import os
import shutil
import subprocess
import sys

import pytest

from inspector.cli.main import main

ENTRY = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"


def cli(*args: str, state: str | None = None) -> subprocess.CompletedProcess:
    """The console script's entry in a child process (its log file under ``state``)."""
    env = dict(os.environ)
    if state is not None:
        env["XDG_STATE_HOME"] = state
    return subprocess.run(
        [sys.executable, "-c", ENTRY, "fleet", *args],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip


def fleet(*args: str) -> int:
    """``osquery-inspector fleet ARGS`` in this process; argparse's refusals are exit status 2."""
    try:
        return main(["fleet", *args])
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a scan, a comparison or an ingest starts."""

    def refuse(*args, **kwargs):
        raise AssertionError("the work started before the options were checked")

    import inspector.fleet.compare
    import inspector.fleet.ingest
    import inspector.fleet.scan

    monkeypatch.setattr(inspector.fleet.scan, "fleet_scan", refuse)
    monkeypatch.setattr(inspector.fleet.compare, "fleet_compare", refuse)
    monkeypatch.setattr(inspector.fleet.ingest, "ingest", refuse)


# --- times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("inf", "not a time"),
        ("-inf", "not a time"),
        ("nan", "not a time"),
        ("1e400", "not a time"),
        ("99999999999999", "outside the times"),  # ms or µs given for seconds
        ("0001-01-01", "outside the times"),
        ("-5", "outside the times"),
        ("yesterday-ish", "not a time"),
    ],
)
@pytest.mark.parametrize("option", ["--since", "--until"])
def test_a_bad_time_names_the_option_and_the_value(
    fleet_dataset, no_work, capsys, option, value, words
):
    assert fleet("scan", fleet_dataset, f"{option}={value}") == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and repr(value) in err and words in err
    assert "Traceback" not in err and "unexpected error" not in err


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2017-12-07..inf", "not a time: 'inf'"),
        ("nan..2017-12-07", "not a time: 'nan'"),
        ("2017-12-07..99999999999999", "outside the times"),
        ("2018-01-01..2017-01-01", "ends before it begins"),
        ("2018-01-01..2018-01-01", "is empty"),
        ("2018-01-01", "not a range"),
    ],
)
@pytest.mark.parametrize("option", ["--before", "--after"])
def test_a_bad_compare_range_names_the_option_and_the_value(
    fleet_dataset, no_work, capsys, option, value, words
):
    other = "--after" if option == "--before" else "--before"
    assert fleet("compare", fleet_dataset, f"{option}={value}", other, "1..2") == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and words in err
    assert "Traceback" not in err


def test_the_latest_and_earliest_times_are_accepted(fleet_dataset, capsys):
    assert fleet("scan", fleet_dataset, "--since", "0", "--until", "9999-12-31", "-q") == 0
    assert capsys.readouterr().out.startswith("4 hosts, ")


@pytest.mark.parametrize(
    ("value", "date"),
    [("20171207", "2017-12-07"), ("2017", "2017-01-01"), ("19991231", "1999-12-31")],
)
def test_a_date_without_dashes_is_not_taken_for_seconds(value, date):
    """ISO 8601's basic form (20171207) and a bare year are dates to a person; read as
    seconds they are a time in 1970 (--since would keep everything, --until nothing)."""
    from inspector.cli.fleet_options import parse_time

    with pytest.raises(argparse.ArgumentTypeError, match=f"is ambiguous: the date {date}"):
        parse_time(value)
    assert parse_time(f"{value}.0") == int(value) * 1_000_000  # seconds, said so
    assert parse_time(date) == parse_time(f"{date}T00:00Z")


@pytest.mark.parametrize("value", ["0", "3600", "20171399", "1793599200", "123456789"])
def test_plain_numbers_that_spell_no_date_are_seconds(value):
    from inspector.cli.fleet_options import parse_time

    assert parse_time(value) == int(value) * 1_000_000


def test_a_small_z_is_utc_too():
    from inspector.cli.fleet_options import parse_time

    assert (
        parse_time("2026-11-02T01:00z")
        == parse_time("2026-11-02T01:00Z")
        == parse_time("2026-11-02T01:00+00:00")
    )


def test_a_backslash_in_a_hosts_pattern_gets_a_word_on_escaping():
    from inspector.cli.fleet_options import unmatched_hosts_warnings

    (warning,) = unmatched_hosts_warnings(["db\\[1\\]"], ["db[1]", "web-1"])
    assert "[[] matches a [" in warning
    assert "backslash" not in unmatched_hosts_warnings(["nomatch"], ["db[1]"])[0]
    assert unmatched_hosts_warnings(["db[[]1]"], ["db[1]"]) == []


@pytest.mark.parametrize(
    ("since", "until"),
    [("2018-01-01", "2017-01-01"), ("2026-11-02T00:30Z", "2026-11-02T00:30:00+00:00")],
)
def test_since_not_before_until_exits_2(fleet_dataset, no_work, capsys, since, until):
    assert fleet("scan", fleet_dataset, "--since", since, "--until", until) == 2
    captured = capsys.readouterr()
    assert "--since" in captured.err and "is not before --until" in captured.err
    assert captured.out == ""


def test_the_help_says_which_times_it_takes(capsys):
    for command in ("scan", "compare"):
        assert fleet(command, "--help") == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "ISO 8601" in out and "seconds since 1970" in out and "UTC unless" in out


# --- outputs, checked before any work --------------------------------------------------------


def unwritable_targets(tmp_path) -> list[tuple[str, str]]:
    """(path, words of the reason) of outputs that cannot be written, whoever runs the tests."""
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    targets = [
        (str(tmp_path / "missing" / "x.parquet"), "does not exist"),
        (str(a_file / "x.parquet"), "Not a directory"),
        (str(tmp_path), "is a folder"),
    ]
    if os.path.isdir("/proc/self"):  # no file can be made in /proc, not even by root
        targets.append(("/proc/x.parquet", "cannot write into /proc: it does not take new files"))
    return targets


def test_unwritable_findings_and_out_exit_2_before_any_work(
    fleet_dataset, no_work, tmp_path, capsys
):
    for target, words in unwritable_targets(tmp_path):
        assert fleet("scan", fleet_dataset, "--findings", target) == 2, target
        err = capsys.readouterr().err
        assert "--findings" in err and words in err, err
        code = fleet(
            "compare", fleet_dataset, "--before", "1..2", "--after", "3..4", "--out", target
        )
        assert code == 2, target
        err = capsys.readouterr().err
        assert "--out" in err and words in err, err
    assert not glob.glob(str(tmp_path / "**" / "*.tmp"), recursive=True)


def test_an_unmakeable_dataset_exits_2_before_any_work(demo_fleet, no_work, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    targets = [
        (str(a_file), "is a file"),
        (str(a_file / "ds"), "is not a folder"),
        (str(tmp_path / "missing" / "ds"), "does not exist"),
    ]
    if os.path.isdir("/proc/self"):
        targets.append(("/proc/ds", "cannot write the dataset /proc/ds"))
    for target, words in targets:
        assert fleet("ingest", demo_fleet[0], "--to", target) == 2, target
        err = capsys.readouterr().err
        assert "--to" in err and words in err, err
    assert not os.path.exists("/proc/ds")


def test_a_failed_write_after_the_check_exits_2_and_leaves_no_file(
    fleet_dataset, tmp_path, monkeypatch, capsys
):
    import inspector.cli.fleet as cli_fleet

    def full_disk(table, where, *args, **kwargs):
        with open(where, "wb") as f:
            f.write(b"PAR1")
        raise OSError(28, "No space left on device", where)

    monkeypatch.setattr(cli_fleet.pq, "write_table", full_disk)
    out = tmp_path / "f.parquet"
    assert fleet("scan", fleet_dataset, "--findings", str(out), "--fail-on-findings", "-q") == 2
    err = capsys.readouterr().err
    assert "--findings" in err and "the disk is full" in err
    assert os.listdir(tmp_path) == []


# --- failures while working ------------------------------------------------------------------


@pytest.fixture
def corrupt_dataset(fleet_dataset, tmp_path) -> tuple[str, str]:
    """A copy of the dataset with one records part cut short; (dataset, that part)."""
    copy = str(tmp_path / "ds")
    shutil.copytree(fleet_dataset, copy)
    part = sorted(glob.glob(os.path.join(copy, "records", "*", "*.parquet")))[0]
    with open(part, "r+b") as f:
        f.truncate(100)
    return copy, part


def test_a_truncated_dataset_part_is_named_and_exits_2(corrupt_dataset, tmp_path):
    dataset, part = corrupt_dataset
    state = str(tmp_path / "state")
    runs = [
        ("scan", dataset, "--fail-on-findings"),
        ("compare", dataset, "--before", "2026-11-02T00:00Z..2026-11-02T00:14Z",
         "--after", "2026-11-02T00:32Z..2026-11-02T00:44Z"),
    ]  # fmt: skip
    for args in runs:
        done = cli(*args, state=state)
        assert done.returncode == 2, done.stderr
        assert part in done.stderr and "truncated or corrupt" in done.stderr, done.stderr
        assert "LINE 1" not in done.stderr and "Traceback" not in done.stderr
        assert "log folder" in done.stderr
    (log,) = glob.glob(os.path.join(state, "osquery-inspector", "logs", "osquery-inspector.log"))
    with open(log, encoding="utf-8") as f:
        text = f.read()
    assert "fleet scan failed" in text and "fleet compare failed" in text
    assert text.count("Traceback (most recent call last)") >= 2


def test_any_unexpected_failure_exits_2_with_the_traceback_logged(
    fleet_dataset, monkeypatch, capsys, caplog
):
    import inspector.fleet.scan

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(inspector.fleet.scan, "fleet_scan", broken)
    with caplog.at_level(logging.ERROR, logger="inspector.cli"):
        assert fleet("scan", fleet_dataset, "--fail-on-findings") == 2
    err = capsys.readouterr().err
    assert "osquery-inspector fleet scan: unexpected error (KeyError: 'a bug')" in err
    assert "log folder" in err
    (record,) = [r for r in caplog.records if r.name == "inspector.cli"]
    assert record.exc_info is not None and record.exc_info[0] is KeyError


# --- hosts -----------------------------------------------------------------------------------


def test_a_hosts_pattern_matching_no_host_is_warned_about(fleet_dataset, capsys):
    assert fleet("scan", fleet_dataset, "--hosts", "db-*", "--fail-on-findings", "-q") == 0
    captured = capsys.readouterr()
    assert "warning: --hosts 'db-*' matches none of the dataset's 4 hosts" in captured.err
    assert "mac-000" in captured.err
    assert captured.out.startswith("0 hosts, 0 records")


def test_repeated_hosts_patterns_are_a_union(fleet_dataset, capsys):
    import json

    assert fleet("scan", fleet_dataset, "--hosts", "mac-*", "--hosts", "web-003", "--json") == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert [h["host"] for h in doc["hosts"]] == ["mac-000", "mac-001", "web-003"]
    assert "warning" not in captured.err
    # one of several patterns matching nothing is still said
    assert fleet("scan", fleet_dataset, "--hosts", "mac-*", "--hosts", "Mac-*", "-q") == 0
    captured = capsys.readouterr()
    assert "'Mac-*' matches none" in captured.err and "'mac-*'" not in captured.err
    assert captured.out.startswith("2 hosts, ")


def test_compare_takes_several_hosts_patterns_and_warns_too(fleet_dataset, capsys):
    import json

    args = ["--before", "2026-11-02T00:00Z..2026-11-02T00:14Z",
            "--after", "2026-11-02T00:32Z..2026-11-02T00:44Z", "--json"]  # fmt: skip
    assert fleet("compare", fleet_dataset, "--hosts", "mac-000", "--hosts", "web-*", *args) == 0
    captured = capsys.readouterr()
    hosts = {p["host"] for p in json.loads(captured.out)["pairs"]}
    assert hosts == {"mac-000", "web-002", "web-003"}
    assert fleet("compare", fleet_dataset, "--hosts", "nomatch", *args) == 0
    assert "--hosts 'nomatch' matches none" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["scan", "compare"])
def test_an_empty_hosts_pattern_is_refused_not_taken_for_every_host(fleet_dataset, capsys, command):
    """``--hosts "$H"`` with H unset: refused, not a scan of the whole fleet."""
    ranges = ["--before", "1..2", "--after", "3..4"] if command == "compare" else []
    assert fleet(command, fleet_dataset, "--hosts", "", *ranges) == 2
    err = capsys.readouterr().err
    assert "--hosts" in err and "an empty pattern" in err


# --- ingest ----------------------------------------------------------------------------------


def test_ingest_of_only_missing_sources_makes_no_dataset(tmp_path, capsys):
    dataset = tmp_path / "ds_x"
    assert (
        fleet("ingest", str(tmp_path / "nope"), str(tmp_path / "nope2"), "--to", str(dataset)) == 2
    )
    err = capsys.readouterr().err
    assert "no such file or folder" in err and "nope2" in err
    assert not dataset.exists()


def test_ingest_of_unreadable_sources_leaves_no_new_dataset(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    dataset = tmp_path / "ds_y"
    assert fleet("ingest", str(empty), "--to", str(dataset), "-q") == 2
    assert "no readable input" in capsys.readouterr().err
    assert not dataset.exists()


def test_a_missing_source_among_others_is_a_warning_and_the_rest_loads(
    demo_fleet, tmp_path, capsys
):
    """As ``scan good nope``: the missing input is said (on stderr, here) and the rest loads;
    exit status 0 — 2 is for no readable input at all (docs/product.md)."""
    dataset = str(tmp_path / "ds")
    missing = str(tmp_path / "nope")
    assert fleet("ingest", demo_fleet[0], missing, "--to", dataset, "-q") == 0
    captured = capsys.readouterr()
    assert f"warning: {missing}: no such file or directory; not ingested" in captured.err
    assert missing not in captured.out
    assert glob.glob(os.path.join(dataset, "records", "*", "*.parquet"))


def test_ingest_into_an_input_exits_2_and_writes_nothing(pipeline_root, capsys):
    inside = os.path.join(pipeline_root, "ds")
    assert fleet("ingest", pipeline_root, "--to", inside, "-q") == 2
    err = capsys.readouterr().err
    assert "inside the input" in err and "unexpected" not in err
    assert not os.path.exists(inside)


def test_ingest_says_what_it_read_once_and_which_clocks_it_assumed(pipeline_root, tmp_path, capsys):
    dataset = str(tmp_path / "ds")
    assert fleet("ingest", pipeline_root, pipeline_root, "--to", dataset) == 0
    out = capsys.readouterr().out
    assert "150 new files" in out
    assert "150 files reached more than once" in out and "given again" in out
    folder = tmp_path / "host"
    folder.mkdir()
    (folder / "osqueryd.INFO").write_text(
        "Log file created at: 2026/11/01 19:00:00\nRunning on machine: web-9\n"
        "I1101 19:00:01.000000  4242 init.cpp:413] osquery initialized [version=5.12.1]\n"
    )
    assert fleet("ingest", str(folder), "--to", str(tmp_path / "ds2"), "--json") == 0
    captured = capsys.readouterr()
    assert "status-log time of web-9: UTC (ASSUMED" in captured.err
    doc = json.loads(captured.out)
    assert [c["basis"] for c in doc["status_clocks"]] == ["assumed"]
    assert doc["repeated"] == [] and doc["clock_changes"] == []


def test_ingest_of_nothing_in_an_osquery_format_exits_2_and_makes_no_dataset(tmp_path, capsys):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("shopping list\nmilk\n")
    (junk / "blob.bin").write_bytes(bytes(range(256)) * 4)
    dataset = tmp_path / "ds"
    assert fleet("ingest", str(junk), "--to", str(dataset), "-q") == 2
    assert "no readable input" in capsys.readouterr().err
    assert not dataset.exists()


def test_scan_refuses_a_dataset_of_another_format(fleet_dataset, tmp_path, capsys):
    copy = tmp_path / "ds"
    shutil.copytree(fleet_dataset, copy)
    (copy / "dataset.json").write_text(json.dumps({"format": "other tool", "version": 999}))
    assert fleet("scan", str(copy), "-q") == 2
    assert "does not describe a fleet dataset" in capsys.readouterr().err


def test_scan_of_a_missing_path_says_it_is_missing(tmp_path, capsys):
    assert fleet("scan", str(tmp_path / "nope"), "-q") == 2
    assert "nope: no such file or directory" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["scan", "compare"])
def test_a_dataset_without_a_finished_ingest_is_refused_not_shown_clean(
    fleet_dataset, tmp_path, capsys, command
):
    """An ingest killed before its manifest (or a manifest lost): a scan would show a clean
    fleet of no hosts, and --fail-on-findings would pass."""
    copy = tmp_path / "ds"
    shutil.copytree(fleet_dataset, copy)
    shutil.rmtree(copy / "manifest")
    extra = ["--before", "0..1", "--after", "2..3"] if command == "compare" else []
    assert fleet(command, str(copy), *extra, "-q") == 2
    assert "holds no finished ingest" in capsys.readouterr().err


def test_an_empty_to_is_refused(pipeline_root, capsys):
    assert fleet("ingest", pipeline_root, "--to", "", "-q") == 2
    assert "--to: an empty name" in capsys.readouterr().err


def test_a_dataset_given_as_a_source_is_named_not_read_part_by_part(
    fleet_dataset, demo_fleet, tmp_path, capsys
):
    dataset = str(tmp_path / "ds")
    assert fleet("ingest", fleet_dataset, demo_fleet[0], "--to", dataset, "-q") == 0
    err = capsys.readouterr().err
    assert f"{fleet_dataset}: a fleet dataset (written by fleet ingest), not logs" in err
    assert "binary" not in err


def test_overlapping_compare_ranges_are_warned_about(fleet_dataset, capsys):
    assert fleet("compare", fleet_dataset, "--before", "2026-11-02T00:00Z..2026-11-02T00:30Z",
                 "--after", "2026-11-02T00:20Z..2026-11-02T00:50Z", "-q") == 0  # fmt: skip
    err = capsys.readouterr().err
    assert "--before and --after overlap (2026-11-02T00:20:00Z..2026-11-02T00:30:00Z)" in err
    same = "2026-11-02T00:00Z..2026-11-02T00:30Z"
    assert fleet("compare", fleet_dataset, "--before", same, "--after", same, "-q") == 0
    assert "are the same range" in capsys.readouterr().err
    assert fleet("compare", fleet_dataset, "--before", "2026-11-02T00:00Z..2026-11-02T00:30Z",
                 "--after", "2026-11-02T00:30Z..2026-11-02T00:50Z", "-q") == 0  # fmt: skip
    assert "warning" not in capsys.readouterr().err  # touching is not overlapping
