"""The benchmarks run (small) in the suite, so they never rot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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


def test_journeys_benchmark_runs_quick_and_writes_its_table(tmp_path: Path) -> None:
    output = tmp_path / "PERFORMANCE.md"
    subprocess.run([sys.executable, "-m", "bench.journeys", "--quick", "--output", str(output)],
                   capture_output=True, text=True, timeout=420, check=True)  # fmt: skip
    table = output.read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| measure")]
    measures = ("journey shape", "journeys, minimal", "journeys, baseline", "journeys, ours", "history per case", "cost ratio ours/baseline (time",
                "cost ratio ours/baseline (CPU", "ours / minimal", "documents of the run produced", "a document's PDF, first request",
                "step answer, journeys at full load", "step answer while journeys run", "employer request", "cases open in in-job support",
                "years:", "faults: 20 journeys", "faults: workflow tasks timed out", "faults: the same kill and restart, raw Temporal",
                "faults: workflow-task latency", "registry page by phase")  # fmt: skip
    for measure in measures:
        assert sum(1 for row in rows if measure in row) == 1, measure
    assert len(rows) == len(measures)
    assert "Machine:" in table and "python -m bench.journeys --quick" in table
    faults = next(row for row in rows if "faults: 20 journeys" in row)
    assert "20 of 20 at in_job_support" in faults and "0 (case, seq) twice" in faults and faults.endswith("| yes |"), faults
    assert next(row for row in rows if "journey shape" in row).endswith("| yes |"), "the baseline mirrors our journey's actions"


def test_case_year_benchmark_measures_a_first_and_a_further_year() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.case_year", "--cases", "1"],
                            capture_output=True, text=True, timeout=170, check=True)  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if "per case:" in line]
    assert [line.split(",")[0] for line in lines] == ["first year", "a further year in support"]
    assert all("events" in line and "KiB of history" in line and "journal" in line and "KiB of database" in line for line in lines)


def test_activities_benchmark_measures_the_journal_and_the_documents_of_a_recorded_journey() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.activities", "--journeys", "3"],
                            capture_output=True, text=True, timeout=170, check=True)  # fmt: skip
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines() if "ms of CPU a journey" in line}
    assert set(lines) == {"append_to_journal", "render_document"}, result.stdout
    assert "(8 calls;" in lines["render_document"], "the journey's eight documents, rendered again from its inputs"
    assert all(float(line.split(": ")[1].split(" ms")[0]) > 0 for line in lines.values())
