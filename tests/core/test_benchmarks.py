"""The benchmarks keep working: their quick mode runs and reports against its baseline.

Timings are not asserted here (they drift ±30 % on this machine); the figures are for people.
"""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_quick_benchmarks_report_against_baselines(tmp_path) -> None:
    report = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--write", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = report.read_text()
    assert text.startswith("# Benchmarks") and "Machine:" in text
    assert "baseline: pandas" in text and "results agree" in text
    assert "faster than pandas" in text
