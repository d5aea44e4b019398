"""Session files are untrusted: every field is checked, each refusal names its field."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspector.readers.registry import choose_reader
from inspector.readers.result import SkipFile
from inspector.readers.sniff import Head
from inspector.session import Session, SessionError
from inspector.session_checks import outside_folder

GOOD = {
    "version": 1,
    "inputs": [{"path": "/data/run", "size": 10, "sha256": "a" * 64, "folder": True}],
    "options": {"tz": "Europe/Paris", "year": 2026},
    "compare": {"inputs": [{"path": "/data/after"}], "align_before": "start",
                "align_after": "config_change:2"},
    "filters": {"hosts": ["h", None], "subscribers": None, "queries": None, "actions": None,
                "time_range": ["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"], "text": "ssh",
                "sql_where": "action = 'added'", "stream": "results_log", "rows": None},
    "visible_range": [1767225600.0, 1767312000.0],
    "hidden_lanes": [["h", "openbsm", "process_events", None, "results_log"]],
    "brush": None,
}  # fmt: skip


def with_field(path: str, value) -> str:
    doc = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    target = doc
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return json.dumps(doc)


def test_a_good_session_reads() -> None:
    session = Session.from_json(json.dumps(GOOD))
    assert session.options == {"tz": "Europe/Paris", "year": 2026}
    assert session.filters["sql_where"] == "action = 'added'"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("options.tz", "Mars/Olympus_Mons", "options.tz"),
        ("options.tz", "../../etc/passwd", "options.tz"),
        ("options.year", 99999, "options.year"),
        ("options.year", "2026", "options.year"),
        ("inputs.0.path", "relative/path", "not an absolute path"),
        ("inputs.0.path", "/a\x00b", "NUL"),
        ("inputs.0.size", -5, "inputs[0].size"),
        ("inputs.0.sha256", "zz", "inputs[0].sha256"),
        ("inputs", "not a list", "inputs"),
        ("compare.align_after", "config_change:0", "compare.align_after"),
        ("filters.sql_where", "read_text('/etc/shadow') IS NOT NULL", "filters.sql_where: refused"),
        ("filters.sql_where", "1=1) UNION SELECT * FROM glob('/*') WHERE (1", "refused"),
        ("filters.time_range", ["2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z"], "ends before"),
        ("filters.time_range", ["yesterday", "today"], "not an ISO 8601 time"),
        ("filters.stream", "elsewhere", "filters.stream"),
        ("filters.hosts", [1, 2], "filters.hosts"),
        ("filters.text", "x" * 200_000, "filters.text"),
        ("visible_range", [float("nan"), 1.0], "visible_range[0]"),
        ("visible_range", [5.0, 1.0], "ends before"),
        ("brush", [1e300, 1e301], "outside 1970–2200"),
        ("hidden_lanes", [["a"]], "hidden_lanes[0]"),
        ("hidden_lanes", "x", "hidden_lanes"),
    ],
)
def test_each_bad_field_is_named(field, value, words) -> None:
    with pytest.raises(SessionError) as refused:
        Session.from_json(with_field(field, value))
    assert words in str(refused.value) and "\n" not in str(refused.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(GOOD)), json_values)
def test_any_value_in_any_field_is_refused_or_read_never_a_crash(key, value) -> None:
    doc = dict(GOOD, **{key: value})
    try:
        Session.from_json(json.dumps(doc, allow_nan=True))
    except SessionError as exc:
        assert "\n" not in str(exc)


def test_inputs_outside_the_session_folder(tmp_path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "run" / "sneaky").symlink_to(tmp_path / "elsewhere")
    session = str(tmp_path / "run" / "s.json")
    paths = [str(tmp_path / "run" / "a.log"), "/etc/shadow", str(tmp_path / "run" / "sneaky")]
    assert outside_folder(paths, session) == ["/etc/shadow", str(tmp_path / "run" / "sneaky")]


def test_a_skipped_file_is_described_never_quoted(tmp_path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("password=hunter2\nAPI_KEY=sk-live-1234567890\n")
    with pytest.raises(SkipFile) as skipped:
        choose_reader(Head.of(str(path)))
    reason = str(skipped.value)
    assert "hunter2" not in reason and "API_KEY" not in reason and "password" not in reason
    assert "2 lines" in reason and "letters" in reason
