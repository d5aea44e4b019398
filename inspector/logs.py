"""The app's log file: where the tracebacks of unexpected failures go.

A worker that fails turns the error into one line for the user; the traceback goes here so the
failure can still be diagnosed (``logging``, rotated: a few files of a few MB). The window and
the command line each call ``configure_logging`` once at start; without it (tests, notebooks)
records go wherever the host application's logging sends them.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import threading

from platformdirs import user_state_dir

LOG_NAME = "osquery-inspector.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 4
LOGGERS = ("inspector", "ui")  # the app's own loggers (module names under these packages)
_lock = threading.Lock()
_configured: str | None = None


def log_folder() -> str:
    """``<user state dir>/osquery-inspector/logs`` (``~/.local/state/…`` on Linux)."""
    return os.path.join(user_state_dir("osquery-inspector"), "logs")


def log_file() -> str:
    """The current log file (older ones beside it end in ``.1``, ``.2``, …)."""
    return os.path.join(log_folder(), LOG_NAME)


def configure_logging(program: str) -> str | None:
    """Send the app's log records (INFO and up) to the rotating log file; return its path, or
    None when the folder cannot be written (the app runs on without a log file). Idempotent."""
    global _configured
    with _lock:
        if _configured is not None:
            return _configured
        path = log_file()
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
            )
            # delay=True opens on the first record; check now that the file can be written.
            with open(path, "a", encoding="utf-8"):
                pass
        except OSError:
            return None
        handler.setFormatter(
            logging.Formatter(
                f"%(asctime)s {program}[%(process)d] %(threadName)s %(levelname)s %(name)s: "
                "%(message)s"
            )
        )
        for name in LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(logging.INFO)
            logger.addHandler(handler)
        _configured = path
        return path


def where_logged() -> str:
    """Words for a message: where the details of a failure are."""
    return f"the details are in the log folder {log_folder()}"
