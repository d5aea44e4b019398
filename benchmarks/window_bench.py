"""The window as a user meets it: the longest freeze of the GUI thread while a run opens, the
timeline zooms, a range is brushed, a comparison loads and the window closes; and the whole
process from launch to the fully analysed window beside lnav and the app's bare-window start.

The freeze is measured by ``ui.stall_probe.StallProbe`` (a 5 ms precise timer: the longest
lateness is the longest time the event loop was held). Its baseline is the same probe over an
idle event loop (the floor of what it can see). The open time is measured cold: an empty read
cache and fresh settings, in subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time

from benchmarks.harness import Measurement

STALL_GOAL = 0.100  # seconds: the GUI thread never blocks longer
OPEN_GOAL = 2.0  # seconds: a 50 MB host folder, launch to the fully analysed window


def _wait(app, done, timeout: float) -> bool:
    """Turn the event loop until ``done()`` (or ``timeout`` seconds)."""
    end = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > end:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True


def stall_session(run_dir: str, compare_dir: str) -> dict[str, float]:
    """The longest stall (seconds) per phase of a session on ``run_dir``; 'idle' is the floor."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, Qt
    from PySide6.QtWidgets import QApplication

    from inspector.model import LoadOptions
    from ui.main_window import MainWindow
    from ui.stall_probe import StallProbe

    QCoreApplication.setOrganizationName("osquery-inspector-bench")
    app = QApplication.instance() or QApplication([])
    out: dict[str, float] = {}

    def phase(name: str, probe: StallProbe, action, done, timeout: float = 600.0) -> None:
        probe.longest = 0.0
        probe.set_phase(name)
        action()
        _wait(app, done, timeout)
        probe._tick()
        out[name] = probe.longest

    probe = StallProbe()
    probe.start("idle")
    _wait(app, lambda: False, 1.0)
    out["idle"] = probe.longest
    window = MainWindow(LoadOptions())
    window.resize(1600, 1000)
    window.show()
    loaded: list = []
    window.run_loaded.connect(loaded.append)
    phase("open", probe, lambda: window.open_paths([run_dir]), lambda: bool(loaded))
    timeline = window.timeline
    assert timeline is not None, "the opened run shows its timeline"
    view = timeline.view
    frames: list = []
    timeline.rebinner.frame_ready.connect(frames.append)

    def zoom() -> None:
        for _ in range(6):
            view.key_step(Qt.Key.Key_Plus)
            _wait(app, lambda: False, 0.3)

    phase("zoom", probe, zoom, lambda: not timeline.rebinner.job.is_busy())
    shown = view.current_range()
    assert shown is not None, "the timeline shows a range"
    lo, hi = shown
    phase(
        "brush", probe, lambda: view._on_brushed(lo + (hi - lo) * 0.3, hi - (hi - lo) * 0.3, True),
        lambda: not window.records_panel.is_busy(),
    )  # fmt: skip
    compared: list = []
    window.compare.comparer.compared.connect(compared.append)
    phase("compare", probe, lambda: window.open_compare([compare_dir]), lambda: bool(compared))
    _wait(app, lambda: False, 0.5)
    phase("quit", probe, window.close, lambda: True)
    probe.stop()
    return out


def open_times(host_dir: str, repeat: int) -> tuple[Measurement, Measurement, Measurement | None]:
    """Launch → fully analysed window (``--screenshot``: loaded, analysed, drawn, saved) of
    ``host_dir``, cold; the app's bare window the same way; lnav on the same files if present."""
    exe = [sys.executable, "-m", "ui.entry"]
    cpu: dict[str, list[float]] = {}
    _compile_the_app()

    def cold(args: list[str]) -> float:
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
                       XDG_CACHE_HOME=os.path.join(home, "cache"),
                       XDG_CONFIG_HOME=os.path.join(home, "config"))  # fmt: skip
            shot = os.path.join(home, "window.png")
            before = _children_cpu()
            t0 = time.perf_counter()
            subprocess.run([*exe, *args, "--screenshot", shot], env=env, check=True,
                           capture_output=True)  # fmt: skip
            wall = time.perf_counter() - t0
            cpu.setdefault(" ".join(args) or "bare", []).append(_children_cpu() - before)
            return wall

    app = Measurement("app: launch → fully analysed window, 50 MB host folder (cold)",
                      [cold([host_dir]) for _ in range(repeat)])  # fmt: skip
    bare = Measurement("baseline: the app's bare window (launch → painted, no input)",
                       [cold([]) for _ in range(repeat)])  # fmt: skip
    # CPU seconds (user + system) beside the wall time: on a machine shared with other work the
    # wall time also counts the time the process waited for a core.
    app.note = f"CPU {_median(cpu[host_dir]):.2f} s"
    bare.note = f"CPU {_median(cpu['bare']):.2f} s"
    lnav = shutil.which("lnav")
    if lnav is None:
        return app, bare, None
    files = [os.path.join(root, f) for root, _, names in os.walk(host_dir) for f in names
             if ".log" in f or "INFO" in f]  # fmt: skip

    lnav_cpu: list[float] = []

    def run_lnav() -> float:
        before = _children_cpu()
        t0 = time.perf_counter()
        subprocess.run([lnav, "-n", "-q", *files], capture_output=True, check=False)
        lnav_cpu.append(_children_cpu() - before)
        return time.perf_counter() - t0

    lnav_run = Measurement(
        "baseline: lnav -n on the same logs", [run_lnav() for _ in range(repeat)]
    )
    lnav_run.note = f"CPU {_median(lnav_cpu):.2f} s"
    return app, bare, lnav_run


def _compile_the_app() -> None:
    """The app's modules compiled to bytecode, as after a pip install or the app's first start
    (``scripts/setup.sh`` does it too): where PYTHONDONTWRITEBYTECODE is set, as on the machines
    these benchmarks ran on, an editable install would otherwise compile them at every start."""
    import compileall

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    for package in ("inspector", "ui"):
        compileall.compile_dir(os.path.join(root, package), quiet=1)


def _children_cpu() -> float:
    """User + system seconds of the finished child processes so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def _demo(folder: str, size: int, seed: int) -> str:
    """A demo run of about ``size`` bytes of results log; its host folder."""
    from benchmarks.inputs import demo_run

    demo_run(folder, size, hours=6, seed=seed)
    return next(os.path.join(folder, d) for d in sorted(os.listdir(folder))
                if os.path.isdir(os.path.join(folder, d)))  # fmt: skip


def _stalls_in_child(run_dir: str, compare_dir: str) -> dict[str, float]:
    """``stall_session`` in a fresh process (cold read cache, fresh settings)."""
    import json

    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
                   XDG_CACHE_HOME=os.path.join(home, "cache"),
                   XDG_CONFIG_HOME=os.path.join(home, "config"))  # fmt: skip
        code = ("import json, sys; from benchmarks.window_bench import stall_session; "
                f"print(json.dumps(stall_session({run_dir!r}, {compare_dir!r})))")  # fmt: skip
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, check=True)  # fmt: skip
        return json.loads(done.stdout.strip().splitlines()[-1])


def run(quick: bool, repeat: int):
    """The window's section: stalls per phase (a 20 MB run in quick mode, else 1 GB) and the
    open time of a 50 MB host folder."""
    from benchmarks.harness import Section

    size = 10_000_000 if quick else 1_000_000_000
    section = Section(
        "The window: freezes and open time",
        f"Longest stall of the GUI thread (StallProbe, 5 ms timer) per phase of a session on a "
        f"{size / 1e6:,.0f} MB run (open, zoom ×6, brush, compare with a 20 MB run — quick: with "
        "itself — quit), cold; "
        "baseline: the same probe over an idle event loop. Open time: launch → fully analysed "
        "window (--screenshot) of a 50 MB host folder, cold (a fresh read cache; the app's bytecode "
        "compiled, as after a pip install or its first start), whole processes, beside the app's "
        "bare window and lnav (skipped when not installed). Goals: no stall over 100 ms; open ≤ 2 s.",
    )
    with tempfile.TemporaryDirectory() as tmp:
        big = _demo(os.path.join(tmp, "big"), size, seed=11)
        other = big if quick else _demo(os.path.join(tmp, "other"), 20_000_000, seed=12)
        host = _demo(os.path.join(tmp, "host50"), 50_000_000, seed=13)
        runs = [_stalls_in_child(big, other) for _ in range(max(1, repeat // 2))]
        idle = Measurement("baseline: idle event loop (the probe's floor)",
                           [r["idle"] for r in runs])  # fmt: skip
        worst = 0.0
        for phase in ("open", "zoom", "brush", "compare", "quit"):
            m = Measurement(f"app: longest stall while {phase}", [r[phase] for r in runs])
            section.measurements.append(m)
            worst = max(worst, m.median)
        section.measurements.append(idle)
        met = "met" if worst < STALL_GOAL else f"missed ({worst * 1000:.0f} ms)"
        section.verdicts.append(
            f"longest stall: goal < {STALL_GOAL * 1000:g} ms {met}; idle floor "
            f"{idle.median * 1000:.0f} ms"
        )
        app, bare, lnav = open_times(host, 1 if quick else repeat)
        section.measurements += [app, bare] + ([lnav] if lnav is not None else [])
        met = "met" if app.median <= OPEN_GOAL else f"missed ({app.median:.2f} s)"
        beside = f"; lnav {lnav.median:.2f} s" if lnav is not None else "; lnav not installed"
        section.verdicts.append(
            f"open a 50 MB host folder: goal ≤ {OPEN_GOAL:g} s {met}; bare window "
            f"{bare.median:.2f} s{beside}"
        )
    return section
