"""Filtering, sorting and the record detail on a small demo run, checked against direct counts."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import zstandard

from inspector.demo.writer import write_run
from inspector.loading.pipeline import load
from inspector.model import LoadOptions
from inspector.views.record_detail import (
    duplicate_siblings,
    provenance,
    raw_context,
    record_fields,
    record_json,
)
from inspector.views.record_filter import (
    FilterError,
    RecordFilter,
    distinct_values,
    filter_rows,
    query_keys,
)
from inspector.views.record_sort import sort_rows

UTC = dt.UTC


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    truth = write_run(str(out), "openbsm-double", seed=1, hours=2, size=2_000_000)
    return load([str(out)], LoadOptions(tz="UTC")).records, truth


@pytest.fixture(scope="module")
def records(run) -> pa.Table:
    return run[0]


def strings(records: pa.Table, name: str) -> pa.ChunkedArray:
    return records.column(name).cast(pa.string())


def count(mask) -> int:
    return int(pc.sum(pc.fill_null(mask, False)).as_py() or 0)


def rows_of(records: pa.Table, ending: str) -> np.ndarray:
    return np.flatnonzero(pc.ends_with(strings(records, "source"), ending).to_numpy(False))


def test_each_value_filter_matches_a_direct_count(records) -> None:
    for attr, name in (("hosts", "host"), ("subscribers", "subscriber"), ("queries", "query"),
                       ("actions", "action")):  # fmt: skip
        values = distinct_values(records, name)
        assert sum(n for _, n in values) == records.num_rows  # the counts add up, nulls included
        for value, n in values:
            rows = filter_rows(records, RecordFilter(**{attr: frozenset({value})}))
            assert len(rows) == n and np.all(np.diff(rows) > 0)
            expected = (
                pc.is_null(records.column(name))
                if value is None
                else pc.equal(strings(records, name), value)
            )
            assert np.array_equal(rows, np.flatnonzero(pc.fill_null(expected, False).to_numpy()))
    both = filter_rows(records, RecordFilter(actions=frozenset({"added", "removed"})))
    assert len(both) == count(pc.is_in(strings(records, "action"), pa.array(["added", "removed"])))


def test_streams_split_the_records(records) -> None:
    logged = filter_rows(records, RecordFilter(stream="results_log"))
    stored = filter_rows(records, RecordFilter(stream="osquery_db"))
    assert len(logged) + len(stored) == records.num_rows and len(stored) > 0
    assert count(pc.starts_with(strings(records, "format").take(stored), "database")) == len(stored)
    with pytest.raises(FilterError):
        filter_rows(records, RecordFilter(stream="somewhere"))


def test_time_range_is_half_open_with_log_time_fallback(records) -> None:
    t = records.column("event_time")[100].as_py()
    times = pc.coalesce(records.column("event_time"), records.column("log_time"))
    at_t = count(pc.equal(times, pa.scalar(t, pa.timestamp("us", tz="UTC"))))
    assert (
        len(filter_rows(records, RecordFilter(time_range=(t, t + dt.timedelta(microseconds=1)))))
        == at_t
    )
    assert len(
        filter_rows(records, RecordFilter(time_range=(t - dt.timedelta(hours=9), t)))
    ) == count(
        pc.less(times, pa.scalar(t, pa.timestamp("us", tz="UTC")))
    )  # [lo, t) leaves t itself out
    no_event_time = pc.and_(
        pc.is_null(records.column("event_time")), pc.is_valid(records.column("log_time"))
    )
    snapshots = np.flatnonzero(no_event_time.to_numpy(False))
    logged = records.column("log_time")[int(snapshots[0])].as_py()
    window = (logged, logged + dt.timedelta(seconds=1))
    assert int(snapshots[0]) in filter_rows(records, RecordFilter(time_range=window))


def test_text_is_case_insensitive_over_names_eid_and_columns(records) -> None:
    alice = filter_rows(records, RecordFilter(text="ALICE"))
    assert len(alice) == count(pc.match_substring(records.column("columns"), "alice")) > 0
    named = filter_rows(records, RecordFilter(text="Socket_Events"))
    masks = [
        pc.match_substring(strings(records, n), "socket_events") for n in ("subscriber", "query")
    ]
    masks.append(pc.match_substring(records.column("columns"), "socket_events"))  # osquery_events
    masks = [pc.fill_null(m, False) for m in masks]
    expected = pc.or_(pc.or_(masks[0], masks[1]), masks[2])
    assert len(named) == count(expected) > count(masks[0])
    eid = records.column("eid")[0].as_py()
    assert 0 in filter_rows(records, RecordFilter(text=eid))
    narrowed = RecordFilter(text="alice", subscribers=frozenset({"file_events"}))
    assert set(filter_rows(records, narrowed)) <= set(alice)


def test_sql_where_over_the_columns(records) -> None:
    usr = RecordFilter(sql_where="json_extract_string(columns, '$.path') LIKE '/usr/%'")
    assert len(filter_rows(records, usr)) == count(
        pc.match_substring(records.column("columns"), '"path":"/usr/')
    )
    added = filter_rows(
        records, RecordFilter(sql_where="action = 'added' AND host = 'mbp-demo-01'")
    )
    assert len(added) == count(pc.equal(strings(records, "action"), "added"))
    few = RecordFilter(rows=np.array([5, 3, 10**9, 2000]), sql_where="line > 0 -- all of them")
    assert filter_rows(records, few).tolist() == [3, 5, 2000]  # out-of-range rows are ignored


@pytest.mark.parametrize(
    ("clause", "words"),
    [("foo = 1", 'column "foo" not found'), ("host = ", "syntax error"),
     ("1 = 1; SELECT 1", "one expression only")],
)  # fmt: skip
def test_bad_sql_is_one_readable_line(records, clause, words) -> None:
    with pytest.raises(FilterError) as error:
        filter_rows(records, RecordFilter(sql_where=clause))
    message = str(error.value)
    assert words in message and "\n" not in message and "__row" not in message


def test_sort_is_stable_with_nulls_last(records) -> None:
    index = np.arange(records.num_rows)
    for descending in (False, True):
        rows = sort_rows(records, index, "subscriber", descending)
        values = strings(records, "subscriber").take(pa.array(rows)).to_pylist()
        present = [v for v in values if v is not None]
        assert values[len(present) :] == [None] * (len(values) - len(present))
        assert present == sorted(present, reverse=descending)
        same = [r for r, v in zip(rows, values, strict=True) if v == "file_events"]
        assert same == sorted(same)  # ties keep their order
    times = sort_rows(records, index[::-1], "event_time", True)
    assert records.column("event_time")[int(times[0])] == pc.max(records.column("event_time"))
    assert records.column("line").take(pa.array(sort_rows(records, index, "line")))[0].as_py() == 1
    pids = sort_rows(
        records,
        filter_rows(records, RecordFilter(subscribers=frozenset({"process_events"}))),
        "columns.pid",
    )
    first = [int(json.loads(records.column("columns")[int(r)].as_py())["pid"]) for r in pids[:50]]
    assert first == sorted(first)  # numbers, not text


def test_query_keys(records) -> None:
    keys = query_keys(records, "pack_fim_file_events")
    assert {"target_path", "sha256", "action"} <= set(keys)
    assert query_keys(records, "no such query") == []


def _decompressed_line(path: str, line: int) -> str:
    with open(path, "rb") as f:
        data = f.read()
    if data.startswith(b"\x28\xb5\x2f\xfd"):
        data = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    return data.split(b"\n")[line - 1].decode()


@pytest.mark.parametrize("ending", [".results.log.3.zst", ".results.log.1"])
def test_raw_context_reads_compressed_and_plain_files(records, ending) -> None:
    row = int(rows_of(records, ending)[20])
    path, line = str(records.column("source")[row]), records.column("line")[row].as_py()
    context = raw_context(records, row, before=2, after=1)
    assert [n for n, _, _ in context] == list(range(line - 2, line + 2))
    assert [n for n, _, mine in context if mine] == [line]
    assert dict((n, text) for n, text, _ in context)[line] == _decompressed_line(path, line)
    assert provenance(records, row) == f"{path}:{line}"


def test_raw_context_stops_early_and_explains_what_it_cannot_read(records, tmp_path) -> None:
    lines = [json.dumps({"n": i}) for i in range(1, 2001)]
    broken = tmp_path / "r.log.2.zst"
    frames = [zstandard.ZstdCompressor().compress(("\n".join(part) + "\n").encode())
              for part in (lines[:1000], lines[1000:])]  # fmt: skip
    broken.write_bytes(frames[0] + frames[1][: len(frames[1]) // 2])  # a torn second frame
    table = pa.table({"source": pa.array([str(broken), str(tmp_path / "gone.log")]).dictionary_encode(),
                      "line": pa.array([3, 1], pa.int64()), "format": ["event", "event"],
                      "key": pa.array([None, None], pa.string())})  # fmt: skip
    assert raw_context(table, 0, 2, 2)[2] == (3, lines[2], True)
    far = raw_context(table.slice(0, 1).set_column(1, "line", pa.array([1999])), 0)
    assert "could not read" in far[-1][1] and not far[-1][2]
    missing = raw_context(table, 1)
    assert len(missing) == 1 and "could not read" in missing[0][1]
    database = int(rows_of(records, "osquery.db")[0])
    assert raw_context(records, database) == []
    assert provenance(records, database).startswith("osquery.db key data.")


def test_duplicate_siblings_find_the_doubled_copy(run) -> None:
    records, truth = run
    fault = next(f for f in truth["faults"] if f.get("factor") == 2.0)
    window = tuple(
        dt.datetime.fromisoformat(fault[k].replace("Z", "+00:00")) for k in ("start", "end")
    )
    rows = filter_rows(records, RecordFilter(subscribers=frozenset({fault["subscriber"]}),
                                             stream="results_log", time_range=window))  # fmt: skip
    row = int(rows[len(rows) // 2])
    siblings = duplicate_siblings(records, row)
    assert len(siblings) == 1  # doubled: exactly one other copy
    other = int(siblings[0])
    assert records.column("content")[other] == records.column("content")[row]
    assert records.column("eid")[other] != records.column("eid")[row]
    assert not str(records.column("format")[other]).startswith("database")
    before = filter_rows(
        records, RecordFilter(subscribers=frozenset({"file_events"}), stream="results_log")
    )
    assert len(duplicate_siblings(records, int(before[0]))) == 0


def test_record_json_and_fields(records) -> None:
    for row in (int(rows_of(records, ".results.log.1")[0]), int(rows_of(records, "osquery.db")[0])):
        parsed = json.loads(record_json(records, row))
        original = json.loads(records.column("columns")[row].as_py())
        assert (
            parsed["columns"] == original and parsed["line"] == records.column("line")[row].as_py()
        )
        assert parsed["source"] == str(records.column("source")[row])
        assert parsed.get("event_time", "").endswith("Z")
        fields = dict(record_fields(records, row))
        assert all(fields[f"columns.{k}"] == (v if isinstance(v, str) else json.dumps(v))
                   for k, v in original.items())  # fmt: skip
        assert fields["event_time"].endswith("Z") and "columns" not in fields
    assert os.sep in parsed["source"]
