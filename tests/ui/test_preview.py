"""A big run shows its lanes from the log envelopes first, then everything when fully loaded."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

import inspector.preview
from inspector.cache import ReadCache
from inspector.demo.writer import write_run
from inspector.readers.registry import LoadOptions
from ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.loader.cancel()
    win.loader.wait()


def test_preview_lanes_come_first_and_match_the_full_load(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(inspector.preview, "PREVIEW_MIN_BYTES", 0)  # the demo run is small
    ReadCache().clear()
    write_run(str(tmp_path / "run"), "openbsm-double", seed=4, hours=2, size=1_500_000)
    previews, shots = [], []

    def on_preview(run) -> None:
        previews.append(run)
        shots.append(window.grab())
        # The lanes are there; the tables wait for the records.
        assert window.timeline.view.plots and window.records_panel.model.rowCount() == 0
        assert "Preview:" in window.message.text()

    window.loader.previewed.connect(on_preview)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path / "run")])
    (run,) = previews
    shots[0].save("/tmp/preview_shot.png")
    window.grab().save("/tmp/full_after_preview.png")
    full = window.workspace
    preview_lanes = {lane.key[:3] for lane in run.frame.lanes}
    full_lanes = {lane.key[:3] for lane in window.timeline.frame.lanes if lane.key[4] == "results"}
    assert preview_lanes and preview_lanes <= full_lanes  # host, publisher, subscriber
    # Every event-format row is in the preview, with its event time.
    formats = full.records.column("format").cast("string")
    events = full.records.filter(pc.equal(formats, "event"))
    assert run.workspace.records.num_rows == events.num_rows
    assert window.records_panel.model.rowCount() == full.records.num_rows
    assert "Preview" not in window.message.text()

    # Opened again: every log comes from the read cache, which is faster than any preview.
    previews.clear()
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path / "run")])
    assert previews == [] and window.workspace.from_cache > 0
