"""The benchmarks run (small) in the suite, so they never rot."""

from __future__ import annotations

import subprocess
import sys


def test_registry_benchmark_runs_and_reports_every_query() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bench.registry_list", "--rows", "3000", "--repeat", "2"],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert "filled 3,000 cases" in result.stdout
    assert result.stdout.count(" rows)") == 4, "one line per query"
    assert "slowest indexed page" in result.stdout


def test_report_benchmark_runs_and_gives_its_verdict() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.report", "--cases", "200", "--repeat", "1"],
                            capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert "filled 200 cases" in result.stdout
    assert "report, all structures:" in result.stdout and "report, one structure:" in result.stdout
    assert "target < 5 s met" in result.stdout
