"""Scale-out on one machine, as a platform runs it on several: case workers and a documents worker
as separate processes (`ea worker --role cases|documents`), one Temporal dev server, one
PostgreSQL registry. Cases are driven to the evaluation (consent; prescription, whose convention
the documents worker renders; two signatures), possibly while a case worker is killed (SIGKILL).
Afterwards every case must be at the evaluation, its journal whole (seq 1..n, each once), its
rows and its convention written once. The test (tests/test_scale_out.py) runs it small; this
script runs it at full size and prints the throughput of 1 and 2 case workers (docs/SCALING.md).

    python -m bench.scale_out               # 500 cases a run: 1 case worker, 2, 2 with one killed
    python -m bench.scale_out --cases 100
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.client import Client

from activities.registry.database import make_engine
from activities.registry.schema import Consent, Document, JournalRow, Prescription, Signature
from starter.devserver import DevServer, free_port, stop
from starter.scripted import Cases
from tests.builders import eventually
from starter.settings import Connection
from starter.waiting import until_polled
from tests.harness import TEST_KEYS, fresh_database, journal_is_whole, postgres_cluster, rows_per_case, worker_process
from workflows.case.model import Phase, Situation
from workflows.contracts import documents_queue
from workflows.encryption import encrypted_converter

TARGET = Phase.EVALUATION
ONCE_PER_CASE = {Consent: 1, Prescription: 1, Signature: 2}
"""What a case at the evaluation has in the registry: one consent, one prescription, two signatures."""


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    client: Client
    pid: int


@asynccontextmanager
async def dev_server(directory: Path) -> AsyncIterator[Server]:
    """A dev server of its own (a SQLite file, as `make run`), and a client with the tests' keys."""
    server = DevServer(port=free_port(), ui_port=free_port(), db_file=directory / "temporal.db")
    process = server.start()
    try:
        await server.wait_until_ready(process)
        yield Server(await Client.connect(server.address, data_converter=encrypted_converter(TEST_KEYS)), process.pid)
    finally:
        stop(process)


@dataclass
class Workers:
    """The worker processes serving one task queue, each with its metrics endpoint."""

    cases: list[subprocess.Popen[bytes]]
    documents: list[subprocess.Popen[bytes]]
    metrics: dict[int, str]
    """Process id → its /metrics URL."""

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the case workers alive and by the documents workers."""
        return {"case workers": sum(cpu_seconds(p.pid) for p in self.cases),
                "documents worker": sum(cpu_seconds(p.pid) for p in self.documents)}  # fmt: skip

    def kill_case_worker(self) -> None:
        victim = self.cases.pop()
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()


@asynccontextmanager
async def workers(client: Client, task_queue: str, database_url: str, case_workers: int, documents_workers: int = 1) -> AsyncIterator[Workers]:
    """`ea worker --role cases` and `--role documents` processes, yielded once the server has seen each poll."""
    address = client.service_client.config.target_host
    with ExitStack() as stack:
        started = {role: [] for role in ("cases", "documents")}
        metrics: dict[int, str] = {}
        for role, count in (("cases", case_workers), ("documents", documents_workers)):
            for _ in range(count):
                port = free_port()
                process = stack.enter_context(worker_process(address, task_queue, database_url, role, f"127.0.0.1:{port}"))
                started[role].append(process)
                metrics[process.pid] = f"http://127.0.0.1:{port}/metrics"
        for queue, count, kind in ((task_queue, case_workers, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
                                   (documents_queue(task_queue), documents_workers, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)):
            await until_polled(client, Connection(namespace=client.namespace, task_queue=queue), 60, count, kind)
        yield Workers(started["cases"], started["documents"], metrics)


@dataclass
class Run:
    case_ids: list[str]
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds per case, by process, over the run and its checks (none when a worker was killed)."""

    @property
    def rate(self) -> float:
        return len(self.case_ids) / self.seconds


async def drive(cases: Cases, count: int, concurrency: int = 24, halfway: asyncio.Event | None = None) -> Run:
    """Open `count` cases and take each to the evaluation, `concurrency` at a time; `halfway` is set
    once a third of them are there (the moment to kill a worker)."""
    gate, done, case_ids = asyncio.Semaphore(concurrency), 0, []

    async def one() -> None:
        nonlocal done
        async with gate:
            case_id = await cases.open(Situation.RQTH)
            case_ids.append(case_id)
            await cases.walk_to(case_id, TARGET)
        done += 1
        if halfway is not None and done >= count // 3:
            halfway.set()

    started = time.monotonic()
    await asyncio.gather(*(one() for _ in range(count)))
    return Run(case_ids, time.monotonic() - started)


async def nothing_lost_nothing_twice(cases: Cases, case_ids: list[str], seconds: float = 120) -> None:
    """Every case at the evaluation; its journal whole; its rows, its convention and its signed text written once."""
    phases = {(await cases.status(case_id)).phase for case_id in case_ids}
    assert phases == {TARGET}, f"phases: {phases}"
    await journal_is_whole(cases.registry, cases.client, case_ids, seconds=seconds)
    assert not doubled_journal_keys(cases.registry), "a (case_id, seq) written twice"
    for table, expected in ONCE_PER_CASE.items():
        assert rows_per_case(cases.registry, table, case_ids) == dict.fromkeys(case_ids, expected), table.__tablename__

    async def conventions() -> bool:  # the convention to sign, and the signed text once every party signed
        return rows_per_case(cases.registry, Document, case_ids) == dict.fromkeys(case_ids, 2)

    await eventually(conventions, seconds=seconds)


def doubled_journal_keys(engine: Engine) -> list[tuple[str, int]]:
    """(case_id, seq) present more than once: none, by the unique key; checked, not assumed."""
    with Session(engine) as session:
        doubled = select(JournalRow.case_id, JournalRow.seq).group_by(JournalRow.case_id, JournalRow.seq).having(func.count() > 1)
        return [(case_id, seq) for case_id, seq in session.execute(doubled)]


async def measure(server: Server, database_url: str, count: int, case_workers: int, kill: bool = False) -> Run:
    """One run on a task queue and a fresh registry of its own: `case_workers` case workers and one
    documents worker, all started at once (they migrate the registry one after the other)."""
    task_queue, client = f"scale-{uuid.uuid4().hex[:8]}", server.client
    engine = make_engine(database_url)
    cases = Cases(client, task_queue, engine)
    async with workers(client, task_queue, database_url, case_workers) as running:
        before = running.cpu() | {"dev server": cpu_seconds(server.pid)}
        halfway = asyncio.Event()
        driving = asyncio.create_task(drive(cases, count, halfway=halfway))
        if kill:
            await halfway.wait()
            running.kill_case_worker()
            assert not driving.done(), "the kill came too late to test anything"
        run = await driving
        await nothing_lost_nothing_twice(cases, run.case_ids)
        if not kill:
            after = running.cpu() | {"dev server": cpu_seconds(server.pid)}
            run.cpu = {name: (after[name] - before[name]) / count for name in after}
    engine.dispose()
    return run


async def main(count: int) -> None:
    with postgres_cluster() as admin, tempfile.TemporaryDirectory(prefix="ea-scale-") as directory:
        async with dev_server(Path(directory)) as server:
            for case_workers, kill in ((1, False), (2, False), (2, True)):
                started = time.monotonic()
                run = await measure(server, fresh_database(admin), count, case_workers, kill)
                what = f"{case_workers} case worker(s){', one killed at a third' if kill else ''}"
                cpu = "".join(f"; {name} {seconds * 1000:.0f} ms CPU per case" for name, seconds in run.cpu.items())
                print(f"{what}: {count} cases to {TARGET.value} in {run.seconds:.1f} s, {run.rate:.2f} cases/s; nothing lost, "
                      f"nothing twice (checked, conventions rendered: {time.monotonic() - started:.0f} s in all){cpu}", flush=True)  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=500)
    asyncio.run(main(parser.parse_args().cases))
