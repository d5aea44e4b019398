"""Guard against PySide6 6.12.0 on CPython 3.11, whose Signal.emit() leaks references to
True/None until the process aborts (docs/stack-notes.md)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(object)


def test_signal_emit_keeps_refcounts(qapp) -> None:
    emitter = _Emitter()
    received = []
    emitter.fired.connect(received.append)
    before_true, before_none = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(10_000):
        emitter.fired.emit(True)
        emitter.fired.emit(None)
    received.clear()
    assert sys.getrefcount(True) >= before_true - 100
    assert sys.getrefcount(None) >= before_none - 100
