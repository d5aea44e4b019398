"""Long loops over Python objects that let other threads run.

A C-level loop — ``list(iterator)`` over a binding's iterator, ``b"".join`` of a million
values, ``np.fromiter`` — holds the GIL from start to end: no bytecode runs, so the interpreter
never hands the GIL over. Reading a large ``osquery.db`` that way on a worker held the window's
GUI thread for hundreds of milliseconds (every Qt call from Python waits for the GIL). These
helpers do the same work in slices, with a bytecode boundary between slices, where the
interpreter lets a waiting thread in (``sys.getswitchinterval``).
"""

from __future__ import annotations

import ctypes
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar, cast

import numpy as np

T = TypeVar("T")

SLICE = 16_384  # items per slice: well under a millisecond of C work each


def _constructor() -> Callable[[None, int], bytearray] | None:
    """CPython's own constructor: given no source bytes, it leaves the new buffer as it is."""
    try:
        make = ctypes.pythonapi.PyByteArray_FromStringAndSize
    except (AttributeError, OSError):  # not CPython
        return None
    make.restype = ctypes.py_object
    make.argtypes = (ctypes.c_void_p, ctypes.c_ssize_t)
    return cast(Callable[[None, int], bytearray], make)


_bytearray_of_size = _constructor()


def unfilled_bytearray(size: int) -> bytearray:
    """A ``bytearray`` of ``size`` bytes whose content is undefined (not zeroed).

    ``bytearray(size)`` zeroes its memory with the GIL held: ~20 ms for a 32 MB read buffer,
    during which no other thread — the window's GUI thread — runs Python; a large run's reads
    took hundreds of such buffers. Unfilled, the pages are touched only when the read fills
    them, without the GIL. The caller must only use the bytes it wrote."""
    if _bytearray_of_size is None or size <= 0:
        return bytearray(max(size, 0))
    return _bytearray_of_size(None, size)


def take_all(items: Iterable[T], size: int = SLICE) -> list[T]:
    """``list(items)``, taken ``size`` at a time."""
    out: list[T] = []
    it = iter(items)
    while True:
        part = list(itertools.islice(it, size))
        if not part:
            return out
        out += part


def lengths(values: Sequence[bytes], size: int = SLICE) -> np.ndarray:
    """``len`` of every value as int64, a slice at a time."""
    out = np.empty(len(values), dtype=np.int64)
    for start in range(0, len(values), size):
        part = values[start : start + size]
        out[start : start + len(part)] = np.fromiter(map(len, part), np.int64, len(part))
    return out


def joined(values: Sequence[bytes], total: int, size: int = SLICE) -> bytes | memoryview:
    """``b"".join(values)`` (``total``: their summed length), a slice at a time into one
    preallocated buffer (a bytes-like view of it)."""
    if len(values) <= size:
        return b"".join(values)
    # Not ``bytearray(total)``: zeroing hundreds of MB held the GIL 100 ms in one go.
    buffer = np.empty(total, dtype=np.uint8)
    view = buffer.data  # a writable memoryview of the array
    at = 0
    for start in range(0, len(values), size):
        part = b"".join(values[start : start + size])
        view[at : at + len(part)] = part
        at += len(part)
    return view
