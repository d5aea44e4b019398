"""Cancelling a progress: its checkpoints raise, and what it registered (a running query's
interrupt) is called, for the progresses derived from it too."""

from __future__ import annotations

import pytest

from inspector.progress import Cancelled, Progress


def test_cancel_calls_what_was_registered_once_and_forgets_what_was_removed():
    progress = Progress()
    child = progress.scaled(0.5, 1.0).forwarding(lambda f, m: None)
    calls: list[str] = []
    child.on_cancel(lambda: calls.append("query"))
    forget = progress.on_cancel(lambda: calls.append("removed"))
    forget()
    progress.cancel()
    assert calls == ["query"]
    with pytest.raises(Cancelled):
        child.check()


def test_registering_on_a_cancelled_progress_calls_at_once():
    progress = Progress()
    progress.cancel()
    calls: list[int] = []
    progress.on_cancel(lambda: calls.append(1))
    assert calls == [1]


def test_forwarding_reports_to_its_own_callback():
    seen: list[tuple[float, str]] = []
    progress = Progress(lambda f, m: seen.append((f, "parent")))
    progress.forwarding(lambda f, m: seen.append((f, m))).report(0.5, "half")
    assert seen == [(0.5, "half")]


def test_a_failing_stop_does_not_fail_the_cancel(caplog):
    progress = Progress()
    calls: list[int] = []

    def broken() -> None:
        raise RuntimeError("the connection is closed")

    progress.on_cancel(broken)
    progress.on_cancel(lambda: calls.append(1))
    progress.cancel()  # does not raise
    assert calls == [1] and progress.cancelled
    assert "the connection is closed" in caplog.text
