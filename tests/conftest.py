from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.registry.journal import Registry
from starter.scripted import Cases
from tests.cli_runner import Ea
from starter.devserver import free_port
from tests.notify_harness import Inbox, smtp_server
from tests.web_harness import Staff, hire_staff, make_web
from web.state import Web
from tests.harness import TEST_KEYS, fresh_database, postgres_cluster, registry_at, registry_for, running_worker, temporal_environment

# The registry seals health text with the keyring of the process it runs in: the tests' workers
# run here beside `ea`, so the whole process holds the tests' keyring, as `ea` and the workers do.
os.environ.setdefault("EA_ENCRYPTION_KEYS", TEST_KEYS.to_env())


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
def cases(client: Client, task_queue: str, registry: Registry) -> Cases:
    return Cases(client, task_queue, registry.engine)


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@dataclass
class Backend:
    """A registry on one database backend, with a worker of its own writing to it."""

    name: str
    url: str
    registry: Registry
    cases: Cases


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


def new_database_url(request: pytest.FixtureRequest, kind: str, directory: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{directory / f'{uuid.uuid4().hex[:8]}.db'}"
    return fresh_database(request.getfixturevalue("postgres_admin"))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def backend(
    request: pytest.FixtureRequest, env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    url = new_database_url(request, request.param, tmp_path_factory.mktemp("backend"))
    registry = registry_for(url)
    async with running_worker(env, registry) as queue:
        yield Backend(request.param, url, registry, Cases(env.client, queue, registry.engine))
    registry.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a database with no table at all, on each backend."""
    return new_database_url(request, request.param, tmp_path)


@pytest.fixture
def cli(env: WorkflowEnvironment, task_queue: str, registry: Registry) -> Ea:
    """`ea` as a coordinator runs it, against the test server, worker and registry."""
    return Ea(env.client.service_client.config.target_host, task_queue, str(registry.engine.url))


@pytest.fixture(scope="module")
def staff(registry: Registry) -> Staff:
    """Accounts of the staff application on two structures (tests/web_harness.py)."""
    return hire_staff(registry.engine)


@pytest.fixture
def web(cases: Cases) -> Web:
    """The staff application and the parties' space, on the session's Temporal server and registry."""
    return make_web(cases.client, cases.task_queue, cases.registry)


@pytest.fixture
async def inbox(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Inbox]:
    """A loopback SMTP server the application's sign-in links are sent to (EA_SMTP_* point at it)."""
    port = free_port()
    monkeypatch.setenv("EA_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("EA_SMTP_PORT", str(port))
    monkeypatch.delenv("EA_APP_URL", raising=False)
    async with smtp_server(port) as received:
        yield received
