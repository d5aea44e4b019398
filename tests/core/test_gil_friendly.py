"""The sliced helpers give what the one-shot calls give (that they let a waiting thread run is
measured by the GUI benchmark's stalls, not timed here)."""

from __future__ import annotations

from inspector.gil_friendly import joined, lengths, take_all


def test_the_sliced_calls_equal_the_plain_ones():
    values = [bytes([i % 251]) * (i % 7) for i in range(50_003)]
    assert take_all(iter(values), size=1000) == values
    assert take_all([], size=10) == []
    assert lengths(values, size=999).tolist() == [len(v) for v in values]
    total = sum(map(len, values))
    assert bytes(joined(values, total, size=1234)) == b"".join(values)
    assert joined(values[:5], sum(map(len, values[:5]))) == b"".join(values[:5])
