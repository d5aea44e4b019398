"""Starting the desktop app: arguments, fonts, the window, and headless screenshots."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from inspector import __version__
from inspector.cli.options import add_time_options
from inspector.model import LoadOptions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="osquery-inspector",
        description="Desktop app for what an osquery agent left on disk (logs, configs).",
        epilog="Headless: 'osquery-inspector scan PATH... [--json]' prints a summary without a "
        "display ('osquery-inspector scan --help').",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files or folders to open")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the demo run (written into the cache on first use)",
    )
    parser.add_argument(
        "--screenshot", metavar="FILE.png", help="render the window to a PNG once loaded, then exit"
    )
    parser.add_argument(
        "--compare",
        metavar="AFTER",
        help="compare the opened run (before) with the run at AFTER (a folder or file)",
    )
    parser.add_argument(
        "--follow",
        nargs="+",
        metavar="PATH",
        help="follow a running agent's logs, folders or osquery.db as they grow",
    )
    parser.add_argument(
        "--fleet", metavar="DATASET", help="open a fleet dataset (written by fleet ingest)"
    )
    add_time_options(parser)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def run_app(argv: list[str]) -> int:
    """Start the GUI; return its exit status."""
    args = build_parser().parse_args(argv)
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY")
        or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM")
    )
    if headless:
        # Without a display Qt would abort; render offscreen and say where the picture went.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
        if not args.screenshot:
            args.screenshot = _fallback_screenshot_path()
            print(
                "No display found (DISPLAY and WAYLAND_DISPLAY are unset): the window is rendered "
                f"offscreen to {args.screenshot}.\nRun on a desktop session, or under xvfb-run, to "
                "use the window; 'osquery-inspector scan PATH' works without one.",
                file=sys.stderr,
            )
    options = LoadOptions(tz=args.tz, year=args.year)
    if args.paths and not (args.follow or args.fleet or args.demo):
        from ui import early_load

        # Before Qt: the run loads while Qt is imported and the window built (~1 s).
        early_load.start(args.paths, options)
    from PySide6.QtCore import QCoreApplication, QTimer

    from ui.main_window import MainWindow
    from ui.qt_application import application
    from ui.style import apply_style

    _quiet_offscreen_warnings()
    QCoreApplication.setOrganizationName("osquery-inspector")
    QCoreApplication.setApplicationName("osquery Event Inspector")
    app = application(sys.argv[:1])
    apply_style(app)
    _set_identity(app)
    window = MainWindow(options)
    if args.screenshot:
        window.resize(1600, 1000)  # the documented screenshot size
    if args.fleet:
        return _run_fleet(app, window, args)
    window.show()
    if args.compare:
        _compare_after_load(window, args.compare)
    if args.screenshot:
        return _quit_now(_screenshot(app, window, args))
    if args.demo:
        QTimer.singleShot(0, window.open_demo)
    elif args.follow:
        from ui.live.live_controller import follow_paths

        QTimer.singleShot(0, lambda: follow_paths(window, args.follow + args.paths))
    elif args.paths:
        QTimer.singleShot(0, lambda: window.open_paths(args.paths))
    return _quit_now(app.exec())


def _quit_now(code: int) -> int:
    """Leave at once once the window has closed (its workers already stopped): unwinding every
    Qt and Python object of a big run took the interpreter 1–4 s after the window was gone. The
    read cache's writes under way are finished first — they are the only work left."""
    from PySide6.QtCore import QSettings

    QSettings().sync()  # the window's layout, recent inputs, the display zone
    cache = sys.modules.get("inspector.loading.read_cache")
    if cache is not None:
        cache.flush()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _run_fleet(app, window, args) -> int:
    """The fleet window on ``args.fleet`` (the main window shows when a host is opened)."""
    from PySide6.QtCore import QTimer

    from inspector.fleet.layout import dataset_problem
    from ui.fleet.actions import open_fleet

    if (problem := dataset_problem(args.fleet)) is not None:
        print(f"osquery-inspector: {problem}", file=sys.stderr)
        return 2
    fleet = open_fleet(window, args.fleet)
    if not args.screenshot:
        return app.exec()
    fleet.resize(1600, 1000)
    status = {"code": 1}

    def save(_result=None) -> None:
        app.processEvents()
        if fleet.grab().save(args.screenshot):
            print(f"saved {args.screenshot}")
            status["code"] = 0
        app.quit()

    fleet.scanned.connect(lambda _r: QTimer.singleShot(100, save))

    def failed(message: str) -> None:
        print(message, file=sys.stderr)
        save()

    fleet.job.failed.connect(failed)
    app.exec()
    return status["code"]


def _set_identity(app) -> None:
    """The window icon, and the desktop entry's name (Wayland matches windows to it)."""
    from PySide6.QtGui import QIcon

    from ui.resources import icon_files

    icon = QIcon()
    for path in icon_files():
        icon.addFile(str(path))
    if not icon.isNull():
        app.setWindowIcon(icon)
    app.setDesktopFileName("osquery-inspector")


def _compare_after_load(window, after: str) -> None:
    """Once the first run is loaded, compare it with ``after``."""

    def then(_run) -> None:
        window.run_loaded.disconnect(then)
        window.open_compare([after])

    window.run_loaded.connect(then)


def _quiet_offscreen_warnings() -> None:
    """The offscreen platform warns about window hints it cannot honour; that is not news."""
    from PySide6.QtCore import qInstallMessageHandler

    previous = None

    def handler(mode, context, message: str) -> None:
        if "propagateSizeHints" in message:
            return
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(message + "\n")

    if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        previous = qInstallMessageHandler(handler)


def _fallback_screenshot_path() -> str:
    import tempfile

    from platformdirs import user_cache_dir

    folder = os.path.join(user_cache_dir("osquery-inspector"), "screenshots")
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:  # the cache folder cannot be written: the temporary folder will do
        folder = tempfile.mkdtemp(prefix="osquery-inspector-")
    return os.path.join(folder, "window.png")


def _screenshot(app, window, args) -> int:
    """Load, render the window to ``args.screenshot``, exit (0, or 1 if loading failed)."""
    from PySide6.QtCore import QTimer

    status = {"code": 0}

    def save(_run=None) -> None:
        app.processEvents()
        # Compression level 2 of 9 (quality 80) for a PNG: as small as the default level's and
        # a third faster to write (39 against 63 ms for a 1600×1000 window).
        quality = 80 if args.screenshot.lower().endswith(".png") else -1
        if window.grab().save(args.screenshot, None, quality):
            print(f"saved {args.screenshot}")
        else:
            print(f"could not write the screenshot to {args.screenshot}", file=sys.stderr)
            status["code"] = 1
        app.quit()

    def failed(message: str) -> None:
        print(f"loading failed: {message}", file=sys.stderr)
        status["code"] = 1
        save()

    if args.compare:  # the picture waits for the comparison, not just the first run
        window.compare.comparer.compared.connect(lambda _r: QTimer.singleShot(300, save))
        window.compare.comparer.failed.connect(failed)
        window.compare.loader.failed.connect(failed)
    else:
        window.run_loaded.connect(lambda _run: QTimer.singleShot(0, save))
    window.loader.failed.connect(failed)
    if args.demo:
        QTimer.singleShot(0, window.open_demo)
    elif args.paths:
        QTimer.singleShot(0, lambda: window.open_paths(args.paths))
    else:
        QTimer.singleShot(100, save)
    app.exec()
    return status["code"]
