"""Status lines that arrive through the system log: journald, syslog, systemctl status, osquery's
syslog logger, the Kolide launcher's logfmt — fixtures written from the formats' descriptions
(docs/osquery-formats.md §3.1 and §4, journalctl's output modes, RFC 3164, logfmt)."""

from __future__ import annotations

import datetime as dt

from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.readers.registry import choose_reader
from inspector.readers.sniff import Head
from tests.osquery_lines import event_line, glog_line

UTC = dt.UTC


def write(tmp_path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def journal(when: str, host: str, message: str, program: str = "osqueryd[27674]") -> str:
    """A ``journalctl`` (short) or classic syslog line."""
    return f"{when} {host} {program}: {message}"


def rows_of(ws) -> list[dict]:
    return ws.status.to_pylist()


def test_journalctl_short_output_with_other_programs(tmp_path) -> None:
    lines = [
        "-- Logs begin at Thu 2020-01-09 13:00:01 UTC, end at Thu 2020-01-09 14:00:00 UTC. --",
        journal("Jan 09 13:22:30", "web-01", "Started The osquery Daemon.", "systemd[1]"),
        journal(
            "Jan 09 13:22:31",
            "web-01",
            glog_line(
                "osquery initialized [version=4.1.2]",
                when="0109 13:22:31.115227",
                tid=27675,
                where="init.cpp:413",
            ),
        ),
        journal("Jan 09 13:25:31", "web-01", "[12345.678] audit: backlog limit exceeded", "kernel"),
        journal(
            "Jan 09 13:30:00",
            "web-01",
            glog_line(
                "osqueryd worker (28338) stopping: Memory limits exceeded: 3 bytes",
                when="0109 13:30:00.000001",
                tid=27675,
                where="watcher.cpp:331",
                severity="W",
            ),
        ),
    ]
    path = write(tmp_path, "journal.txt", lines)
    assert choose_reader(Head.of(path)).name == "system_log"
    ws = load([path], LoadOptions(tz="UTC"))
    source = ws.sources[0]
    assert (source.kind, source.status) == ("status_log_syslog", "loaded")
    assert source.lines_read == 5 and source.lines_rejected == 0
    assert (
        source.lines_other == 3
    )  # the journal's header, systemd and the kernel: counted, not loaded
    rows = rows_of(ws)
    assert [(r["format"], r["marker"]) for r in rows] == [
        ("syslog_glog", "agent_start"),
        ("syslog_glog", "worker_restart"),
    ]
    assert rows[1]["severity"] == "WARNING" and rows[1]["thread"] == 27675
    assert rows[1]["file"] == "watcher.cpp" and rows[1]["src_line"] == 331
    # The year comes from the journal's "Logs begin at" line; the glog time is used.
    assert rows[0]["log_time"] == dt.datetime(2020, 1, 9, 13, 22, 31, 115227, tzinfo=UTC)
    assert {r["host"] for r in rows} == {"web-01"}


def test_newest_first_blank_host_and_new_year(tmp_path) -> None:
    """``journalctl -r`` across New Year, with a blank hostname: years run backwards."""
    lines = [
        journal(
            "Jan 01 00:00:05",
            "",
            glog_line(
                "Calling configure for logger filesystem",
                when="0101 00:00:05.000000",
                where="config.cpp:1012",
            ),
        ),
        journal(
            "Dec 31 23:59:58",
            "",
            glog_line(
                "osquery initialized [version=5.12.1]",
                when="1231 23:59:58.000000",
                where="init.cpp:413",
            ),
        ),
    ]
    path = write(tmp_path, "reverse.txt", lines)
    ws = load([path], LoadOptions(tz="UTC", year=2026))  # the year of the first line
    times = [r["log_time"] for r in rows_of(ws)]
    assert times == [
        dt.datetime(2026, 1, 1, 0, 0, 5, tzinfo=UTC),
        dt.datetime(2025, 12, 31, 23, 59, 58, tzinfo=UTC),
    ]
    assert any("newest first" in n for n in ws.sources[0].notes)
    assert any("blank host name" in n for n in ws.sources[0].notes)


def test_systemctl_status_excerpt_with_shortened_messages(tmp_path) -> None:
    lines = [
        "● osqueryd.service - The osquery Daemon",
        "     Loaded: loaded (/usr/lib/systemd/system/osqueryd.service; enabled; vendor preset: disabled)",
        "     Active: active (running) since Thu 2020-01-09 13:22:31 EST; 2h 3min ago",
        "   Main PID: 27674 (osqueryd)",
        "     CGroup: /system.slice/osqueryd.service",
        "             └─27674 /usr/bin/osqueryd --flagfile /etc/osquery/osquery.flags",
        "",
        journal(
            "Jan 09 13:22:31",
            "web-01",
            glog_line(
                "Event publisher not enabled: auditeventpublisher: Publ...guration",
                when="0109 13:22:31.215227",
                where="eventfactory.cpp:156",
            ),
        ),
        journal(
            "Jan 09 13:22:32",
            "web-01",
            glog_line(
                "Event publisher not enabled: kernel: Cann…sosquery",
                when="0109 13:22:32.000000",
                where="eventfactory.cpp:156",
            ),
        ),
    ]
    ws = load([write(tmp_path, "status.txt", lines)])
    rows = rows_of(ws)
    # Kept as written; classified from what the elided middle most likely said.
    assert rows[0]["message"].endswith("Publ...guration")
    assert (rows[0]["marker"], rows[0]["subject"]) == ("publisher_disabled", "auditeventpublisher")
    assert rows[1]["marker"] == "publisher_failed"
    # "since … EST": the year, and the agent's zone (UTC−05:00).
    (clock,) = ws.status_clocks.to_pylist()
    assert clock["basis"] == "inferred" and clock["offset_minutes"] == -300
    assert rows[0]["log_time"] == dt.datetime(2020, 1, 9, 18, 22, 31, 215227, tzinfo=UTC)
    assert ws.sources[0].lines_other == 7 and ws.sources[0].lines_rejected == 0


def test_syslog_file_where_the_clocks_disagree(tmp_path) -> None:
    """A central syslog server in another zone: the syslog clock is 6 h off; glog's time wins."""
    lines = [
        journal("Mar  2 18:00:00", "web-01", "eth0: link up", "kernel"),
        journal(
            "Mar  2 18:00:01",
            "web-01",
            glog_line(
                "osquery initialized [version=5.12.1]",
                when="0302 12:00:01.000000",
                where="init.cpp:413",
            ),
        ),
        journal("Mar  2 18:00:02", "web-01", "Reached target Multi-User System.", "systemd[1]"),
    ]
    ws = load([write(tmp_path, "messages", lines)], LoadOptions(tz="UTC", year=2026))
    (row,) = rows_of(ws)
    assert row["log_time"] == dt.datetime(2026, 3, 2, 12, 0, 1, tzinfo=UTC)
    assert any("differ" in n and "glog times are used" in n for n in ws.sources[0].notes)


def test_syslog_logger_form_and_plain_echo_of_a_glog_line(tmp_path) -> None:
    restart = "osqueryd worker (28338) stopping: Memory limits exceeded: 300000000 bytes"
    lines = [
        journal(
            "Jan 09 13:30:00",
            "web-01",
            glog_line(restart, when="0109 13:30:00.000001", where="watcher.cpp:331", severity="W"),
        ),
        journal("Jan 09 13:30:00", "web-01", restart),  # the watcher's own syslog() of it
        journal(
            "Jan 09 13:30:02",
            "web-01",
            "severity=0 location=init.cpp:190 message=osquery initialized [version=4.1.2]",
        ),
        journal("Jan 09 13:31:00", "web-01", "a line osquery wrote with no prefix of its own"),
    ]
    ws = load([write(tmp_path, "syslog", lines)], LoadOptions(tz="UTC", year=2020))
    rows = rows_of(ws)
    assert [r["format"] for r in rows] == [
        "syslog_glog", "syslog_echo", "syslog_logger", "syslog_plain",
    ]  # fmt: skip
    assert [r["marker"] for r in rows] == ["worker_restart", None, "agent_start", None]
    assert (rows[2]["severity"], rows[2]["file"], rows[2]["src_line"]) == ("INFO", "init.cpp", 190)
    assert rows[2]["message"] == "osquery initialized [version=4.1.2]"
    # All four are status lines (plain osquery lines included).
    assert ws.status.num_rows == 4


def test_iso_journal_places_glog_lines_on_utc_and_tells_the_zone(tmp_path) -> None:
    """``journalctl -o short-iso``: the journal's UTC time fixes the glog line's offset, and is
    evidence for the host's glog file too."""
    journald = write(tmp_path, "journal-iso.txt", [
        "2020-01-09T13:22:31.115500+0100 web-01 osqueryd[27674]: "
        + glog_line("osquery initialized [version=4.1.2]", when="0109 13:22:31.115227",
                    where="init.cpp:413"),
    ])  # fmt: skip
    glog = write(tmp_path, "osqueryd.INFO.20200109-132231.27674", [
        "Log file created at: 2020/01/09 13:22:31",
        "Running on machine: web-01",
        glog_line("Calling configure for logger filesystem", when="0109 14:00:00.000000",
                  where="config.cpp:1012"),
    ])  # fmt: skip
    ws = load([journald, glog])
    times = {r["message"]: r["log_time"] for r in rows_of(ws)}
    assert times["osquery initialized [version=4.1.2]"] == dt.datetime(
        2020, 1, 9, 12, 22, 31, 115227, tzinfo=UTC
    )
    assert times["Calling configure for logger filesystem"] == dt.datetime(
        2020, 1, 9, 13, 0, tzinfo=UTC
    )
    (clock,) = ws.status_clocks.to_pylist()
    assert (clock["basis"], clock["offset_minutes"]) == ("inferred", 60)
    assert "journal-iso.txt" in clock["evidence"]


def test_launcher_logfmt(tmp_path) -> None:
    lines = [
        'time=2022-09-02T18:23:07.600Z level=WARN msg="W0902 11:23:07.599372 14656 init.cpp:760] '
        'Error reading config: \\"x\\" missing" component=osquery osqlevel=stderr',
        'time=2022-09-02T18:23:08.000Z level=INFO msg="launcher started" version=1.0',
        'ts=2022-09-02T18:23:09.000Z caller=x.go:1 component=osquery level=stderr msg="I0902 '
        "11:23:09.000001 14656 eventfactory.cpp:156] Event publisher not enabled: syslog: "
        'Publisher disabled via configuration"',
        "",
    ]
    path = write(tmp_path, "launcher.log", lines)
    assert choose_reader(Head.of(path)).name == "logfmt"
    ws = load([path])
    rows = rows_of(ws)
    assert [r["format"] for r in rows] == ["logfmt_glog", "logfmt_glog"]
    assert rows[0]["message"] == 'Error reading config: "x" missing'
    assert rows[0]["log_time"] == dt.datetime(2022, 9, 2, 18, 23, 7, 599372, tzinfo=UTC)
    assert rows[1]["marker"] == "publisher_disabled"
    source = ws.sources[0]
    assert source.lines_other == 2 and source.lines_rejected == 0 and source.lines_read == 4


def test_a_system_log_scanned_in_any_viewer_zone_gives_the_same_times(tmp_path) -> None:
    """The viewer's own zone never changes what is read (TZ set in a child process)."""
    import json
    import subprocess
    import sys

    results = write(tmp_path, "osqueryd.results.log", [
        event_line("pack_fim_file_events", {"action": "CREATED", "target_path": "/etc/x",
                   "time": "1578576151", "category": "etc"}, host="web-01", unix=1578576160),
    ])  # fmt: skip
    syslog = write(
        tmp_path,
        "syslog",
        [
            journal(
                "Jan 09 13:22:31",
                "web-01",
                glog_line(
                    "Calling configure for logger filesystem",
                    when="0109 13:22:31.000000",
                    where="config.cpp:1012",
                ),
            ),
        ],
    )
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    outputs = []
    for zone in ("America/New_York", "UTC", "Asia/Kolkata"):
        done = subprocess.run(
            [sys.executable, "-c", code, "scan", "--json", "--no-cache", results, syslog],
            capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "TZ": zone},
        )  # fmt: skip
        doc = json.loads(done.stdout)
        outputs.append((doc["markers"], doc["findings"], doc["status_clocks"]))
    assert outputs[0] == outputs[1] == outputs[2]
