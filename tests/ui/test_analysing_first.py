"""A loaded run is shown while its findings are computed: tables and lanes first, the findings
and the bursts on the lanes after — ending exactly as a run shown whole."""

from __future__ import annotations

import re

import pytest

import ui.run_loading
from inspector.demo.writer import write_run
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.progress import Progress
from ui.widgets.timeline_panel import _bursts_of, b_key, doubled_lanes


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("analysing-first")
    write_run(str(out), "openbsm-double", seed=8, hours=3, size=2_000_000)
    return str(out)


def _state(window) -> dict:
    view = window.timeline.view
    return {
        "visible": view.visible_keys(),
        "hidden": sorted(view.hidden, key=str),
        "decorations": {k: p.decoration_texts for k, p in view.plots.items()},
        "findings": window.findings_panel.model.rowCount(),
        "findings_tab": window.tabs.tabText(window.tabs.indexOf(window.findings_panel)),
        "message": window.message.text(),
        "actions": [a.isEnabled() for a in window.run_actions],
    }


def _open(window, qtbot, path: str) -> None:
    with qtbot.waitSignal(window.run_loaded, timeout=120_000):
        window.open_paths([path])


def test_the_run_shows_before_its_findings_and_ends_as_a_whole_show(
    window, qtbot, run_dir, monkeypatch
) -> None:
    seen: list[dict] = []

    def on_analysing(run) -> None:
        assert run.findings_pending and run.findings.num_rows == 0
        # The window's own slot has run (connected first); no events are processed here, so
        # the findings, which may be ready already, are not shown yet.
        seen.append(_state(window))

    window.loader.analysing.connect(on_analysing)
    _open(window, qtbot, run_dir)
    assert len(seen) == 1
    early = seen[0]
    assert early["findings_tab"] == "Findings (analysing…)" and early["findings"] == 0
    assert not any(early["actions"])  # exports and compares wait for the findings
    assert window.records_panel.model.rowCount() == window.workspace.records.num_rows
    shown_first = _state(window)
    assert shown_first["findings"] > 0 and all(shown_first["actions"])
    assert "analysing" not in shown_first["findings_tab"]
    assert any(shown_first["decorations"].values())
    assert "records" in shown_first["message"]  # not the analysis' last progress message

    # The same run shown whole, without the early show: the same window in the end.
    monkeypatch.setattr(ui.run_loading, "PostingProgress", type("Never", (), {}))
    window.loader.analysing.disconnect(on_analysing)
    _open(window, qtbot, run_dir)
    whole = _state(window)
    # Opened again, more of its logs come from the read cache, and the status line says so.
    cached = re.compile(r" \(\d+ files? from the read cache\)")
    assert cached.sub("", whole.pop("message")) == cached.sub("", shown_first.pop("message"))
    assert whole == shown_first


def test_a_failure_after_the_early_show_goes_back_to_the_run_before(
    window, qtbot, run_dir, tmp_path, monkeypatch
) -> None:
    write_run(str(tmp_path / "first"), "linux-control", seed=9, hours=1, size=300_000)
    _open(window, qtbot, str(tmp_path / "first"))
    first = window.workspace

    def broken(*args, **kwargs):
        raise RuntimeError("analysis on fire")

    monkeypatch.setattr(ui.run_loading, "analyse_findings", broken)
    monkeypatch.setattr("ui.main_window.show_failure", lambda *a, **k: None)
    with (
        qtbot.waitSignal(window.loader.failed, timeout=120_000),
        qtbot.waitSignal(window.loader.analysing, timeout=120_000),
    ):
        window.open_paths([run_dir])
    assert window.workspace is first
    assert "analysing" not in window.tabs.tabText(window.tabs.indexOf(window.findings_panel))
    assert all(a.isEnabled() for a in window.run_actions)
    assert "analysis on fire" in window.message.text()


@pytest.mark.parametrize("kind", ["openbsm-double", "linux-control", "rebaseline"])
def test_the_lanes_doubled_by_the_bursts_are_those_of_the_findings(tmp_path, kind) -> None:
    write_run(str(tmp_path), kind, seed=10, hours=2, size=800_000)
    ws = load([str(tmp_path)], LoadOptions(tz="UTC"))
    lanes = ui.run_loading.analyse_lanes(ws, Progress())
    findings = ui.run_loading.analyse_findings(ws, lanes.factors, Progress())
    assert doubled_lanes(lanes.bursts) == {b_key(b) for b in _bursts_of(findings)}


def test_the_lanes_doubled_by_the_bursts_in_the_real_samples(samples) -> None:
    folders = [p for p in sorted(samples.iterdir()) if p.is_dir()]
    for folder in [*folders, samples]:
        ws = load([str(folder)], LoadOptions(tz="UTC"))
        lanes = ui.run_loading.analyse_lanes(ws, Progress())
        findings = ui.run_loading.analyse_findings(ws, lanes.factors, Progress())
        assert doubled_lanes(lanes.bursts) == {b_key(b) for b in _bursts_of(findings)}, folder
