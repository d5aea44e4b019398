"""The agent's zone of wall-clock status lines: given, inferred from the run's evidence, or UTC
flagged as assumed — never the viewer's zone (product.md, "Status-log time")."""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import pyarrow.compute as pc

from inspector.loading.pipeline import load, with_status_zone
from inspector.model import LoadOptions
from tests.osquery_lines import event_line, glog_line, status_json

UTC = dt.UTC
T0 = 1785846000  # 2026-08-04 12:20:00 UTC


def glog_at(
    unix: float, message: str, offset_minutes: int, where: str = "scheduler.cpp:120"
) -> str:
    local = dt.datetime.fromtimestamp(unix, UTC) + dt.timedelta(minutes=offset_minutes)
    return glog_line(message, when=f"{local:%m%d %H:%M:%S}.{local.microsecond:06d}", where=where)


def write(path, lines: list[str]) -> str:
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def header(unix: int, offset_minutes: int) -> list[str]:
    local = dt.datetime.fromtimestamp(unix, UTC) + dt.timedelta(minutes=offset_minutes)
    return [f"Log file created at: {local:%Y/%m/%d %H:%M:%S}", "Running on machine: web-01"]


def schedule_run(tmp_path, offset_minutes: int, *, glog_extra_hours: int = 0) -> list[str]:
    """30 min of a 60-s query, a worker restart that shifts the schedule's phase by 17 s, 30 min
    more; results only for some runs (an event query logs only runs with events)."""
    rng = np.random.default_rng(4)
    runs = [T0 + 60 * k for k in range(30)] + [T0 + 1800 + 17 + 60 * k for k in range(30)]
    results, status = [], header(T0, offset_minutes)
    for extra in range(glog_extra_hours * 60):  # exec lines of runs before the results begin
        t = T0 - 60 * (glog_extra_hours * 60 - extra)
        status.append(
            glog_at(
                t - 0.4, "Executing scheduled query pack_fim_file_events: SELECT", offset_minutes
            )
        )
    for t in runs:
        status.append(
            glog_at(
                t - 0.4, "Executing scheduled query pack_fim_file_events: SELECT", offset_minutes
            )
        )
        if rng.random() < 0.6:
            cols = {
                "action": "CREATED",
                "target_path": f"/etc/{t}",
                "time": str(t - 3),
                "category": "etc",
            }
            results.append(event_line("pack_fim_file_events", cols, host="web-01", unix=t))
    return [
        write(tmp_path / "osqueryd.results.log", results),
        write(tmp_path / "osqueryd.INFO.20260804-122000.1", status),
    ]


def test_offset_inferred_from_exec_lines_against_results(tmp_path) -> None:
    paths = schedule_run(tmp_path, offset_minutes=120)
    ws = load(paths)
    (clock,) = ws.status_clocks.to_pylist()
    assert (clock["basis"], clock["offset_minutes"], clock["zone"]) == (
        "inferred",
        120,
        "UTC+02:00",
    )
    assert "exec lines" in clock["evidence"]
    first = ws.status.filter(pc.equal(ws.status.column("marker").cast("string"), "query_executed"))
    assert first.column("log_time")[0].as_py() == dt.datetime.fromtimestamp(T0 - 0.4, UTC)


def test_a_periodic_schedule_alone_is_ambiguous_and_says_so(tmp_path) -> None:
    """Exec lines far beyond the results, one phase: offsets 15 min apart fit alike."""
    status = header(T0, 60) + [
        glog_at(T0 + 60 * k - 0.4, "Executing scheduled query q: SELECT 1", 60)
        for k in range(-600, 600)
    ]
    results = [
        event_line("q", {"a": str(k), "time": "1"}, host="web-01", unix=T0 + 60 * k)
        for k in range(0, 20)
    ]
    ws = load([write(tmp_path / "r.log", results), write(tmp_path / "osqueryd.INFO", status)])
    (clock,) = ws.status_clocks.to_pylist()
    assert clock["basis"] == "assumed" and "ambiguous" in clock["evidence"]


def test_osquery_info_start_time_against_the_start_lines(tmp_path) -> None:
    start = T0 + 7
    info = {"pid": "4250", "start_time": str(start), "config_hash": "abc", "version": "5.12.1",
            "watcher": "4242", "uuid": "U"}  # fmt: skip
    results = [
        event_line("pack_osquery-monitoring_osquery_info", info, host="web-01", unix=T0 + 600)
    ]
    status = [
        *header(T0, 330),
        glog_at(start, "osquery initialized [version=5.12.1]", 330, "init.cpp:413"),
        glog_at(start + 5, "Calling configure for logger filesystem", 330, "config.cpp:1012"),
    ]
    ws = load([write(tmp_path / "r.log", results), write(tmp_path / "osqueryd.INFO", status)])
    (clock,) = ws.status_clocks.to_pylist()
    assert (clock["basis"], clock["offset_minutes"]) == ("inferred", 330)  # Asia/Kolkata
    assert "osquery_info.start_time" in clock["evidence"]
    change = next(r for r in ws.status.to_pylist() if r["marker"] == "config_change")
    assert change["log_time"] == dt.datetime.fromtimestamp(start + 5, UTC)


def test_json_status_twins_of_glog_lines(tmp_path) -> None:
    """A TLS logger's buffered JSON status (UTC) beside the glog file (local)."""
    message = "Scheduled query may have failed: pack_ir_memory"
    json_log = [status_json(message, host="web-01", unix=T0, filename="config.cpp", line=363)]
    status = [*header(T0, -420), glog_at(T0, message, -420, "config.cpp:363")]
    ws = load([write(tmp_path / "tls.log", json_log), write(tmp_path / "osqueryd.INFO", status)])
    (clock,) = ws.status_clocks.to_pylist()
    assert (clock["basis"], clock["offset_minutes"]) == ("inferred", -420)
    assert "JSON status" in clock["evidence"]


def test_no_evidence_is_utc_flagged_and_the_override_places_again(tmp_path) -> None:
    status = [*header(T0, 0), glog_at(T0, "Calling configure for logger filesystem", 0)]
    ws = load([write(tmp_path / "osqueryd.INFO", status)])
    (clock,) = ws.status_clocks.to_pylist()
    assert clock["basis"] == "assumed" and clock["zone"] == "UTC"
    utc = ws.status.column("log_time")[0].as_py()
    berlin = with_status_zone(ws, "Europe/Berlin")
    assert berlin.status_clocks.column("basis").to_pylist() == ["given"]
    assert (utc - berlin.status.column("log_time")[0].as_py()).total_seconds() == 2 * 3600
    back = with_status_zone(berlin, None)
    assert back.status.column("log_time")[0].as_py() == utc
    assert berlin.records is ws.records  # nothing is read again


def test_an_assumed_year_moves_to_the_hosts_results(tmp_path) -> None:
    """No header, no dated name, a copied file (modification time years later): the results
    say which year the lines are from."""
    glog = tmp_path / "status.txt"
    write(glog, [glog_at(T0 + 30, "Calling configure for logger filesystem", 0)])
    os.utime(glog, (T0 + 3 * 365 * 86400, T0 + 3 * 365 * 86400))
    results = [event_line("q", {"a": "1", "time": "1"}, host="web-01", unix=T0)]
    ws = load([write(tmp_path / "r.log", results), str(glog)], LoadOptions(tz="UTC"))
    row = ws.status.to_pylist()[0]
    assert row["log_time"].year == 2026
    source = next(s for s in ws.sources if s.path.endswith("status.txt"))
    assert any("years moved by -2" in n for n in source.notes)  # mtime 2029-08-03: Aug 4 is 2028


def test_lines_of_no_known_host_keep_their_year(tmp_path) -> None:
    """Two hosts' results and a status excerpt that names no host: nothing says which host's
    results it belongs with, so its year is not moved to theirs."""
    glog = tmp_path / "excerpt.txt"
    write(glog, [glog_at(T0 + 30, "Calling configure for logger filesystem", 0)])
    os.utime(glog, (T0 + 3 * 365 * 86400, T0 + 3 * 365 * 86400))
    results = [
        event_line("q", {"a": "1", "time": "1"}, host="web-01", unix=T0),
        event_line("q", {"a": "1", "time": "1"}, host="web-02", unix=T0),
    ]
    ws = load([write(tmp_path / "r.log", results), str(glog)], LoadOptions(tz="UTC"))
    assert ws.status.to_pylist()[0]["log_time"].year == 2028
