"""Live follow: a line appended → counted (p99) at 2,000 lines/s against ``tail -F``; idle CPU;
random rotation schedules with no line lost or repeated; a memory soak (``--soak`` only).

The agent is a separate process appending like osqueryd (one open/write/close per line, rotating
every 10,000 lines); the follower is the same loop ``watch`` runs, in this process.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from benchmarks.harness import ROOT, Measurement, Section

if TYPE_CHECKING:
    from inspector.live.follow_loop import FollowLoop

AGENT = """
import json, sys, time
from inspector.demo.live_agent import RotatingLog, event_line
log = RotatingLog(sys.argv[1])
rate, seconds = float(sys.argv[2]), float(sys.argv[3])
written = []
start = time.time()
n = 0
while time.time() - start < seconds:
    due = int((time.time() - start) * rate)
    while n < due:
        log.write([event_line(n, int(time.time()))])
        written.append(time.time())
        n += 1
        if n % 10000 == 0:
            log.rotate()
    time.sleep(0.002)
print(json.dumps(written))
"""


def _agent(folder: str, rate: float, seconds: float, timed: bool = True) -> subprocess.Popen:
    """The agent process; ``timed``: it prints every line's write time at the end (read it with
    ``communicate``), otherwise its output is dropped (a soak only polls it)."""
    path = os.path.join(folder, "osqueryd.results.log")
    out = subprocess.PIPE if timed else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-c", AGENT, path, str(rate), str(seconds)],
        cwd=ROOT, stdout=out, text=True,
    )  # fmt: skip


CPU_SHARE: dict[bool, float] = {}  # the follow loop's CPU while following (window or not)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def follow_latency(
    rate: float, seconds: float, window: bool = False
) -> tuple[list[float], int, int]:
    """Latencies (s) from a line's write to its being counted by the follow loop (``window``:
    and in the snapshot the window draws, with the timeline's frame of the last 15 minutes
    built — what the GUI's workers do before the picture changes); lines written and counted."""
    from inspector.live.follow_loop import FollowLoop
    from inspector.live.live_run import LiveRun

    folder = tempfile.mkdtemp(prefix="live-bench-")
    try:
        run = LiveRun([folder])
        steps: list[tuple[float, int]] = []

        def stepped(r: LiveRun) -> None:
            lines = r.counts.lines
            if window:
                _window_picture(loop)
            steps.append((time.time(), lines))

        loop = FollowLoop(run, lambda _e: None, stepped)
        follower = threading.Thread(target=loop.follow, args=(seconds + 3,))
        follower.start()
        time.sleep(0.5)
        cpu0, wall0 = time.process_time(), time.monotonic()
        agent = _agent(folder, rate, seconds)
        out, _ = agent.communicate()
        follower.join()
        CPU_SHARE[window] = (time.process_time() - cpu0) / (time.monotonic() - wall0)
        run.close()
        written = json.loads(out)
        latencies = []
        k = 0
        for i, t in enumerate(written):
            while k < len(steps) and steps[k][1] < i + 1:
                k += 1
            if k < len(steps):
                latencies.append(steps[k][0] - t)
        return latencies, len(written), run.counts.lines
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _window_picture(loop: FollowLoop) -> None:
    """The window's work for one step: a snapshot (worker thread) and the frame of the view."""
    from inspector.views.timeline_frames import build_frame
    from ui.live.follow_worker import snapshot_of

    snap = snapshot_of(loop)
    now_us = int(time.time() * 1e6)
    build_frame(snap.binner, 5_000_000, snap.factors, now_us - 15 * 60 * 10**6, now_us)


def tail_latency(rate: float, seconds: float) -> tuple[list[float], int, int]:
    """The same agent followed by ``tail -F`` (its lines timed as they reach a pipe)."""
    folder = tempfile.mkdtemp(prefix="live-bench-tail-")
    path = os.path.join(folder, "osqueryd.results.log")
    open(path, "w").close()
    tail = subprocess.Popen(
        ["tail", "-F", "-n", "+1", "-s", "0.05", path],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    arrived: list[float] = []

    def read() -> None:
        assert tail.stdout is not None
        for _ in tail.stdout:
            arrived.append(time.time())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        time.sleep(0.3)
        agent = _agent(folder, rate, seconds)
        out, _ = agent.communicate()
        time.sleep(1.5)
        written = json.loads(out)
    finally:
        tail.terminate()
        tail.wait()
        shutil.rmtree(folder, ignore_errors=True)
    n = min(len(written), len(arrived))
    return [arrived[i] - written[i] for i in range(n)], len(written), len(arrived)


def idle_cpu(seconds: float) -> tuple[float, float]:
    """CPU share of the follow loop, and of ``tail -F``, over ``seconds`` with nothing written."""
    from inspector.live.follow_loop import FollowLoop
    from inspector.live.live_run import LiveRun

    folder = tempfile.mkdtemp(prefix="live-idle-")
    path = os.path.join(folder, "osqueryd.results.log")
    with open(path, "w") as f:
        f.write("\n".join(json.dumps({"name": "x", "n": i}) for i in range(100)) + "\n")
    try:
        run = LiveRun([folder])
        loop = FollowLoop(run, lambda _e: None)
        follower = threading.Thread(target=loop.follow, args=(seconds + 1.5,))
        follower.start()
        time.sleep(1.5)  # the first read done
        cpu0, wall0 = time.process_time(), time.monotonic()
        follower.join()
        ours = (time.process_time() - cpu0) / (time.monotonic() - wall0)
        run.close()
        tail = subprocess.Popen(["tail", "-F", path], stdout=subprocess.DEVNULL)
        time.sleep(seconds)
        with open(f"/proc/{tail.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        tail.terminate()
        tail.wait()
        theirs = ticks / os.sysconf("SC_CLK_TCK") / seconds
        return ours, theirs
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def random_schedules(count: int, seed: int = 17) -> tuple[int, list[str]]:
    """``count`` random write/rotate/check schedules (the property test's, many more): how many
    failed, and the first problems."""
    sys.path.insert(0, ROOT)
    from tests.live.follow_schedules import run_schedule

    rng = random.Random(seed)
    failures: list[str] = []
    folder = tempfile.mkdtemp(prefix="live-schedules-")
    try:
        for i in range(count):
            ops = []
            for _ in range(rng.randint(0, 40)):
                kind = rng.choice(["write", "burst", "step", "rotate", "check"])
                n = {"write": rng.randint(1, 30), "burst": rng.randint(1, 400),
                     "rotate": rng.randint(1, 4)}.get(kind, 0)  # fmt: skip
                ops.append((kind, n))
            scheme = rng.choice(["osquery", "copytruncate", "dateext"])
            limit = rng.choice([2, 5, 25])
            sub = os.path.join(folder, str(i))
            os.makedirs(sub)
            outcome = run_schedule(ops, scheme, limit, folder=sub)
            problems = outcome.problems()
            if not outcome.dropped and outcome.read != outcome.written and not problems:
                problems = ["read differs from written"]
            if problems:
                failures.append(f"{scheme}/{limit}: {problems} {ops}")
            shutil.rmtree(sub, ignore_errors=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return len(failures), failures[:3]


@dataclass
class SoakSample:
    """One sample of a soak: seconds since the start, RSS, the record window's bytes and
    whether the window had started letting rows go (it is full from then on)."""

    seconds: float
    rss_mb: float
    window_mb: float
    full: bool


def soak(seconds: float, rate: float = 200.0, every: float = 60.0) -> list[SoakSample]:
    """RSS (MB) sampled every ``every`` seconds while following an agent at ``rate`` lines/s,
    with the record window's size (a 64 MB limit)."""
    from inspector.live.follow_loop import FollowLoop
    from inspector.live.live_run import LiveRun

    folder = tempfile.mkdtemp(prefix="live-soak-")
    samples: list[SoakSample] = []
    try:
        run = LiveRun([folder], limit_bytes=64 * 1024 * 1024)
        loop = FollowLoop(run, lambda _e: None)
        follower = threading.Thread(target=loop.follow, args=(seconds + 3,))
        follower.start()
        agent = _agent(folder, rate, seconds, timed=False)
        start = time.monotonic()
        while agent.poll() is None:
            time.sleep(min(every, max(1.0, seconds / 20)))
            window = run.window
            samples.append(SoakSample(time.monotonic() - start, _rss_mb(),
                                      window.nbytes / 2**20, window.evicted_rows > 0))  # fmt: skip
        agent.communicate()
        follower.join()
        run.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return samples


def soak_verdict(samples: list[SoakSample]) -> tuple[str, float, float, float]:
    """Flat or growing, from the RSS once the record window is full: the means of its first and
    last fifths, and the trend (least squares) in MB per hour — flat while the trend stays within
    5 % of the level + 5 MB an hour."""
    full = [s for s in samples if s.full]
    if len(full) < 5:
        return "window never filled", float("nan"), float("nan"), float("nan")
    fifth = max(1, len(full) // 5)
    rss = [s.rss_mb for s in full]
    early, late = statistics.mean(rss[:fifth]), statistics.mean(rss[-fifth:])
    slope = statistics.linear_regression([s.seconds for s in full], rss).slope * 3600
    flat = slope <= 0.05 * statistics.mean(rss) + 5
    return ("flat" if flat else "GROWING"), early, late, slope


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(quick: bool, soak_seconds: float | None = None) -> Section:
    seconds = 3.0 if quick else 30.0
    rate = 2000.0
    section = Section(
        "Live follow",
        f"An agent process appends {rate:,.0f} lines/s for {seconds:.0f} s (one open/write/close "
        "per line, a rotation every 10,000 lines); latency is from a line's write to the follow "
        "loop having counted it (the loop `watch` and the window run), against `tail -F -s 0.05` "
        "(its lines timed as they reach a pipe).",
    )
    ours, written, counted = follow_latency(rate, seconds)
    drawn, d_written, d_counted = follow_latency(rate, seconds, window=True)
    theirs, t_written, t_arrived = tail_latency(rate, seconds)
    for name, lat, w, c in (("app: follow loop (watch)", ours, written, counted),
                            ("app: follow loop + window snapshot and frame", drawn, d_written,
                             d_counted),
                            ("baseline: tail -F", theirs, t_written, t_arrived)):  # fmt: skip
        m = Measurement(name, [statistics.median(lat)] if lat else [])
        m.note = (
            f"p50 {statistics.median(lat) * 1000:.0f} ms, p99 {_percentile(lat, 0.99) * 1000:.0f} ms, "
            f"max {max(lat) * 1000:.0f} ms; {c:,} of {w:,} lines"
            if lat else f"no lines ({c:,} of {w:,})"
        )  # fmt: skip
        share = CPU_SHARE.get("window" in name) if name.startswith("app") else None
        if share is not None:
            m.note += f"; CPU {share * 100:.0f} % of a core"
        section.measurements.append(m)
    p99 = _percentile(ours, 0.99) if ours else float("inf")
    p99_window = _percentile(drawn, 0.99) if drawn else float("inf")
    section.verdicts.append(
        f"line → in the window's picture p99 {p99_window * 1000:.0f} ms (the redraw itself: "
        "the gui benchmark's timeline repaint)"
    )
    section.verdicts.append(
        f"line → counted p99 {p99 * 1000:.0f} ms at {rate:,.0f} lines/s "
        f"({'meets' if p99 < 1.0 else 'misses'} the 1 s goal); every line counted once: "
        f"{'yes' if counted == written else f'NO ({counted:,} of {written:,})'}"
    )
    idle_seconds = 3.0 if quick else 30.0
    cpu_ours, cpu_tail = idle_cpu(idle_seconds)
    section.measurements.append(
        Measurement(
            "app: idle CPU", [], note=f"{cpu_ours * 100:.2f} % of a core over {idle_seconds:.0f} s"
        )
    )
    section.measurements.append(
        Measurement("baseline: tail -F idle CPU", [], note=f"{cpu_tail * 100:.2f} % of a core")
    )
    section.verdicts.append(
        f"idle CPU {cpu_ours * 100:.2f} % ({'meets' if cpu_ours < 0.01 else 'misses'} the 1 % goal)"
    )
    count = 200 if quick else 10_000
    t0 = time.perf_counter()
    failed, examples = random_schedules(count)
    section.measurements.append(
        Measurement(
            f"app: {count:,} random rotation schedules",
            [time.perf_counter() - t0],
            note=f"{failed} with a line lost or repeated",
        )
    )
    section.verdicts.append(
        f"{count:,} random rotation schedules (osquery, copytruncate, dateext; limits 2–25): "
        + ("no line lost or repeated" if not failed else f"{failed} FAILED: {examples}")
    )
    if soak_seconds:
        samples = soak(soak_seconds)
        verdict, early, late, slope = soak_verdict(samples)
        filled = next((s.seconds for s in samples if s.full), None)
        section.measurements.append(
            Measurement(
                f"app: soak {soak_seconds / 60:.0f} min at 200 lines/s",
                [],
                note=f"RSS each minute {[round(s.rss_mb) for s in samples]} MB; the 64 MB "
                f"record window full from minute {filled / 60 if filled else float('nan'):.0f}",
            )
        )
        section.verdicts.append(
            f"memory once the record window is full: {early:,.0f} → {late:,.0f} MB "
            f"(first fifth → last fifth), trend {slope:+,.0f} MB/h: {verdict}"
        )
    return section
