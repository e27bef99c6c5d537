"""The staff application's benchmark runs in small sizes and writes its own section of the report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_web_day_benchmark_times_each_page_and_keeps_the_rest_of_the_report(tmp_path: Path) -> None:
    report = tmp_path / "PERFORMANCE.md"
    report.write_text("# Performance\n\nthe journeys' table\n\n## Reading the figures\n\nnotes kept\n")
    result = subprocess.run([sys.executable, "-m", "bench.web_day", "--cases", "300", "--open-here", "100", "--repeat", "3",
                             "--output", str(report)], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    written = report.read_text()
    assert "notes kept" in written and written.count("## Staff web application") == 1
    for page in ("my day (référent)", "my caseload (référent)", "my day (coordinator)", "my caseload (coordinator)"):
        assert f"| {page} |" in written
