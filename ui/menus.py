"""The main window's menus and keyboard shortcuts."""

from __future__ import annotations

import os

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from ui import export_actions, session_actions
from ui.cache_actions import clear_read_cache
from ui.fleet.actions import open_fleet_dialog
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
    window.recent_menu = file_menu.addMenu("Open &Recent")
    window.recent_menu.aboutToShow.connect(lambda: fill_recent(window))
    _action(window, file_menu, "Open &Demo Run", None, window.open_demo)
    _action(window, file_menu, "Open F&leet Dataset…", None, lambda: open_fleet_dialog(window))
    file_menu.addSeparator()
    _action(window, file_menu, "&Compare With…", "Ctrl+Shift+C", window.compare_dialog)
    file_menu.addSeparator()
    _action(
        window, file_menu, "Export &Findings…", None, lambda: export_actions.export_findings(window)
    )
    _action(window, file_menu, "Export Filtered &Records…", "Ctrl+E",
            lambda: export_actions.export_filtered_records(window))  # fmt: skip
    _action(window, file_menu, "Export Compare &Table…", None, window.export_comparison)
    _action(window, file_menu, "Export Timeline as &PNG…", None,
            lambda: export_actions.export_timeline_image(window, "png"))  # fmt: skip
    _action(window, file_menu, "Export Timeline as S&VG…", None,
            lambda: export_actions.export_timeline_image(window, "svg"))  # fmt: skip
    file_menu.addSeparator()
    _action(window, file_menu, "&Save Session…", QKeySequence.StandardKey.Save,
            lambda: session_actions.save_session(window))  # fmt: skip
    _action(window, file_menu, "Open Sess&ion…", None, lambda: session_actions.open_session(window))
    file_menu.addSeparator()
    _action(window, file_menu, "C&lear Read Cache…", None, lambda: clear_read_cache(window))
    file_menu.addSeparator()
    _action(window, file_menu, "&Quit", QKeySequence.StandardKey.Quit, window.close)

    view = bar.addMenu("&View")
    _action(window, view, "&Next Finding", "F8", lambda: window.findings_panel.step(+1))
    _action(window, view, "&Previous Finding", "Shift+F8", lambda: window.findings_panel.step(-1))
    _action(window, view, "Next &Marker", "Ctrl+]", lambda: _timeline(window, "step_marker", +1))
    _action(
        window, view, "Previous M&arker", "Ctrl+[", lambda: _timeline(window, "step_marker", -1)
    )
    _action(window, view, "&Filter Records", "Ctrl+F", window.focus_filter)
    _action(window, view, "&Reset Zoom", "Ctrl+0", lambda: _timeline(window, "reset_zoom"))
    view.addSeparator()
    _action(window, view, "Status-Log &Time Zone…", None, lambda: change_status_zone(window))

    help_menu = bar.addMenu("&Help")
    _action(window, help_menu, "&About", None, window.about)


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
