"""Saved sessions: JSON round trips, the inputs' check, and filters as JSON."""

from __future__ import annotations

import datetime as dt
import json
import os

import numpy as np
import pytest

from inspector.export import file_digest
from inspector.session import (
    Session,
    SessionError,
    build_session,
    check_inputs,
    filter_from_json,
    filter_to_json,
    guess_moves,
    relocated,
)
from inspector.views.record_filter import RecordFilter

UTC = dt.UTC


@pytest.fixture
def inputs(tmp_path) -> list[str]:
    run = tmp_path / "run"
    run.mkdir()
    paths = []
    for name, text in (("osqueryd.results.log", '{"a": 1}\n' * 50), ("osquery.conf", "{}")):
        (run / name).write_text(text)
        paths.append(str(run / name))
    return paths


def _filter() -> RecordFilter:
    return RecordFilter(
        hosts=frozenset({"mbp-01"}),
        subscribers=frozenset({"process_events", None}),
        time_range=(dt.datetime(2024, 5, 1, 10, tzinfo=UTC), dt.datetime(2024, 5, 1, 11, tzinfo=UTC)),
        text="sshd", sql_where="action = 'added'", stream="results_log",
    )  # fmt: skip


def test_filter_json_round_trip() -> None:
    flt = _filter()
    doc = filter_to_json(flt)
    assert doc["subscribers"] == ["process_events", None]
    assert doc["time_range"] == ["2024-05-01T10:00:00Z", "2024-05-01T11:00:00Z"]
    assert doc["queries"] is None and doc["rows"] is None
    assert filter_from_json(json.loads(json.dumps(doc))) == flt
    assert filter_from_json(filter_to_json(RecordFilter())) == RecordFilter()


def test_filter_rows_become_a_count_and_naive_times_utc() -> None:
    naive = RecordFilter(time_range=(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 2)))
    assert filter_to_json(naive)["time_range"][0] == "2024-01-01T00:00:00Z"
    with_rows = RecordFilter(rows=np.array([3, 5, 8]))
    assert filter_to_json(with_rows)["rows"] == 3
    assert filter_from_json(filter_to_json(with_rows)).rows is None


def test_session_json_round_trip(inputs) -> None:
    hidden = {("mbp-01", "openbsm", "process_events", None, "results", "factor")}
    session = build_session(
        inputs, {"tz": "Europe/Berlin", "year": 2024}, _filter(), (1714557600.0, 1714561200.5),
        hidden, (1714558000.0, 1714558600.0),
        compare={"inputs": [inputs[0]], "align_before": "config_change", "align_after": None},
    )  # fmt: skip
    text = session.to_json()
    doc = json.loads(text)
    assert list(doc) == ["version", "inputs", "options", "compare", "filters", "visible_range",
                         "hidden_lanes", "brush"]  # fmt: skip
    assert doc["version"] == 1 and text.startswith('{\n  "version": 1')
    size, sha = file_digest(inputs[0])
    assert doc["inputs"][0] == {
        "path": os.path.abspath(inputs[0]), "size": size, "sha256": sha, "folder": False,
    }  # fmt: skip
    assert doc["hidden_lanes"] == [["mbp-01", "openbsm", "process_events", None, "results",
                                    "factor"]]  # fmt: skip
    back = Session.from_json(text)
    assert back == session
    assert back.to_json() == text  # stable: saving again gives the same bytes
    assert filter_from_json(back.filters) == _filter()
    assert back.compare["inputs"][0]["sha256"] == sha


def test_bad_session_files_say_why() -> None:
    with pytest.raises(SessionError, match="invalid JSON"):
        Session.from_json("{not json")
    with pytest.raises(SessionError, match="no inputs"):
        Session.from_json('{"version": 1}')
    with pytest.raises(SessionError, match="version 7"):
        Session.from_json('{"version": 7, "inputs": []}')
    with pytest.raises(SessionError, match="not a valid"):
        Session.from_json('{"version": 1, "inputs": [{"nopath": 1}]}')


def test_check_inputs_finds_missing_and_changed_files(inputs) -> None:
    session = build_session(inputs, {"tz": None, "year": None})
    assert check_inputs(session) == []
    log, conf = inputs
    with open(conf, "w") as f:
        f.write("[]")  # same size, other content
    os.remove(log)
    assert check_inputs(session) == [
        {"path": log, "problem": "missing", "folder": False},
        {"path": conf, "problem": "changed", "folder": False},
    ]
    with open(conf, "w") as f:
        f.write("{ }")  # another size
    assert check_inputs(session)[1]["problem"] == "changed"


def test_a_folder_input_is_hashed_with_everything_under_it(inputs, tmp_path) -> None:
    session = build_session([str(tmp_path)], {})
    assert session.inputs[0]["folder"] is True
    assert session.inputs[0]["size"] == sum(os.path.getsize(p) for p in inputs)
    assert check_inputs(session) == []
    with open(inputs[1], "w") as f:
        f.write("[]")  # a file two levels down, same size
    assert check_inputs(session) == [{"path": str(tmp_path), "problem": "changed", "folder": True}]


def test_moved_inputs_are_found_where_the_first_one_went(inputs, tmp_path) -> None:
    session = build_session(inputs, {})
    moved = tmp_path / "elsewhere" / "run-copy"
    os.makedirs(moved.parent)
    os.rename(os.path.dirname(inputs[0]), moved)
    assert [p["problem"] for p in check_inputs(session)] == ["missing", "missing"]
    first = str(moved / "osqueryd.results.log")
    guesses = guess_moves(session.input_paths, inputs[0], first)
    assert guesses == {inputs[1]: str(moved / "osquery.conf")}
    found = relocated(session, {inputs[0]: first, **guesses})
    assert check_inputs(found) == []
    assert session.input_paths == inputs  # the original is left alone
