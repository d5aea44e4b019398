"""``osquery-inspector watch`` as scripts use it: a subprocess, JSON lines as they come."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
import time

from inspector.demo.live_agent import RotatingLog, event_line

CONTRACT = {"kind", "host", "publisher", "subscriber", "query", "start", "end",
            "duplicate_factor", "extra_rows", "config_change_at", "source"}  # fmt: skip


def watch(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "ui.entry", "watch", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_events(proc: subprocess.Popen) -> list[tuple[float, dict]]:
    """Every stdout line with the time it arrived (each must be one JSON object)."""
    out = []
    assert proc.stdout is not None
    for line in proc.stdout:
        out.append((time.monotonic(), json.loads(line)))
    return out


def test_an_empty_folder_is_waited_on_and_files_that_appear_are_read_whole(tmp_path):
    started = time.monotonic()
    proc = watch(str(tmp_path), "--json", "--for", "5")
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"))

    def agent() -> None:
        time.sleep(1.5)
        log.write([event_line(n, 1_700_000_000 + n) for n in range(30)])
        log.rotate()  # a rotation: the rotated copy is not counted again
        log.write([event_line(n, 1_700_000_000 + n) for n in range(30, 40)])

    writer = threading.Thread(target=agent)
    writer.start()
    events = read_events(proc)
    writer.join()
    assert proc.wait(timeout=10) == 0
    ended = time.monotonic()
    kinds = [e["event"] for _, e in events]
    assert kinds[-1] == "summary" and kinds.count("summary") == 1
    summary = events[-1][1]
    assert summary == {"event": "summary", "lines": 40, "records": 40, "rejected": 0, "findings": 0}
    progress = [(t, e) for t, e in events if e["event"] == "progress"]
    assert len(progress) >= 3
    assert set(progress[0][1]) >= {"lines", "records", "rejected", "lag_seconds"}
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(events)]
    assert max(gaps) < 2.0, gaps  # the heartbeat, idle included
    # The summary within 2 s of --for elapsing (the process start included here).
    assert ended - started < 5 + 2 + 3


def test_findings_with_the_contract_columns_and_fail_on_findings(tmp_path):
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"))
    lines = []
    for n in range(600):
        lines.append(event_line(n, 1_700_000_000 + n // 5))
        if 300 <= n < 500:
            lines.append(event_line(n, 1_700_000_000 + n // 5, copy=1))
    log.write_many(lines)
    proc = watch(str(log.path), "--json", "--for", "2", "--fail-on-findings", "--bucket", "10")
    events = [e for _, e in read_events(proc)]
    assert proc.wait(timeout=10) == 1
    findings = [e for e in events if e["event"] == "finding"]
    assert findings, events
    first = findings[0]
    assert set(first) >= CONTRACT and "provisional" in first
    assert first["subscriber"] == "process_events" and first["source"] == "results_log"
    assert first["extra_rows"] == 200 and first["duplicate_factor"] == 2.0
    assert events[-1]["findings"] == len(findings)
    assert events[-1]["lines"] == 800


def test_usage_errors_exit_2(tmp_path):
    missing = subprocess.run(
        [sys.executable, "-m", "ui.entry", "watch", str(tmp_path / "nope"), "--for", "1"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 2 and "no such file" in missing.stderr
    bucket = subprocess.run(
        [sys.executable, "-m", "ui.entry", "watch", str(tmp_path), "--bucket", "0"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert bucket.returncode == 2


def test_text_output_without_json(tmp_path):
    (tmp_path / "osqueryd.results.log").write_text(
        "\n".join(event_line(n, 1_700_000_000 + n) for n in range(5)) + "\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "ui.entry", "watch", str(tmp_path), "--for", "1.5"],
        capture_output=True, text=True, timeout=60, env={**os.environ},
    )  # fmt: skip
    assert done.returncode == 0
    assert done.stdout.strip().splitlines()[-1].startswith("done: 5 lines, 5 records")
