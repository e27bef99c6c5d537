"""Scale-out, tested on one machine: case workers and a documents worker as separate `ea worker`
processes, each serving the SDK's metrics; two case workers on one dev server and one PostgreSQL
registry, one of them killed mid-run. The full size (500 cases, and the throughput of one and two
case workers) is `python -m bench.scale_out`; see docs/SCALING.md."""

from __future__ import annotations

import re
import urllib.request
import uuid
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from activities.registry.database import make_engine
from bench.scale_out import dev_server, drive, measure, workers
from starter.scripted import Cases
from tests.harness import fresh_database

CASES = 60
"""Enough for both case workers to hold cases when one is killed; bench.scale_out runs 500."""
ALERTING = {
    "cases": ["temporal_workflow_task_schedule_to_start_latency_bucket", "temporal_activity_schedule_to_start_latency_bucket",
              'temporal_worker_task_slots_available{namespace="default",service_name="temporal-core-sdk",task_queue="{queue}",worker_type="WorkflowWorker"}',
              "temporal_sticky_cache_size"],
    "documents": ["temporal_activity_schedule_to_start_latency_bucket",
                  'temporal_worker_task_slots_available{namespace="default",service_name="temporal-core-sdk",task_queue="{queue}-documents",worker_type="ActivityWorker"}'],
}  # fmt: skip
"""What docs/SCALING.md says to alert on, as each role's endpoint shows it once it has worked."""


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


async def test_each_worker_process_serves_the_sdk_metrics_named_in_the_docs(env: WorkflowEnvironment, tmp_path: Path) -> None:
    task_queue, database_url = f"metrics-{uuid.uuid4().hex[:8]}", f"sqlite:///{tmp_path / 'registry.db'}"
    async with workers(env.client, task_queue, database_url, case_workers=1) as running:
        await drive(Cases(env.client, task_queue, make_engine(database_url)), 2)  # a convention rendered: both roles worked
        for role, processes in (("cases", running.cases), ("documents", running.documents)):
            text = scrape(running.metrics[processes[0].pid])
            assert re.search(r"^temporal_\w+", text, re.MULTILINE), f"{role}: no temporal_* metric"
            for metric in ALERTING[role]:
                assert metric.replace("{queue}", task_queue) in text, f"{role}: {metric}"


@pytest.mark.fault
async def test_two_case_workers_and_a_documents_worker_lose_nothing_when_one_is_killed(postgres_admin: str, tmp_path: Path) -> None:
    async with dev_server(tmp_path) as server:
        run = await measure(server, fresh_database(postgres_admin), CASES, case_workers=2, kill=True)
    assert len(run.case_ids) == CASES  # and measure checked: every case at the evaluation, nothing lost, nothing twice
