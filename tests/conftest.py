from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.registry import Registry
from tests.builders import Cases
from tests.harness import registry_at, running_worker, temporal_environment


@pytest.fixture(scope="session")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    async with temporal_environment() as environment:
        yield environment


@pytest.fixture(scope="session")
def client(env: WorkflowEnvironment) -> Client:
    return env.client


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    return registry_at(tmp_path_factory.mktemp("registry"))


@pytest.fixture(scope="session")
async def task_queue(env: WorkflowEnvironment, registry: Registry) -> AsyncIterator[str]:
    async with running_worker(env, registry) as queue:
        yield queue


@pytest.fixture
def cases(client: Client, task_queue: str) -> Cases:
    return Cases(client, task_queue)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
