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
    view = window.timeline.view
    frames: list = []
    window.timeline.rebinner.frame_ready.connect(frames.append)

    def zoom() -> None:
        for _ in range(6):
            view.key_step(Qt.Key.Key_Plus)
            _wait(app, lambda: False, 0.3)

    phase("zoom", probe, zoom, lambda: not window.timeline.rebinner.job.is_busy())
    lo, hi = view.current_range()
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

    def cold(args: list[str]) -> float:
        with tempfile.TemporaryDirectory() as home:
            env = dict(os.environ, QT_QPA_PLATFORM="offscreen",
                       XDG_CACHE_HOME=os.path.join(home, "cache"),
                       XDG_CONFIG_HOME=os.path.join(home, "config"))  # fmt: skip
            shot = os.path.join(home, "window.png")
            t0 = time.perf_counter()
            subprocess.run([*exe, *args, "--screenshot", shot], env=env, check=True,
                           capture_output=True)  # fmt: skip
            return time.perf_counter() - t0

    app = Measurement("app: launch → fully analysed window, 50 MB host folder (cold)",
                      [cold([host_dir]) for _ in range(repeat)])  # fmt: skip
    bare = Measurement("baseline: the app's bare window (launch → painted, no input)",
                       [cold([]) for _ in range(repeat)])  # fmt: skip
    lnav = shutil.which("lnav")
    if lnav is None:
        return app, bare, None
    files = [os.path.join(root, f) for root, _, names in os.walk(host_dir) for f in names
             if ".log" in f or "INFO" in f]  # fmt: skip

    def run_lnav() -> float:
        t0 = time.perf_counter()
        subprocess.run([lnav, "-n", "-q", *files], capture_output=True, check=False)
        return time.perf_counter() - t0

    return (
        app,
        bare,
        Measurement("baseline: lnav -n on the same logs", [run_lnav() for _ in range(repeat)]),
    )
