"""What a person meets when inputs or sessions are hostile or things go wrong: the questions and
messages of the window, driven with real clicks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from inspector.logs import configure_logging, log_folder
from tests.osquery_lines import event_line
from ui import session_actions

RUN = [event_line("q", {"n": str(i)}, unix=1785846000 + i) for i in range(5)]


def session_file(folder, inputs: list[str], **fields) -> str:
    doc = {
        "version": 1,
        "inputs": [{"path": p, "size": None, "sha256": None, "folder": False} for p in inputs],
        "options": {"tz": "UTC", "year": None},
        "filters": {},
        **fields,
    }
    path = os.path.join(folder, "shared.json")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)
    return path


def click_in_modal(qtbot, button: str) -> None:
    """Once the modal dialog is up, click one of its buttons as a person would."""

    def click() -> None:
        dialog = QApplication.activeModalWidget()
        assert dialog is not None, "no dialog came up"
        qtbot.mouseClick(getattr(dialog, button), Qt.MouseButton.LeftButton)

    QTimer.singleShot(200, click)


@pytest.fixture
def outside(tmp_path) -> tuple[str, str]:
    """A log in one folder and a session in another that names it."""
    (tmp_path / "theirs").mkdir()
    (tmp_path / "mine").mkdir()
    log = tmp_path / "theirs" / "osqueryd.results.log"
    log.write_text("\n".join(RUN) + "\n")
    return str(log), session_file(str(tmp_path / "mine"), [str(log)])


def test_inputs_outside_the_session_folder_are_asked_about_first(
    window, qtbot, outside, monkeypatch
):
    session = outside[1]
    checked = []
    monkeypatch.setattr(session_actions, "check_inputs", lambda *a: checked.append(a) or [])
    click_in_modal(qtbot, "cancel_button")
    assert session_actions.open_session(window, session) is None
    assert checked == []  # nothing was read (not even hashed) before the answer
    assert "outside its folder" in window.message.text()
    assert not window.loader.is_busy()

    monkeypatch.undo()
    click_in_modal(qtbot, "open_button")
    opener = session_actions.open_session(window, session)
    with qtbot.waitSignal(opener.restored, timeout=60_000):
        pass
    assert window.workspace.records.num_rows == len(RUN)


def test_the_dialog_lists_what_is_outside(qtbot, outside) -> None:
    log, session = outside
    dialog = session_actions.OutsideInputsDialog(session, [log])
    qtbot.addWidget(dialog)
    dialog.show()
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert log in texts and "outside its own folder" in texts
    dialog.grab().save(os.path.join(os.path.dirname(session), "dialog.png"))
    assert dialog.cancel_button.isDefault()


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"filters": {"sql_where": "read_text('/etc/shadow') IS NOT NULL"}}, "filters.sql_where"),
        ({"options": {"tz": "Not/AZone"}}, "options.tz"),
        ({"visible_range": [10, 5]}, "visible_range"),
    ],
)
def test_a_hostile_session_is_refused_with_the_field(window, tmp_path, monkeypatch, fields, words):
    log = tmp_path / "osqueryd.results.log"
    log.write_text("\n".join(RUN) + "\n")
    path = session_file(str(tmp_path), [str(log)], **fields)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, title, text: shown.append(text))
    assert session_actions.open_session(window, path) is None
    assert len(shown) == 1 and words in shown[0]
    assert words in window.message.text() and not window.loader.is_busy()


def test_help_shows_the_log_folder(window, monkeypatch) -> None:
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    (action,) = [a for a in help_menu.actions() if a.text() == "Show &Log Folder"]
    action.trigger()
    assert [u.toLocalFile() for u in opened] == [log_folder()]
    assert os.path.isdir(log_folder())


def test_an_unexpected_error_points_to_the_log_folder(window, qtbot, tmp_path, monkeypatch):
    configure_logging("app")  # as the app's entry point does

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the loader")

    boxes = []

    def shown(box) -> int:  # instead of waiting for a click: look at the box, press its button
        boxes.append((box.text(), box.informativeText(), [b.text() for b in box.buttons()]))
        button = next(b for b in box.buttons() if b.text() == "Show Log Folder")
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        return 0

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    monkeypatch.setattr(QMessageBox, "exec", shown)
    monkeypatch.setattr("inspector.loading.pipeline.load", broken)  # the worker imports it
    log = tmp_path / "osqueryd.results.log"
    log.write_text("\n".join(RUN) + "\n")
    with qtbot.waitSignal(window.loader.failed, timeout=60_000):
        window.open_paths([str(log)])
    qtbot.waitUntil(lambda: bool(boxes), timeout=10_000)
    text, informative, buttons = boxes[0]
    assert "Unexpected error" in text and "a bug in the loader" in text
    assert log_folder() in informative and "Show Log Folder" in buttons
    assert [u.toLocalFile() for u in opened] == [log_folder()]
    logged = Path(log_folder(), "osquery-inspector.log").read_text(encoding="utf-8")
    assert "a bug in the loader" in logged and "Traceback" in logged


def test_a_pipe_among_the_inputs_is_listed_under_problems(window, qtbot, tmp_path) -> None:
    (tmp_path / "osqueryd.results.log").write_text("\n".join(RUN) + "\n")
    os.mkfifo(tmp_path / "a-pipe")  # no writer: reading it would wait forever
    with qtbot.waitSignal(window.run_loaded, timeout=60_000):
        window.open_paths([str(tmp_path)])
    assert window.workspace.records.num_rows == len(RUN)
    model = window.problems_panel.model
    rows = [
        " ".join(str(model.data(model.index(r, c))) for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]
    assert any("a-pipe" in row and "named pipe" in row for row in rows)
    assert window.tabs.tabText(window.tabs.indexOf(window.problems_panel)) == "Problems (1)"
