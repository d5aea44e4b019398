"""The agent's zone of the status logs, set in the window without relaunching."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from inspector.demo.writer import write_run
from tests.ui.conftest import click_tab
from ui.status_zone import StatusZoneDialog


def _menu_action(window, text: str) -> QAction:
    for action in window.findChildren(QAction):
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no action {text!r}")


def test_the_inferred_zone_is_shown_and_an_override_places_the_lines_again(
    window, qtbot, tmp_path
) -> None:
    write_run(str(tmp_path), "openbsm-double", seed=3, hours=1, size=300_000,
              time_zone="America/New_York")  # fmt: skip
    window.options = type(window.options)()  # no --tz: as a user opening a bundle
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path)])
    ws = window.workspace
    (clock,) = ws.status_clocks.to_pylist()
    assert (clock["basis"], clock["offset_minutes"]) == ("inferred", -300)
    click_tab(qtbot, window, window.overview_panel)
    assert "UTC−05:00" in window.overview_panel.label.text()
    before = ws.status.column("log_time")[0].as_py()

    seen: dict[str, str] = {}

    def choose_tokyo() -> None:
        dialogs = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, StatusZoneDialog) and w.isVisible()]  # fmt: skip
        if not dialogs:
            QTimer.singleShot(100, choose_tokyo)  # not shown yet
            return
        dialog = dialogs[0]
        try:
            dialog.grab().save(str(tmp_path / "zone-dialog.png"))
            seen["shown"] = dialog.zone.currentText()
            dialog.zone.setCurrentText("Asia/Tokyo")
            ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
            qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
        finally:
            if dialog.isVisible():
                dialog.reject()  # never leave the test waiting on a modal dialog

    QTimer.singleShot(200, choose_tokyo)
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        _menu_action(window, "Status-Log Time Zone…").trigger()
    assert seen["shown"].startswith("Infer")
    placed = window.workspace
    assert placed.status_clocks.column("basis").to_pylist() == ["given"]
    after = placed.status.column("log_time")[0].as_py()
    # New York wall clock read as Tokyo's: 14 h earlier in UTC (EST −5 vs JST +9)
    assert (before - after).total_seconds() == 14 * 3600
    assert placed.records is ws.records  # nothing was read again
    assert window.findings_panel.model.rowCount() > 0
