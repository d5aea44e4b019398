"""The window as a person uses it: open the demo, look at the tabs, open more, cancel."""

from __future__ import annotations

import json
import pathlib

from inspector.demo.bundled_run import ensure_demo_run
from inspector.demo.writer import write_run
from tests.osquery_lines import event_line
from tests.ui.conftest import click_tab
from ui.models.arrow_table_model import PAGE_ROWS, ArrowTableModel


def test_welcome_page_then_demo_run(window, qtbot, tmp_path) -> None:
    assert window.stack.currentWidget() is window.welcome
    with qtbot.waitSignal(window.run_loaded, timeout=120_000):
        window.open_demo()  # writes the openbsm-double run into the (test's) cache first
    assert window.stack.currentWidget() is window.split
    ws = window.workspace
    truth = json.loads((pathlib.Path(ensure_demo_run()) / "truth.json").read_text())
    assert window.records_panel.model.rowCount() == ws.records.num_rows > 50_000
    problems = window.tabs.indexOf(window.problems_panel)
    assert window.tabs.tabText(problems) == f"Problems ({len(truth['damaged_lines'])})"
    assert "mbp-demo-01" in window.windowTitle()
    # The overview is written when its tab comes into view (a long rich text to lay out).
    assert not window.overview_panel.label.text()
    click_tab(qtbot, window, window.overview_panel)
    assert "darwin" in window.overview_panel.label.text()
    assert "1 link to a file already read" in window.message.text()
    for i in range(window.tabs.count()):
        window.tabs.setCurrentIndex(i)
        image = window.grab()
        assert not image.isNull() and image.width() >= 800
        image.save(str(tmp_path / f"tab{i}.png"))


def test_records_table_shows_cells_from_the_arrow_table(window, qtbot, tmp_path) -> None:
    write_run(str(tmp_path), "openbsm-double", seed=2, hours=1, size=300_000)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path)])
    model = window.records_panel.model
    headers = [model.headerData(i, Qt_Horizontal()) for i in range(model.columnCount())]
    assert headers[:4] == ["log_time (UTC)", "event_time (UTC)", "host", "query"]
    assert model.data(model.index(0, headers.index("host"))) == "mbp-demo-01"
    sources = {
        model.data(model.index(r, headers.index("source"))) for r in range(0, model.rowCount(), 97)
    }
    assert "osquery.db" in sources and "osqueryd.results.log.1" in sources
    # Records in time order by default: the event's time, else the log time.
    times = [
        model.data(model.index(r, 1)) or model.data(model.index(r, 0))
        for r in range(0, model.rowCount(), max(1, model.rowCount() // 300))
    ]
    times = [t for t in times if t]  # rows with no time at all come last
    assert times == sorted(times)


def test_a_newer_open_replaces_a_running_one(window, qtbot, tmp_path) -> None:
    path = tmp_path / "osqueryd.results.log"
    path.write_text("\n".join(event_line("q", {"n": str(i)}) for i in range(3)) + "\n")
    window.open_demo()
    with qtbot.waitSignal(window.run_loaded, timeout=60_000) as blocker:
        window.open_paths([str(path)])
    assert blocker.args[0].workspace.records.num_rows == 3
    qtbot.wait(200)
    assert window.workspace.records.num_rows == 3  # the demo's late result never arrived


def test_unreadable_input_is_reported_and_the_rest_loads(window, qtbot, tmp_path) -> None:
    good = tmp_path / "r.log"
    good.write_text(event_line("q", {"n": "1"}) + "\n")
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path / "missing"), str(good)])
    assert window.workspace.records.num_rows == 1
    assert "1 file could not be read (see Problems)" in window.message.text()
    assert window.tabs.tabText(window.tabs.indexOf(window.problems_panel)) == "Problems (1)"
    model = window.problems_panel.model
    assert model.data(model.index(0, 0)).endswith("missing")
    headers = [model.headerData(c, Qt_Horizontal()) for c in range(model.columnCount())]
    assert model.data(model.index(0, headers.index("reason"))) == "error: no such file or directory"


def test_screenshot_that_cannot_be_written_fails(tmp_path) -> None:
    import subprocess
    import sys

    target = tmp_path / "no-such-dir" / "shot.png"
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "--demo", "--screenshot", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert done.returncode == 1 and "could not write the screenshot" in done.stderr
    assert not target.exists()


def test_model_pages_rows_without_copying(qapp) -> None:
    import numpy as np
    import pyarrow as pa

    table = pa.table(
        {
            "n": pa.array(np.arange(PAGE_ROWS * 40)),
            "s": pa.array([str(i) for i in range(PAGE_ROWS * 40)]),
        }
    )
    model = ArrowTableModel(table)
    assert model.table is table
    assert model.data(model.index(PAGE_ROWS * 39 + 5, 1)) == str(PAGE_ROWS * 39 + 5)
    assert len(model._pages) == 1
    model.set_table(table, ["s"], index=np.array([7, 3]))
    assert model.rowCount() == 2 and model.data(model.index(1, 0)) == "3"


def Qt_Horizontal():
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal


def test_results_queued_by_a_cancelled_load_never_arrive(window, qtbot, tmp_path) -> None:
    first = tmp_path / "a.log"
    first.write_text(event_line("first", {"n": "1"}) + "\n")
    second = tmp_path / "b.log"
    second.write_text(event_line("second", {"n": "1"}) + "\n")
    arrived = []
    window.loader.loaded.connect(
        lambda run: arrived.append(run.workspace.records.column("query")[0].as_py())
    )
    window.open_paths([str(first)])
    window.loader.job._running[
        window.loader.job.generation
    ].wait()  # finished: its result is queued, not yet delivered
    window.cancel_loading()
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(second)])
    qtbot.wait(100)
    assert arrived == ["second"]
    qtbot.waitUntil(lambda: not window.loader.job._running, timeout=10_000)  # threads are released


def test_a_dropped_folder_opens(window, qtbot, tmp_path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    log = tmp_path / "osqueryd.results.log"
    log.write_text("\n".join(event_line("dropped", {"n": str(i)}) for i in range(4)) + "\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path))])
    event = QDropEvent(
        QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.dropEvent(event)
    assert window.workspace.records.num_rows == 4
    assert event.isAccepted()


def test_inputs_on_the_command_line_render_a_screenshot(tmp_path) -> None:
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    write_run(str(tmp_path / "run"), "linux-control", seed=3, hours=1, size=300_000)
    target = tmp_path / "shot.png"
    code = "import sys; from ui.entry import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "run"), "--tz", "UTC", "--screenshot", str(target)],
        capture_output=True, text=True, timeout=180,
        env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    image = QImage(str(target))
    assert (image.width(), image.height()) == (1600, 1000)


def test_a_hidden_tab_sizes_its_columns_when_clicked(window, qtbot, tmp_path) -> None:
    write_run(str(tmp_path), "openbsm-double", seed=2, hours=1, size=300_000)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path)])
    panel = window.status_panel
    assert not panel.isVisible() and not panel._sized  # not measured for a tab not open
    click_tab(qtbot, window, panel)
    assert panel._sized
    view, columns = panel.view, panel.model._columns
    time_column = columns.index("log_time")
    wide_enough = view.fontMetrics().horizontalAdvance("0000-00-00 00:00:00")
    assert view.columnWidth(time_column) >= wide_enough
