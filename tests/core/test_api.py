"""The notebook API: ``inspector.open`` / ``inspector.compare`` on the model, Arrow tables out."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

import inspector
from inspector.demo.writer import write_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    write_run(str(root / "before"), "linux-control", seed=2, hours=2, size=400_000)
    truth = write_run(str(root / "after"), "openbsm-double", seed=2, hours=2, size=400_000)
    return root, truth


def test_open_gives_arrow_tables_and_findings(runs) -> None:
    root, truth = runs
    run = inspector.open(root / "after", tz="UTC", cache=False)
    assert isinstance(run.records, pa.Table) and run.records.num_rows > 1000
    assert isinstance(run.status, pa.Table) and run.status.num_rows > 0
    findings = run.findings
    assert findings.column_names[:11] == [
        "kind", "host", "publisher", "subscriber", "query", "start", "end", "duplicate_factor",
        "extra_rows", "config_change_at", "source",
    ]  # fmt: skip
    bursts = [f for f in findings.to_pylist() if f["kind"] == "duplicate_burst"]
    assert {f["subscriber"] for f in bursts} == {
        f["subscriber"] for f in truth["faults"] if f["kind"] == "duplicate_delivery"
    }
    rates = run.rates(300)
    assert {"host", "subscriber", "bucket", "rows"} <= set(rates.column_names)
    assert run.rates(300) is rates  # computed once per bucket size
    frame = run.records.to_pandas()  # pandas users
    assert len(frame) == run.records.num_rows
    assert "records" in repr(run)


def test_compare_two_runs(runs) -> None:
    root, _ = runs
    before = inspector.open(str(root / "before"), tz="UTC")
    after = inspector.open([str(root / "after")], tz="UTC")
    table = inspector.compare(before, after)
    changes = dict(
        zip(
            table.column("subscriber").to_pylist(), table.column("change").to_pylist(), strict=False
        )
    )
    assert changes.get("process_events") == "duplication"
    # a Workspace works as well as a Run
    assert inspector.compare(before.workspace, after.workspace).num_rows == table.num_rows


def test_bad_arguments_say_why(tmp_path) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        inspector.open(tmp_path, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="bucket_seconds"):
        inspector.open(tmp_path, bucket_seconds=0)


def test_import_is_light() -> None:
    code = (
        "import sys, inspector, inspector.analysis\n"
        "heavy = [m for m in sys.modules if m.startswith(('inspector.readers', 'inspector.loading'))]\n"
        "print(heavy); sys.exit(1 if heavy else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout
