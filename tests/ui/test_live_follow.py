"""Following a running (simulated) agent in the window."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QSettings, Qt

from inspector.demo.live_agent import RotatingLog, event_line
from ui.live.live_controller import follow_paths
from ui.live.preferences import LIMIT_KEY, PreferencesDialog, live_memory_limit_bytes


def agent_lines(start: int, count: int, doubled: bool) -> list[str]:
    now = int(time.time())
    out = []
    for n in range(start, start + count):
        out.append(event_line(n, now))
        if doubled:
            out.append(event_line(n, now, copy=1))
    return out


def test_follow_shows_the_run_and_announces_a_new_finding(window, qtbot, tmp_path):
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"))
    log.write_many(agent_lines(0, 200, False))
    live = follow_paths(window, [str(tmp_path)])
    try:
        qtbot.waitUntil(lambda: live.shown, timeout=15_000)
        assert window.timeline is not None
        assert "200 lines" in live.bar.status.text()
        assert window.windowTitle().startswith("osquery Event Inspector — following")
        # The right edge is at now.
        lo, hi = window.timeline.view.current_range()
        assert abs(hi - time.time()) < 120
        log.write_many(agent_lines(200, 300, True))  # the agent starts delivering twice
        qtbot.waitUntil(lambda: window.findings_panel.model.rowCount() > 0, timeout=15_000)
        assert live.bar.last_news.startswith("New finding: duplicate burst in process_events")
        assert "800 lines" in live.bar.status.text() or live.last.lines == 800
        window.grab().save(str(tmp_path / "follow.png"))
        # Pause, then the user pans away: Live unchecks; the Live button returns.
        qtbot.mouseClick(live.bar.pause, Qt.MouseButton.LeftButton)
        assert live.bar.pause.text() == "Resume"
        window.timeline.view.zoom_to(lo - 7200, hi - 7200)
        qtbot.waitUntil(lambda: not live.bar.live.isChecked(), timeout=5_000)
        qtbot.mouseClick(live.bar.live, Qt.MouseButton.LeftButton)
        assert live.bar.live.isChecked() and live.following
        _, hi = window.timeline.view.current_range()
        assert abs(hi - time.time()) < 120
        qtbot.mouseClick(live.bar.pause, Qt.MouseButton.LeftButton)
        assert live.bar.pause.text() == "Pause"
    finally:
        live.stop()
    assert window.live is None and window.message.text() == "Stopped following"


def test_an_agent_writing_while_followed_reaches_the_timeline(window, qtbot, tmp_path):
    log = RotatingLog(str(tmp_path / "osqueryd.results.log"))
    live = follow_paths(window, [str(tmp_path)])
    stop = threading.Event()

    def agent() -> None:
        n = 0
        while not stop.is_set() and n < 400:
            log.write(agent_lines(n, 20, False))
            n += 20
            if n == 200:
                log.rotate()
            time.sleep(0.05)

    writer = threading.Thread(target=agent)
    writer.start()
    try:
        qtbot.waitUntil(lambda: live.last is not None and live.last.lines == 400, timeout=20_000)
        assert live.shown
    finally:
        stop.set()
        writer.join()
        live.stop()


def test_preferences_store_the_memory_limit(qtbot):
    dialog = PreferencesDialog()
    qtbot.addWidget(dialog)
    dialog.limit.setValue(256)
    dialog.accept()
    assert int(QSettings().value(LIMIT_KEY)) == 256
    assert live_memory_limit_bytes() == 256 * 1024 * 1024


def test_follow_is_an_option_of_the_app():
    from ui.app import build_parser

    args = build_parser().parse_args(["--follow", "/var/log/osquery", "/var/osquery/osquery.db"])
    assert args.follow == ["/var/log/osquery", "/var/osquery/osquery.db"]


def test_file_menu_offers_follow_and_preferences(window):
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    assert "Fo&llow…" in texts and "Prefere&nces…" in texts
