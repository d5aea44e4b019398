"""A big run shows its lanes from the log envelopes first, then everything when fully loaded."""

from __future__ import annotations

import pyarrow.compute as pc

import inspector.loading.preview
from inspector.demo.writer import write_run
from inspector.loading import small_files
from inspector.loading.read_cache import ReadCache


def test_preview_lanes_come_first_and_match_the_full_load(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(inspector.loading.preview, "PREVIEW_MIN_BYTES", 0)  # the demo run is small
    monkeypatch.setattr(small_files, "SMALL_FILE_BYTES", 0)  # … and stands for a big one
    ReadCache().clear()
    write_run(str(tmp_path / "run"), "openbsm-double", seed=4, hours=2, size=1_500_000)
    previews, shots = [], []

    def on_preview(run) -> None:
        previews.append(run)
        shots.append(window.grab())
        # The lanes are there; the tables wait for the records.
        assert window.timeline.view.order and window.records_panel.model.rowCount() == 0
        assert "Preview:" in window.message.text()

    window.loader.previewed.connect(on_preview)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path / "run")])
    (run,) = previews
    assert not shots[0].isNull()
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


def test_a_cancelled_load_takes_its_preview_away(window, qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(inspector.loading.preview, "PREVIEW_MIN_BYTES", 0)
    write_run(str(tmp_path / "first"), "linux-control", seed=5, hours=1, size=300_000)
    write_run(str(tmp_path / "second"), "openbsm-double", seed=6, hours=1, size=300_000)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path / "first")])
    first = window.workspace
    first_lanes = [lane.key for lane in window.timeline.frame.lanes]
    with qtbot.waitSignal(window.loader.previewed, timeout=60_000):
        window.open_paths([str(tmp_path / "second")])
    window.cancel_loading()
    # The first run is shown again, whole: lanes, records, findings, title.
    assert window.workspace is first
    assert [lane.key for lane in window.timeline.frame.lanes] == first_lanes
    assert window.records_panel.model.rowCount() == first.records.num_rows
    assert "loading" not in window.windowTitle()
    assert "Findings (" in window.tabs.tabText(window.tabs.indexOf(window.findings_panel))
    assert "loading" not in window.tabs.tabText(window.tabs.indexOf(window.findings_panel))


def test_a_failed_first_load_after_its_preview_shows_the_welcome_page(
    window, qtbot, tmp_path, monkeypatch
):
    monkeypatch.setattr(inspector.loading.preview, "PREVIEW_MIN_BYTES", 0)
    write_run(str(tmp_path / "run"), "linux-control", seed=7, hours=1, size=300_000)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("inspector.loading.pipeline.load", broken)  # the worker imports it
    with qtbot.waitSignal(window.loader.failed, timeout=60_000):
        monkeypatch.setattr("ui.main_window.show_failure", lambda *a, **k: None)
        window.open_paths([str(tmp_path / "run")])
    assert window.stack.currentWidget() is window.welcome
    assert "disk on fire" in window.message.text()
