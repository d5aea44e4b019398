"""A run named on the command line starts loading before the window is up; the window's first
load of the same inputs takes that load over instead of reading everything again."""

from __future__ import annotations

import threading

import pytest

from inspector.model import LoadOptions
from inspector.progress import Cancelled, Progress
from tests.osquery_lines import event_line
from ui import early_load, run_loading

OPTIONS = LoadOptions(tz="UTC")


@pytest.fixture()
def counted_loads(monkeypatch):
    """Every ``load_run`` call (the early thread's and the window's), by paths."""
    calls: list[list[str]] = []
    real = run_loading.load_run

    def counting(paths, *args, **kwargs):
        calls.append(list(paths))
        return real(paths, *args, **kwargs)

    monkeypatch.setattr(run_loading, "load_run", counting)
    monkeypatch.setattr("ui.workers.load_run", counting)
    yield calls
    early_load._pending = None


def _log(folder, query: str, n: int = 5) -> str:
    path = folder / "osqueryd.results.log"
    path.write_text("\n".join(event_line(query, {"n": str(i)}) for i in range(n)) + "\n")
    return str(folder)


def test_the_window_takes_over_the_load_started_at_launch(window, qtbot, tmp_path, counted_loads):
    folder = _log(tmp_path, "early", 7)
    early = early_load.start([folder], OPTIONS)
    progressed: list[float] = []
    window.loader.progressed.connect(lambda f, _m: progressed.append(f))
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([folder])
    assert counted_loads == [[folder]]  # loaded once, by the early thread
    assert early.done.is_set()
    assert window.workspace.records.num_rows == 7
    assert window.records_panel.model.rowCount() == 7
    assert progressed and max(progressed) > 0  # its progress reached the window's bar
    assert early_load.take([folder], OPTIONS) is None  # taken once only


def test_other_inputs_or_options_first_cancel_the_early_load(
    window, qtbot, tmp_path, counted_loads
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = _log(tmp_path / "a", "first"), _log(tmp_path / "b", "second")
    early = early_load.start([first], OPTIONS)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([second])
    assert window.workspace.records.column("query")[0].as_py() == "second"
    assert early.progress.cancelled
    early_load.start([first], LoadOptions(tz="Europe/Berlin"))
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([first])  # the window's options are UTC: a load of its own
    assert counted_loads[-1] == [first] and len(counted_loads) == 4


def test_cancelling_the_window_load_cancels_the_early_one(tmp_path, monkeypatch):
    gate = threading.Event()

    def slow(paths, options, progress, *args, **kwargs):
        progress.report(0.3, "reading")
        while not gate.wait(0.01):
            progress.check()
        return "never"

    monkeypatch.setattr(run_loading, "load_run", slow)
    early = early_load.EarlyLoad([str(tmp_path)], OPTIONS)
    reports: list[tuple[float, str]] = []
    job = Progress(lambda f, m: reports.append((f, m)))
    threading.Timer(0.3, job.cancel).start()
    with pytest.raises(Cancelled):
        early.adopt(job)
    assert early.done.wait(5) and early.progress.cancelled
    assert isinstance(early.error, Cancelled)
    assert (0.3, "reading") in reports


def test_an_early_load_that_fails_fails_in_the_window(window, qtbot, tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise OSError(f"{tmp_path}: the disk went away")

    from PySide6.QtWidgets import QMessageBox

    boxes: list[str] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: boxes.append(box.text()) or 0)
    monkeypatch.setattr(run_loading, "load_run", broken)
    early_load.start([str(tmp_path)], OPTIONS)
    with qtbot.waitSignal(window.loader.failed, timeout=30_000) as failed:
        window.open_paths([str(tmp_path)])
    assert "the disk went away" in failed.args[0]
    qtbot.waitUntil(lambda: bool(boxes), timeout=10_000)  # told, not a traceback
    early_load._pending = None
