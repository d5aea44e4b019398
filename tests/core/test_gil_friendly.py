"""The sliced helpers give what the one-shot calls give (that they let a waiting thread run is
measured by the GUI benchmark's stalls, not timed here)."""

from __future__ import annotations

from inspector.gil_friendly import joined, lengths, take_all, unfilled_bytearray


def test_the_sliced_calls_equal_the_plain_ones():
    values = [bytes([i % 251]) * (i % 7) for i in range(50_003)]
    assert take_all(iter(values), size=1000) == values
    assert take_all([], size=10) == []
    assert lengths(values, size=999).tolist() == [len(v) for v in values]
    total = sum(map(len, values))
    assert bytes(joined(values, total, size=1234)) == b"".join(values)
    assert joined(values[:5], sum(map(len, values[:5]))) == b"".join(values[:5])


def test_an_unfilled_bytearray_is_a_bytearray_of_its_size() -> None:
    for size in (0, 1, 4096, 3 * 2**20 + 7):
        buf = unfilled_bytearray(size)
        assert type(buf) is bytearray and len(buf) == size
        if size > 3:
            buf[:3] = b"abc"
            buf[-1:] = b"\n"
            assert buf.rfind(b"\n", 0, size) == size - 1 and bytes(buf[:3]) == b"abc"
            del buf[3:]  # shrinks in place, as the chunk reader does
            assert buf == bytearray(b"abc")
    assert unfilled_bytearray(-5) == bytearray()
