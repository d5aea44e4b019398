"""Render the README's screenshots from the demo run (offscreen): python scripts/screenshots.py."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def main() -> int:
    from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

    from inspector.model import LoadOptions
    from ui.main_window import MainWindow
    from ui.qt_application import application
    from ui.style import apply_style

    QCoreApplication.setOrganizationName("osquery-inspector-screenshots")
    app = application()
    apply_style(app)
    window = MainWindow(LoadOptions(tz="UTC"))
    window.resize(1600, 1000)
    window.show()
    loop = QEventLoop()
    window.run_loaded.connect(lambda _run: loop.quit())
    window.open_demo()
    loop.exec()

    def settle(ms: int = 800) -> None:
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    settle()
    out = os.path.join(ROOT, "docs", "images")
    window.grab().save(os.path.join(out, "overview.png"))
    window.findings_panel.select(0)  # the biggest burst: zoomed, its rows in the records
    settle(1500)
    window.grab().save(os.path.join(out, "finding.png"))
    window.tabs.setCurrentWidget(window.records_panel)
    window.records_panel.select_table_row(window.records_panel.model.table_row(3))
    settle(800)
    window.grab().save(os.path.join(out, "records.png"))
    database = window.database
    database.measured.connect(loop.quit)
    window.tabs.setCurrentWidget(database.panel)  # measured on the worker when first shown
    loop.exec()
    subscribers = database.panel.subscribers
    doubled = next(
        r for r in range(subscribers.model.rowCount())
        if subscribers.model.data(subscribers.model.index(r, 1)) == "process_events"
    )  # fmt: skip
    subscribers.view.selectRow(doubled)
    settle(1500)
    window.grab().save(os.path.join(out, "database.png"))
    window.close()
    print(f"saved overview.png, finding.png, records.png and database.png in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
