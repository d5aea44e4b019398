"""The two signatures of osquery's bug class, from small hand-made record tables."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from inspector.analysis.duplicates import duplicate_bursts, duplication_factors
from inspector.analysis.groups import duplicate_groups
from inspector.analysis.rates import event_rates
from inspector.schema import RECORDS

T0 = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)


def _records(copies_with: str | None) -> pa.Table:
    """30 minutes of 20 events a minute; minutes 10–19 deliver every event twice."""
    rows = []
    eid = 0
    for minute in range(30):
        for k in range(20):
            eid += 1
            at = T0 + dt.timedelta(minutes=minute, seconds=k * 3)
            copies = 2 if 10 <= minute < 20 else 1
            for c in range(copies):
                own = None
                if copies_with == "different_eids":
                    own = f"{eid * 10 + c:010d}"
                elif copies_with == "same_eid":
                    own = f"{eid * 10:010d}"
                columns = f'{{"pid":"{eid}","time":"{int(at.timestamp())}"'
                columns += f',"eid":"{own}"}}' if own else "}"
                rows.append({
                    "source": "r.log", "line": len(rows) + 1, "format": "event", "host": "h1",
                    "query": "q", "subscriber": "process_events", "publisher": "openbsm",
                    "action": "added", "log_time": at, "event_time": at, "eid": own, "columns": columns,
                })  # fmt: skip
    return pa.Table.from_pylist(rows, schema=RECORDS)


@pytest.mark.parametrize(
    ("copies_with", "signature"),
    [
        ("different_eids", "same_content_different_eid"),
        ("same_eid", "same_eid_repeated"),
        (None, "same_content"),
    ],
)
def test_signature_of_a_doubled_stretch(copies_with, signature) -> None:
    records = _records(copies_with)
    factors = duplication_factors(records, 60)
    assert factors.num_rows == 30
    assert factors.column("factor").to_pylist() == [1.0] * 10 + [2.0] * 10 + [1.0] * 10
    (burst,) = duplicate_bursts(factors).to_pylist()
    assert burst["signature"] == signature
    assert (burst["start"], burst["end"]) == (
        T0 + dt.timedelta(minutes=10),
        T0 + dt.timedelta(minutes=20),
    )
    assert burst["extra_rows"] == 200 and burst["duplicate_factor"] == 2.0


def test_rates_fill_the_gaps_of_a_lane() -> None:
    records = _records(None)
    quiet = records.filter(
        pa.compute.or_(
            pa.compute.less(records.column("event_time"), T0 + dt.timedelta(minutes=5)),
            pa.compute.greater_equal(records.column("event_time"), T0 + dt.timedelta(minutes=25)),
        )
    )
    rates = event_rates(quiet, 60).to_pylist()
    assert [r["rows"] for r in rates] == [20] * 5 + [0] * 20 + [20] * 5
    assert {(r["host"], r["subscriber"], r["query"], r["stream"]) for r in rates} == {
        ("h1", "process_events", None, "results")
    }


def test_duplicate_groups_pair_the_copies() -> None:
    records = _records("different_eids")
    groups = duplicate_groups(records).to_pylist()
    assert len(groups) == records.num_rows
    grouped = [g for g in groups if g is not None]
    assert len(grouped) == 400 and len(set(grouped)) == 200  # 200 events, twice each
    # The copies of one event share an id; they sit next to each other in this table.
    lines = [i for i, g in enumerate(groups) if g is not None]
    assert all(groups[a] == groups[b] for a, b in zip(lines[::2], lines[1::2], strict=True))
