"""Following a rotated log by file identity: every line once, in order, whatever the schedule."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inspector.demo.live_agent import RotatingLog
from inspector.live.log_follower import LogFollower
from tests.live.follow_schedules import run_schedule

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(1, 30)),
        st.tuples(st.just("burst"), st.integers(1, 400)),
        st.tuples(st.just("step"), st.just(0)),
        st.tuples(st.just("rotate"), st.integers(1, 4)),
        st.tuples(st.just("check"), st.just(0)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, scheme=st.sampled_from(["osquery", "copytruncate", "dateext"]))
def test_no_line_lost_or_repeated_over_random_rotation_schedules(ops, scheme):
    outcome = run_schedule(ops, scheme, limit=25)
    assert not outcome.problems(), (outcome.problems(), ops)
    if not outcome.dropped:  # more than 25 rotations between two looks drop files unseen
        assert outcome.read == outcome.written


@settings(max_examples=40, deadline=None)
@given(ops=OPS, scheme=st.sampled_from(["osquery", "copytruncate", "dateext"]))
def test_files_dropped_past_the_limit_lose_only_their_own_lines(ops, scheme):
    outcome = run_schedule(ops, scheme, limit=2)
    assert not outcome.problems(), (outcome.problems(), ops)


def _read_all(follower: LogFollower) -> list[str]:
    out = []
    for piece in follower.check():
        out.extend(piece.data.decode().splitlines())
    return out


def test_many_rotations_between_two_checks(tmp_path):
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"), "osquery", limit=25)
    follower = LogFollower(log.path)
    log.write([f"first {i}" for i in range(5)])
    got = _read_all(follower)
    for r in range(20):  # 20 rotations while the reader sleeps (a suspended laptop)
        log.write([f"round {r} line {i}" for i in range(3)])
        log.rotate()
    log.write(["last"])
    got += _read_all(follower)
    assert got == log.written
    assert follower.stats.files == 19  # the 20th rotated file is the one it held


def test_a_check_in_the_middle_of_every_rotation_step(tmp_path):
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"), "osquery", limit=5)
    follower = LogFollower(log.path, retries=2, retry_seconds=0.0)  # the agent waits for us here
    got: list[str] = []
    for r in range(8):
        log.write([f"r{r} {i}" for i in range(4)])
        for _ in log.rotation_steps():
            got += _read_all(follower)
    log.write(["tail"])
    got += _read_all(follower)
    assert got == log.written


def test_torn_last_line_waits_for_its_newline_then_counts_once(tmp_path):
    path = tmp_path / "osqueryd.results.log"
    follower = LogFollower(str(path))
    path.write_bytes(b"one\ntw")
    assert _read_all(follower) == ["one"]
    with open(path, "ab") as f:
        f.write(b"o\n")
    assert _read_all(follower) == ["two"]
    assert follower.stats.lines == 2


def test_torn_last_line_of_a_rotated_file_is_a_line(tmp_path):
    path = tmp_path / "osqueryd.results.log"
    follower = LogFollower(str(path))
    path.write_bytes(b"one\ncrash-torn")
    assert _read_all(follower) == ["one"]
    os.rename(path, str(path) + ".1")
    path.write_bytes(b"after\n")
    assert _read_all(follower) == ["crash-torn", "after"]


def test_truncation_in_place_reads_again_from_the_start(tmp_path):
    path = tmp_path / "osquery.log"
    follower = LogFollower(str(path))
    path.write_bytes(b"a\nb\n")
    assert _read_all(follower) == ["a", "b"]
    path.write_bytes(b"c\n")  # emptied and written again (shorter)
    assert _read_all(follower) == ["c"]
    assert follower.stats.truncations == 1
    assert follower.stats.notes  # lines between the last check and the truncation: unknowable


def test_truncated_and_regrown_past_the_offset_is_seen_by_its_first_bytes(tmp_path):
    path = tmp_path / "osquery.log"
    follower = LogFollower(str(path))
    path.write_bytes(b"aaaa\n")
    assert _read_all(follower) == ["aaaa"]
    path.write_bytes(b"bbbb\ncccc\n")
    assert _read_all(follower) == ["bbbb", "cccc"]


def test_copytruncate_takes_the_last_lines_from_the_copy(tmp_path):
    log = RotatingLog(str(tmp_path / "messages"), "copytruncate", limit=4)
    follower = LogFollower(log.path)
    log.write(["one", "two"])
    assert _read_all(follower) == ["one", "two"]
    log.write(["three"])  # written after the check, before the copy
    log.rotate()
    log.write(["four"])
    assert _read_all(follower) == ["three", "four"]
    assert follower.stats.truncations == 1 and not follower.stats.notes


def test_glog_link_roll_over(tmp_path):
    first = tmp_path / "osqueryd.INFO.20240101-120000.100"
    first.write_text(
        "Log file created at: 2024/01/01 12:00:00\nI0101 12:00:00.000000 1 a.cpp:1] x\n"
    )
    link = tmp_path / "osqueryd.INFO"
    link.symlink_to(first.name)
    follower = LogFollower(str(link))
    assert len(_read_all(follower)) == 2
    with open(first, "a") as f:
        f.write("I0101 12:00:01.000000 1 a.cpp:1] y\n")
    second = tmp_path / "osqueryd.INFO.20240101-130000.100"
    second.write_text(
        "Log file created at: 2024/01/01 13:00:00\nI0101 13:00:00.000000 1 a.cpp:1] z\n"
    )
    third = tmp_path / "osqueryd.INFO.20240101-140000.100"
    third.write_text(
        "Log file created at: 2024/01/01 14:00:00\nI0101 14:00:00.000000 1 a.cpp:1] w\n"
    )
    link.unlink()
    link.symlink_to(third.name)
    got = _read_all(follower)
    assert [g[-1] for g in got if "]" in g] == ["y", "z", "w"]
    assert follower.stats.lines == 7


def test_a_file_appearing_later_is_read_from_its_first_byte(tmp_path):
    path = tmp_path / "osqueryd.results.log"
    follower = LogFollower(str(path))
    assert _read_all(follower) == []
    path.write_text("a\nb\n")
    assert _read_all(follower) == ["a", "b"]
