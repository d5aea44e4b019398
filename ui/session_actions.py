"""File → Save Session… / Open Session…: the window's inputs and view, and back.

Hashing the inputs (to save, and to check them when opening) runs on a worker thread. A session
file is untrusted: its fields are checked as it is read (``inspector.session_checks``), and inputs
outside its own folder are listed and opened only when the user says so
(``ask_outside_inputs``), before anything is read. Opening then checks the inputs; if some moved
or changed, ``ask_about_inputs`` (a dialog with
"Locate…" per input, "Open anyway" and "Cancel"; tests replace it) decides. Then the inputs load
as usual and, once the window has the run, the hidden lanes, visible range, brush and records
filter are restored.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from inspector.atomic_file import write_bytes_atomically
from inspector.model import LoadOptions
from inspector.session import (
    Session,
    SessionError,
    build_session,
    check_inputs,
    filter_from_json,
    guess_moves,
    relocated,
)
from inspector.session_checks import outside_folder
from ui.export_actions import in_background, target_path
from ui.latest_job import LatestJob

SESSIONS = "Inspector sessions (*.json)"
PROBLEMS = {"missing": "missing", "changed": "changed since the session was saved"}


def choose_open_path(parent: QWidget) -> str:
    """Ask which session file to open ("" when cancelled)."""
    return QFileDialog.getOpenFileName(parent, "Open Session", "", SESSIONS)[0]


def locate_input(parent: QWidget, problem: dict) -> str:
    """Ask where an input (a ``check_inputs`` problem) is now; "" when cancelled."""
    path = problem["path"]
    start = os.path.dirname(path) if os.path.isdir(os.path.dirname(path)) else ""
    title = f"Locate {os.path.basename(path.rstrip(os.sep)) or path}"
    if problem.get("folder"):
        return QFileDialog.getExistingDirectory(parent, title, start)
    return QFileDialog.getOpenFileName(parent, title, start)[0]


class InputsDialog(QDialog):
    """Which inputs moved or changed, a "Locate…" for each, and "Open anyway" or "Cancel"."""

    def __init__(self, problems: list[dict], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Session inputs")
        self.problems = problems
        self.moves: dict[str, str] = {}
        self.status_labels: dict[str, QLabel] = {}
        self.locate_buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for row, p in enumerate(problems):
            grid.addWidget(QLabel(p["path"], self), row, 0)
            self.status_labels[p["path"]] = QLabel(PROBLEMS.get(p["problem"], p["problem"]), self)
            grid.addWidget(self.status_labels[p["path"]], row, 1)
            button = QPushButton("Locate…", self)
            button.clicked.connect(lambda _=False, problem=p: self.locate(problem))
            self.locate_buttons[p["path"]] = button
            grid.addWidget(button, row, 2)
        self.open_button = QPushButton("Open anyway", self)
        self.open_button.clicked.connect(self.accept)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Some of the session's inputs are not as they were saved:", self))
        layout.addLayout(grid)
        layout.addLayout(buttons)

    def locate(self, problem: dict) -> None:
        """Ask where an input is now; the other missing inputs are looked for where it moved."""
        path, new = problem["path"], locate_input(self, problem)
        if not new:
            return
        self.moves[path] = new
        missing = [p["path"] for p in self.problems if p["problem"] == "missing"]
        for old, guess in guess_moves(missing, path, new).items():
            self.moves.setdefault(old, guess)
        for old, now in self.moves.items():
            self.status_labels[old].setText(f"→ {now}")
        resolved = all(p["path"] in self.moves for p in self.problems)
        self.open_button.setText("Open" if resolved else "Open anyway")

    def decision(self) -> tuple[dict[str, str], bool] | None:
        """None when cancelled, else (old path → new path, open without checking again)."""
        if self.result() != QDialog.DialogCode.Accepted:
            return None
        return dict(self.moves), not all(p["path"] in self.moves for p in self.problems)


class OutsideInputsDialog(QDialog):
    """The session names inputs outside its own folder: list them, open them only if asked."""

    def __init__(self, session_path: str, paths: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Inputs outside the session's folder")
        folder = os.path.dirname(os.path.abspath(session_path))
        intro = QLabel(
            f"The session {os.path.basename(session_path)} opens files outside its own folder "
            f"({folder}). A session from someone else could name any file this account can "
            "read. Open these?",
            self,
        )
        intro.setWordWrap(True)
        listing = QLabel(
            "\n".join(paths[:30]) + (f"\n… and {len(paths) - 30} more" if len(paths) > 30 else ""),
            self,
        )
        listing.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("Open Them", self)
        self.open_button.clicked.connect(self.accept)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        self.cancel_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(listing)
        layout.addLayout(buttons)


def ask_outside_inputs(parent: QWidget, session_path: str, paths: list[str]) -> bool:
    """Ask before opening a session's inputs that lie outside its folder; True to open them."""
    dialog = OutsideInputsDialog(session_path, paths, parent)
    return dialog.exec() == QDialog.DialogCode.Accepted


def ask_about_inputs(parent: QWidget, problems: list[dict]) -> tuple[dict[str, str], bool] | None:
    """The decision about moved or changed inputs (see ``InputsDialog.decision``)."""
    dialog = InputsDialog(problems, parent)
    dialog.exec()
    return dialog.decision()


# -- saving ---------------------------------------------------------------------------------------
def save_session(window, path: str | None = None) -> LatestJob | None:
    """File → Save Session…: returns the running job (``done`` carries the path) or None."""
    ws, timeline = window.workspace, window.timeline
    if ws is None:
        window.message.setText("Nothing to save: open a run first")
        return None
    path = target_path(window, "Save Session", "session.json", SESSIONS, path)
    if path is None:
        return None
    view = timeline.view if timeline is not None else None
    # The inputs as opened (folders stay folders); else the files that loaded.
    opened = list(getattr(window, "current_paths", None) or [])
    state = {
        "inputs": opened or [s.path for s in ws.sources if s.status == "loaded"],
        "options": {"tz": ws.options.tz, "year": ws.options.year},
        "flt": window.records_panel.current_filter,
        "visible_range": view.current_range() if view is not None else None,
        "hidden_lanes": set(view.hidden) if view is not None else set(),
        "brush": view.brush_range if view is not None else None,
        "compare": getattr(window, "comparison_state", None) or None,
    }

    def work(progress) -> str:
        text = build_session(**state, progress=progress).to_json()
        write_bytes_atomically(path, text.encode("utf-8"))
        return path

    return in_background(window, work, "Saving the session…", lambda p: f"Saved the session to {p}")


# -- opening --------------------------------------------------------------------------------------
def open_session(window, path: str | None = None) -> SessionOpener | None:
    """File → Open Session…: returns the opener (``restored`` fires at the end) or None."""
    path = path or choose_open_path(window)
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            session = Session.from_json(f.read())
    except (OSError, SessionError) as exc:
        window.message.setText(f"Cannot open the session: {exc}")
        QMessageBox.warning(window, "Cannot open the session", str(exc))
        return None
    opener = SessionOpener(window, session, path)
    every = session.input_paths + [e["path"] for e in (session.compare or {}).get("inputs", [])]
    outside = outside_folder(every, path)
    # Asked before anything is read (checking the inputs hashes them).
    if outside and not ask_outside_inputs(window, path, outside):
        window.message.setText("Session not opened: it names inputs outside its folder")
        return None
    opener.check()
    return opener


class SessionOpener(QObject):
    """Checks a session's inputs, loads them and restores the view once the run is in."""

    restored = Signal(object)  # the Session, as restored (paths possibly relocated)
    failed = Signal(str)  # also when cancelled

    def __init__(self, window, session: Session, path: str) -> None:
        super().__init__(window)
        self.window, self.session, self.path = window, session, path
        self.notes: list[str] = []

    def check(self) -> None:
        session = self.session
        job = in_background(self.window, lambda p: check_inputs(session, p),
                            "Checking the session's inputs…", lambda _p: "Inputs checked")  # fmt: skip
        job.done.connect(self._on_checked)
        job.failed.connect(self.failed)

    def _on_checked(self, problems: list[dict]) -> None:
        if not problems:
            return self._load()
        decision = ask_about_inputs(self.window, problems)
        if decision is None:
            self.window.message.setText("Session not opened")
            return self.failed.emit("cancelled")
        moves, anyway = decision
        self.session = relocated(self.session, moves)
        return self._load() if anyway or not moves else self.check()

    def _load(self) -> None:
        paths = [p for p in self.session.input_paths if os.path.exists(p)]
        if not paths:
            self.window.message.setText("None of the session's inputs is there")
            return self.failed.emit("no inputs")
        self.wanted = set(paths)
        self.window.run_loaded.connect(self._on_loaded)
        self.window.loader.failed.connect(self._on_load_failed)
        opts = self.session.options
        self.window.open_paths(paths, LoadOptions(tz=opts.get("tz"), year=opts.get("year")))
        return None

    def _disconnect(self) -> None:
        self.window.run_loaded.disconnect(self._on_loaded)
        self.window.loader.failed.disconnect(self._on_load_failed)

    def _on_load_failed(self, message: str) -> None:
        self._disconnect()
        self.failed.emit(message)

    def _on_loaded(self, run) -> None:
        self._disconnect()
        got = set(getattr(run, "paths", None) or [s.path for s in run.workspace.sources])
        if not got & self.wanted:
            return self.failed.emit("another run was opened meanwhile")
        self.notes = restore_view(self.window, self.session)
        self.notes += self._compare()
        extra = f" ({'; '.join(self.notes)})" if self.notes else ""
        self.window.message.setText(f"Restored the session {os.path.basename(self.path)}{extra}")
        return self.restored.emit(self.session)

    def _compare(self) -> list[str]:
        compare = self.session.compare
        if not compare:
            return []
        if not hasattr(self.window, "open_compare"):
            return ["its comparison is not restored: this window cannot compare"]
        paths = [e["path"] for e in compare["inputs"] if os.path.exists(e["path"])]
        self.window.open_compare(paths, compare["align_before"], compare["align_after"])
        return []


def restore_view(window, session: Session) -> list[str]:
    """Hidden lanes, visible range, brush and records filter; returns what was left out."""
    notes = []
    timeline = window.timeline
    if timeline is not None:
        view = timeline.view
        hidden = {tuple(k) for k in session.hidden_lanes} & set(view.order)
        _check_lanes(timeline, hidden)
        view.set_hidden(hidden)
        if session.visible_range is not None:
            view.zoom_to(*session.visible_range)
        if session.brush is not None:
            view.set_brush(*session.brush)
            view.brushed.emit(*session.brush)  # as a Shift+drag ends: the panels follow
    left_out = window.records_panel.set_filter(filter_from_json(session.filters))
    if left_out:
        notes.append(f"the filter bar cannot show its {', '.join(left_out)}")
    return notes


def _check_lanes(timeline, hidden: set[tuple]) -> None:
    """Tick the lane tree's boxes to match (without a relayout per box)."""
    tree = getattr(timeline, "tree", None)
    if tree is None:
        return
    tree.blockSignals(True)
    for i in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(i)
        for j in range(top.childCount()):
            child = top.child(j)
            key = child.data(0, Qt.ItemDataRole.UserRole)
            off = key is not None and tuple(key) in hidden
            child.setCheckState(0, Qt.CheckState.Unchecked if off else Qt.CheckState.Checked)
    tree.blockSignals(False)
