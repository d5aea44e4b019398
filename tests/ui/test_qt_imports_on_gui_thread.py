"""Qt's Python modules are imported on the GUI thread only.

PySide6 creates its Python types lazily, the first time one is used; two threads doing that at
once crash the process (shiboken's type map is not thread-safe). Importing pyqtgraph touches
every type of QtCore, QtGui and QtWidgets, so a load's worker that imported the timeline while
the window drew killed about one open in twelve under load. The open runs in a process of its
own here: in the test process Qt is long imported and the first import is the one that counts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.osquery_lines import event_line

ROOT = Path(__file__).resolve().parents[2]

# Writes down every first import of a Qt-touching module made off the main thread, at once
# (a screenshot run ends with os._exit: nothing runs at exit).
_WATCH = r"""
import json, sys, threading

WATCHED = ("PySide6", "shiboken6", "pyqtgraph", "ui.widgets", "ui.timeline", "ui.models")
report = open(sys.argv.pop(1), "w", buffering=1)


class Watch:
    def find_spec(self, name, path=None, target=None):
        if name.startswith(WATCHED) and threading.current_thread() is not threading.main_thread():
            report.write(json.dumps([name, threading.current_thread().name]) + "\n")
        return None


sys.meta_path.insert(0, Watch())
from ui.entry import main

sys.exit(main(sys.argv[1:]))
"""


def test_opening_a_run_imports_qt_on_the_gui_thread_only(tmp_path: Path) -> None:
    host = tmp_path / "host"
    host.mkdir()
    lines = [
        event_line("file_events", {"target_path": f"/etc/f{i}", "action": "UPDATED"},
                   unix=1785846896 + i, counter=i)
        for i in range(200)
    ]  # fmt: skip
    (host / "osqueryd.results.log").write_text("\n".join(lines) + "\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_STATE_HOME=str(tmp_path / "state"))  # fmt: skip
    shot, report = tmp_path / "window.png", tmp_path / "off-thread.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _WATCH, str(report), str(host), "--screenshot", str(shot)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert shot.exists()
    assert [json.loads(line) for line in report.read_text().splitlines()] == []
