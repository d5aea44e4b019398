"""The main window's menus and keyboard shortcuts."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox

from ui import export_actions
from ui.cache_actions import clear_read_cache
from ui.failures import show_log_folder
from ui.recent import clear_recent, recent_inputs
from ui.status_zone import change_status_zone


def _action(window: QMainWindow, menu: QMenu, text: str, shortcut, slot) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def build_menus(window) -> None:
    """File (open, recent, demo), View (findings, markers, filter, zoom) and Help."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    _action(
        window, file_menu, "&Open Files…", QKeySequence.StandardKey.Open, window.open_files_dialog
    )
    _action(window, file_menu, "Open &Folder…", "Ctrl+Shift+O", window.open_folder_dialog)
    _action(window, file_menu, "Fo&llow…", "Ctrl+Shift+L", lambda: _live().follow_dialog(window))
    window.recent_menu = file_menu.addMenu("Open &Recent")
    window.recent_menu.aboutToShow.connect(lambda: fill_recent(window))
    _action(window, file_menu, "Open &Demo Run", None, window.open_demo)
    _action(
        window, file_menu, "Open Fl&eet Dataset…", None, lambda: _fleet().open_fleet_dialog(window)
    )
    file_menu.addSeparator()
    needs_run = window.run_actions  # enabled once a run is loaded
    needs_run.append(
        _action(window, file_menu, "&Compare With Folder…", "Ctrl+Shift+C", window.compare_dialog)
    )
    needs_run.append(
        _action(window, file_menu, "Compare &With Files…", None, window.compare_files_dialog)
    )
    file_menu.addSeparator()
    needs_run += [
        _action(window, file_menu, "Export Findin&gs…", None,
                lambda: export_actions.export_findings(window)),
        _action(window, file_menu, "E&xport Filtered Records…", "Ctrl+E",
                lambda: export_actions.export_filtered_records(window)),
        _action(window, file_menu, "Export Compare &Table…", None, window.export_comparison),
        _action(window, file_menu, "Export Timeline as &PNG…", None,
                lambda: export_actions.export_timeline_image(window, "png")),
        _action(window, file_menu, "Export Timeline as S&VG…", None,
                lambda: export_actions.export_timeline_image(window, "svg")),
    ]  # fmt: skip
    file_menu.addSeparator()
    needs_run.append(_action(window, file_menu, "&Save Session…", QKeySequence.StandardKey.Save,
                             lambda: _sessions().save_session(window)))  # fmt: skip
    _action(window, file_menu, "Open Sess&ion…", None, lambda: _sessions().open_session(window))
    file_menu.addSeparator()
    _action(window, file_menu, "Clear Read C&ache…", None, lambda: clear_read_cache(window))
    _action(window, file_menu, "Prefere&nces…", QKeySequence.StandardKey.Preferences,
            lambda: _preferences(window))  # fmt: skip
    file_menu.addSeparator()
    _action(window, file_menu, "&Quit", QKeySequence.StandardKey.Quit, window.close)

    view = bar.addMenu("&View")
    needs_run += [
        _action(window, view, "&Next Finding", "F8", lambda: window.findings_panel.step(+1)),
        _action(window, view, "&Previous Finding", "Shift+F8",
                lambda: window.findings_panel.step(-1)),
        _action(window, view, "Next &Marker", "Ctrl+]",
                lambda: _timeline(window, "step_marker", +1)),
        _action(window, view, "Previous M&arker", "Ctrl+[",
                lambda: _timeline(window, "step_marker", -1)),
        _action(window, view, "&Filter Records", "Ctrl+F", window.focus_filter),
        _action(window, view, "&Go to Time…", "Ctrl+G", window.go_to_time_dialog),
        _action(window, view, "&Reset Zoom", "Ctrl+0", lambda: _timeline(window, "reset_zoom")),
    ]  # fmt: skip
    view.addSeparator()
    needs_run.append(
        _action(window, view, "Status-Log &Time Zone…", None, lambda: change_status_zone(window))
    )

    help_menu = bar.addMenu("&Help")
    _action(window, help_menu, "&Keyboard Shortcuts", "F1", lambda: show_shortcuts(window))
    window.show_log_folder_action = _action(
        window, help_menu, "Show &Log Folder", None, show_log_folder
    )
    _action(window, help_menu, "&About", None, window.about)


def _fleet():
    """``ui.fleet.actions``, imported on first use."""
    from ui.fleet import actions

    return actions


def _live():
    from ui.live import live_controller

    return live_controller


def _preferences(window) -> None:
    from ui.live.preferences import PreferencesDialog

    PreferencesDialog(window).exec()


SHORTCUTS = [
    ("Ctrl+O / Ctrl+Shift+O", "open files / a folder"),
    ("Ctrl+Shift+C", "compare with the run in a folder"),
    ("Ctrl+Shift+L", "follow a running agent's files (live)"),
    ("F8 / Shift+F8", "next / previous finding (zooms to it, scrolls to its lane)"),
    ("Ctrl+] / Ctrl+[", "next / previous status-log marker"),
    ("← / →", "timeline: pan (click the lanes first)"),
    ("+ / −", "timeline: zoom in / out"),
    ("Home / End", "timeline: the run's start / end"),
    ("Wheel, drag", "timeline: zoom, pan"),
    ("Shift+drag", "timeline: select a time range (filters the records)"),
    ("Ctrl+G", "go to a time"),
    ("Ctrl+0", "reset the zoom"),
    ("Ctrl+F", "filter the records"),
    ("Ctrl+C", "copy the selected records as JSON lines"),
    ("Ctrl+E", "export the filtered records"),
    ("Ctrl+S", "save the session"),
    ("Ctrl+Q", "quit"),
]


def shortcuts_html() -> str:
    """The keyboard shortcuts as an HTML table."""
    rows = "".join(f"<tr><td><b>{k}</b></td><td>{what}</td></tr>" for k, what in SHORTCUTS)
    return f"<table cellspacing=4>{rows}</table>"


def show_shortcuts(window) -> None:
    """Help → Keyboard Shortcuts."""
    box = QMessageBox(window)
    box.setWindowTitle("Keyboard Shortcuts")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(shortcuts_html())
    box.open()
    window.shortcuts_box = box  # kept: tests and the user read it while it is open


def _sessions():
    """``ui.session_actions``, imported on first use (it brings the readers: ~0.2 s)."""
    from ui import session_actions

    return session_actions


def _timeline(window, method: str, *args) -> None:
    """Call a timeline method once a run (and so the timeline) is there."""
    if window.timeline is not None:
        getattr(window.timeline, method)(*args)


def fill_recent(window) -> None:
    """Rebuild Open Recent from the settings each time it opens."""
    menu = window.recent_menu
    menu.clear()
    entries = recent_inputs()
    for paths in entries:
        label = ", ".join(os.path.basename(p.rstrip("/")) or p for p in paths)
        action = menu.addAction(label, lambda p=paths: window.open_paths(p))
        action.setToolTip("\n".join(paths))
    if not entries:
        menu.addAction("(nothing yet)").setEnabled(False)
    else:
        menu.addSeparator()
        menu.addAction("Clear Recent", clear_recent)
