"""Fixtures of the window tests."""

from __future__ import annotations

import pytest

from inspector.model import LoadOptions
from ui.main_window import MainWindow


@pytest.fixture
def window(qtbot):
    """A main window with nothing loaded (UTC times); loads still running are stopped after."""
    win = MainWindow(LoadOptions(tz="UTC"))
    qtbot.addWidget(win)
    win.show()
    yield win
    win.loader.cancel()
    win.loader.wait()


def click_tab(qtbot, window, page) -> None:
    """Bring ``page`` into view as a user does: a click on its tab."""
    from PySide6.QtCore import Qt

    bar = window.tabs.tabBar()
    index = window.tabs.indexOf(page)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert window.tabs.currentWidget() is page
