"""Recovery, measured: 200 journeys under way when the case worker is killed (SIGKILL) and the dev
server is stopped and started again; the worker is started again once the server is back. With
`--graceful`, a deployment instead: a new case worker started, the old one stopped by SIGTERM.

Processes as `make run` runs them: one dev server on a SQLite file, `ea worker --role cases` and
`ea worker --role documents` in processes of their own, a SQLite registry. Each case is opened
and taken through the bench's journey as a script at the CLI would: every step sent with its own
update id (request id), sent again with the same id after a failure (the server away, a lost
answer). Afterwards:
- every case is in the phase the journey ends in;
- its journal is whole (seq 1..n, each once), no (case, seq) twice; every document once;
- the histories of every case are read: workflow tasks timed out (WORKFLOW_TASK_TIMED_OUT, by kind)
  or failed, and the latency of the workflow tasks scheduled from the kill to the end of the run.
Then the same kill and restart on raw Temporal: as many minimal journeys (bench/baseline.py: our
journey's updates, activities and timers, no payload, no-op activities, `python -m bench.worker`),
whose timed-out workflow tasks are what the fault itself costs any worker.

    python -m bench.faults               # 200 cases
    python -m bench.faults --cases 20
    python -m bench.faults --graceful
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import EventType, TaskQueueType, TimeoutType
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from activities.registry.database import make_engine
from activities.registry.migrate import migrate
from activities.registry.people import BeneficiaryIdentity, register_beneficiary
from activities.registry.schema import Document, JournalRow
from bench.baseline import MirrorInput, MirrorWorkflow, Script, blob
from bench.journeys import DOCUMENTS, JOURNEY, percentile, runs_of, until_nothing_under_way
from starter.cases import CaseExists, StepRefused, apply_step, case_status, open_case, workflow_id
from starter.devserver import DevServer, free_port, stop
from starter.scripted import ADULT, CALM, COORDINATOR, Cases
from starter.settings import Connection
from starter.waiting import NoWorker, until_polled
from workflows.case.model import Actor, ActorRole, OpenCase, Party, Phase, Situation, Step
from workflows.case.steps import BY_STEP
from workflows.contracts import documents_queue
from workflows.encryption import Keyring, encrypted_converter

EXPECTED = Phase.IN_JOB_SUPPORT
"""Where the bench's journey ends (after hiring, three reviews)."""
Row = tuple[str, str, str, "bool | None"]


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


@dataclass
class Platform:
    directory: Path
    keys: Keyring
    server: DevServer
    server_process: subprocess.Popen[bytes]
    database_url: str
    task_queue: str = "faults"
    commands: dict[str, list[str]] = field(default_factory=dict)
    """The command of each worker role (by default `ea worker --role ROLE`)."""
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @classmethod
    def on_new_server(cls, directory: Path, keys: Keyring, name: str) -> Platform:
        """A dev server of its own (its SQLite file named after `name`), started; a registry file; task queue `name`."""
        server = DevServer(port=free_port(), ui_port=free_port(), db_file=directory / f"{name}-temporal.db")
        return cls(directory, keys, server, server.start(), f"sqlite:///{directory / f'{name}-registry.db'}", task_queue=name)

    async def ready(self) -> tuple[Client, Engine]:
        """The server answering, the registry migrated, both workers polling their queues."""
        await self.server.wait_until_ready(self.server_process)
        engine = make_engine(self.database_url)
        migrate(engine)
        client = await Client.connect(self.server.address, data_converter=encrypted_converter(self.keys))
        for role in ("cases", "documents"):
            self.start_worker(role)
        await until_polled(client, Connection(namespace=client.namespace, task_queue=self.task_queue), 60)
        await until_polled(client, Connection(namespace=client.namespace, task_queue=documents_queue(self.task_queue)), 60, 1,
                           TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)  # fmt: skip
        return client, engine

    def environment(self) -> dict[str, str]:
        return {**os.environ, "TEMPORAL_ADDRESS": self.server.address, "EA_TASK_QUEUE": self.task_queue, "DATABASE_URL": self.database_url,
                "EA_ENCRYPTION_KEYS": self.keys.to_env(), "EA_METRICS_ADDRESS": ""}  # fmt: skip

    def start_worker(self, role: str) -> None:
        """The role's worker, in a session of its own (so that a kill reaches its whole group)."""
        command = self.commands.get(role) or [str(Path(sys.executable).parent / "ea"), "worker", "--role", role]
        self.workers[role] = subprocess.Popen(command, env=self.environment(), start_new_session=True, stderr=subprocess.DEVNULL)

    def kill_worker(self, role: str) -> None:
        victim = self.workers.pop(role)
        os.killpg(victim.pid, signal.SIGKILL)
        victim.wait()

    def stop_all(self) -> None:
        for each in self.workers.values():
            each.terminate()
        for each in self.workers.values():
            each.wait()
        stop(self.server_process)


async def until_done(call, what: str, retries: Counter[str]):  # type: ignore[no-untyped-def]
    """Call again until it succeeds, as a script does while the server is away; a refusal is final."""
    while True:
        try:
            return await call()
        except (StepRefused, CaseExists):
            raise
        except Exception as error:  # the server away, an answer lost: the same call again (same update id)
            retries[type(error).__name__] += 1
            await asyncio.sleep(0.5)


async def journey(client: Client, platform: Platform, engine: Engine, retries: Counter[str]) -> str:
    person = BeneficiaryIdentity(structure_id="struct-bench", first_name="Camille", last_name=f"Martin {uuid.uuid4().hex[:8]}",
                                 birth_date=ADULT, situation=Situation.RQTH)  # fmt: skip
    beneficiary_id = await asyncio.to_thread(register_beneficiary, engine, person)
    case_id = f"F{uuid.uuid4().hex[:12]}"
    opening = OpenCase(case_id=case_id, structure_id="struct-bench", beneficiary_id=beneficiary_id, birth_date=ADULT,
                       situation=Situation.RQTH, referent_id="ref-bench", settings=CALM, actor=COORDINATOR)  # fmt: skip

    async def start() -> None:
        try:
            await open_case(client, platform.task_queue, opening)
        except CaseExists:  # started by an attempt whose answer was lost
            pass

    await until_done(start, "open", retries)
    person_acts = Actor(role=ActorRole.BENEFICIARY, id=beneficiary_id)
    for number, (step, fields, _renders) in enumerate(JOURNEY):
        actor = person_acts if step is Step.GIVE_CONSENT or fields.get("party") is Party.BENEFICIARY else COORDINATOR
        data = BY_STEP[step].input(actor=actor, **fields)
        request_id = f"{case_id}-step-{number}"
        await until_done(lambda: apply_step(client, case_id, data, request_id=request_id), step.value, retries)
    return case_id


async def minimal_journey(client: Client, platform: Platform, script: Script, retries: Counter[str]) -> str:
    """Raw Temporal doing the journey's Temporal work (bench/baseline.py's minimal script: the same
    updates, activities and timers, no payload, no-op activities), driven as ours is: each update
    with its own id, sent again with the same id after a failure."""
    mirror_id = f"mirror-{uuid.uuid4().hex[:12]}"
    opening = MirrorInput(script=script.packed(), documents_queue=documents_queue(platform.task_queue))

    async def start() -> None:
        try:
            await client.start_workflow(MirrorWorkflow.run, opening, id=mirror_id, task_queue=platform.task_queue)
        except WorkflowAlreadyStartedError:  # started by an attempt whose answer was lost
            pass

    await until_done(start, "open", retries)
    handle = client.get_workflow_handle(mirror_id)
    for number, turn in enumerate(script.turns[1:]):
        await until_done(lambda: handle.execute_update(MirrorWorkflow.step, blob(turn.update), id=f"{mirror_id}-step-{number}"),
                         "step", retries)  # fmt: skip
    return mirror_id


@dataclass
class Outcome:
    ids: list[str]
    """The journeys' ids: case ids (ours), workflow ids (raw Temporal)."""
    seconds: float
    killed_at: datetime
    server_down: float
    """Seconds from the kill until the server answered again."""
    worker_back: float
    """Seconds from the kill until the new case worker polled."""
    retries: Counter[str]
    server_back_at: datetime


async def replace_gracefully(platform: Platform, client: Client) -> None:
    """A deployment: a new case worker started, then the old one stopped with SIGTERM (systemd's and
    Kubernetes' stop); it finishes the tasks in hand and hands its sticky queue back."""
    old = platform.workers.pop("cases")
    platform.start_worker("cases")
    await until_polled(client, Connection(namespace=client.namespace, task_queue=platform.task_queue), 60, 2)
    old.send_signal(signal.SIGTERM)
    await asyncio.to_thread(old.wait)


async def crash(platform: Platform, client: Client) -> float:
    """SIGKILL to the case worker, restarted at once as a supervisor would (systemd's Restart=always),
    and the dev server stopped and started again; returns when the server answered again."""
    kill = time.monotonic()
    platform.kill_worker("cases")
    platform.start_worker("cases")
    stop(platform.server_process)
    platform.server_process = platform.server.start()  # the same SQLite file
    await platform.server.wait_until_ready(platform.server_process, seconds=60)
    server_down = time.monotonic() - kill
    while True:  # a worker that started while the server was away exits: the supervisor starts it again
        try:
            await until_polled(client, Connection(namespace=client.namespace, task_queue=platform.task_queue), 2)
            return server_down
        except NoWorker:
            if platform.workers["cases"].poll() is not None:
                platform.start_worker("cases")


Journey = Callable[[Counter[str]], Awaitable[str]]
"""One journey, given the counter of calls sent again; returns its id."""


async def drive(platform: Platform, client: Client, journey: Journey, count: int, concurrency: int, graceful: bool) -> Outcome:
    gate, done, retries = asyncio.Semaphore(concurrency), 0, Counter[str]()
    third = asyncio.Event()

    async def one() -> str:
        nonlocal done
        async with gate:
            finished = await journey(retries)
        done += 1
        if done >= count // 3:
            third.set()
        return finished

    began = time.monotonic()
    driving = asyncio.gather(*(one() for _ in range(count)))
    await third.wait()
    progress(f"{done} of {count} journeys done: " + ("the case worker replaced, the old one stopped with SIGTERM" if graceful else
                                                      "SIGKILL to the case worker, the dev server stopped and started again"))  # fmt: skip
    killed_at, kill = datetime.now(timezone.utc), time.monotonic()
    server_down = 0.0
    if graceful:
        await replace_gracefully(platform, client)
    else:
        server_down = await crash(platform, client)
    worker_back = time.monotonic() - kill
    assert not driving.done(), "the kill came too late to test anything"
    ids = await driving
    return Outcome(list(ids), time.monotonic() - began, killed_at, server_down, worker_back, retries,
                   killed_at + timedelta(seconds=server_down))  # fmt: skip


async def eventually(check, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)
    return True


@dataclass
class Checks:
    phases: Counter[str]
    journal_whole: int
    doubled: int
    documents_ok: int
    documents_failed: int
    documents_twice: int


async def check(client: Client, engine: Engine, case_ids: list[str], documents_per_case: int) -> Checks:
    states = {case_id: await case_status(client, case_id) for case_id in case_ids}
    phases = Counter(state.phase.value for state in states.values())

    def journal() -> dict[str, list[int]]:
        written: dict[str, list[int]] = {case_id: [] for case_id in case_ids}
        with Session(engine) as session:
            for case_id, seq in session.execute(select(JournalRow.case_id, JournalRow.seq).where(JournalRow.case_id.in_(case_ids))
                                                .order_by(JournalRow.case_id, JournalRow.seq)):  # fmt: skip
                written[case_id].append(seq)
        return written

    def whole() -> int:
        written = journal()
        return sum(1 for case_id in case_ids if written[case_id] == list(range(1, states[case_id].seq + 1)))

    def documents() -> tuple[int, int, int]:
        """Cases whose every document is stored or failed (an alert), documents failed, documents stored twice."""
        with Session(engine) as session:
            rows = session.execute(select(Document.case_id, Document.seq, Document.template).where(Document.case_id.in_(case_ids))).all()
            failed = session.execute(select(JournalRow.case_id).where(JournalRow.case_id.in_(case_ids), JournalRow.kind == "document_failed")).all()
        per_case = Counter(case_id for case_id, _seq, _template in rows) + Counter(case_id for (case_id,) in failed)
        twice = sum(n - 1 for n in Counter(rows).values() if n > 1)
        return sum(1 for case_id in case_ids if per_case[case_id] == documents_per_case), len(failed), twice

    async def settled() -> bool:
        return whole() == len(case_ids) and documents()[0] == len(case_ids)

    await eventually(settled, 300)
    with Session(engine) as session:
        doubled = select(JournalRow.case_id, JournalRow.seq).where(JournalRow.case_id.in_(case_ids)).group_by(
            JournalRow.case_id, JournalRow.seq).having(func.count() > 1)  # fmt: skip
        doubles = len(session.execute(doubled).all())
    documents_ok, failed, twice = documents()
    return Checks(phases, whole(), doubles, documents_ok, failed, twice)


@dataclass
class TaskFigures:
    timed_out: Counter[tuple[str, bool]]
    """By kind, and whether the killed worker held the task (started by it, or queued for it before the server was back)."""
    failed: int
    latencies: list[float]
    """Seconds from scheduled to completed, of every workflow task scheduled after the kill."""
    waits: list[float]
    """Seconds from scheduled to started, same tasks."""


async def workflow_tasks(client: Client, workflow_ids: list[str], since: datetime, server_back: datetime) -> TaskFigures:
    """Timeouts and failures of every workflow task; and for each workflow task completed from `since`
    on, how long its workflow waited for it: from the first scheduling (a task that timed out is
    scheduled again: its wait goes on) to the completion."""
    timed_out: Counter[tuple[str, bool]] = Counter()
    failed, latencies, waits = 0, [], []
    for one in workflow_ids:
        for history in await runs_of(client, one):
            scheduled: dict[int, datetime] = {}
            started: dict[int, datetime] = {}
            pending_since: datetime | None = None
            for event in history.events:
                at = event.event_time.ToDatetime(timezone.utc)
                if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
                    scheduled[event.event_id] = at
                    pending_since = pending_since or at
                elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
                    started[event.workflow_task_started_event_attributes.scheduled_event_id] = at
                elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
                    attributes = event.workflow_task_timed_out_event_attributes
                    kind = TimeoutType.Name(attributes.timeout_type).replace("TIMEOUT_TYPE_", "").lower()
                    began = started.get(attributes.scheduled_event_id) if kind == "start_to_close" else scheduled.get(attributes.scheduled_event_id)
                    timed_out[(kind, began is not None and began < server_back)] += 1
                elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                    failed += 1
                elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
                    key = event.workflow_task_completed_event_attributes.scheduled_event_id
                    if at >= since and pending_since is not None:
                        latencies.append((at - pending_since).total_seconds())
                        if key in started:
                            waits.append((started[key] - scheduled[key]).total_seconds())
                    pending_since = None
    return TaskFigures(timed_out, failed, latencies, waits)


async def run(directory: Path, count: int, concurrency: int = 24, graceful: bool = False) -> list[Row]:
    keys = Keyring.generate("faults")
    os.environ["EA_ENCRYPTION_KEYS"] = keys.to_env()  # this process seals and reads the registry as its workers do
    platform = Platform.on_new_server(directory, keys, "faults")
    try:
        client, engine = await platform.ready()
        Cases(client, platform.task_queue, engine).known(structure_id="struct-bench", referent_id="ref-bench", employer_id="emp-bench")
        progress(f"fault run: {count} journeys, {concurrency} at a time")
        outcome = await drive(platform, client, lambda retries: journey(client, platform, engine, retries), count, concurrency, graceful)
        progress(f"journeys done in {outcome.seconds:.0f} s; checking phases, journals, documents and histories")
        checks = await check(client, engine, outcome.ids, DOCUMENTS)
        runs = [workflow_id(case_id) for case_id in outcome.ids]
        tasks = await workflow_tasks(client, runs, outcome.killed_at, outcome.server_back_at)
        minimal = await minimal_script(client, engine, outcome.ids, documents_queue(platform.task_queue))
        engine.dispose()
    finally:
        platform.stop_all()
    if graceful:
        return [deployment_row(outcome, checks, tasks)]
    progress(f"the same fault on raw Temporal: {count} minimal journeys")
    return crash_rows(outcome, checks, tasks, await raw_temporal_under_the_same_fault(directory, keys, minimal, count, concurrency))


async def raw_temporal_under_the_same_fault(directory: Path, keys: Keyring, script: Script, count: int, concurrency: int) -> TaskFigures:
    """The minimal journey (our journey's updates, activities and timers; no payload, no-op
    activities) through the same SIGKILL and restart: what the fault costs any worker."""
    platform = Platform.on_new_server(directory, keys, "faults-minimal")
    platform.commands = {"cases": [sys.executable, "-m", "bench.worker", "cases"],
                         "documents": [sys.executable, "-m", "bench.worker", "noop", documents_queue(platform.task_queue)]}  # fmt: skip
    try:
        client, engine = await platform.ready()
        engine.dispose()
        outcome = await drive(platform, client, lambda retries: minimal_journey(client, platform, script, retries), count, concurrency, False)
        await until_nothing_under_way(client, outcome.ids)  # their histories whole, as ours are after the checks
        return await workflow_tasks(client, outcome.ids, outcome.killed_at, outcome.server_back_at)
    finally:
        platform.stop_all()


async def minimal_script(client: Client, engine: Engine, case_ids: list[str], documents: str) -> Script:
    """The minimal script of our journey, read from a case whose documents were all made (one whose
    document failed, as an alert, wrote one more journal entry than the journey does)."""
    with Session(engine) as session:
        failed = set(session.scalars(select(JournalRow.case_id).where(JournalRow.case_id.in_(case_ids), JournalRow.kind == "document_failed")))
    clean = next(case_id for case_id in case_ids if case_id not in failed)
    return Script.of([h.events for h in await runs_of(client, workflow_id(clean))], documents, 0).minimal()


def _outcome_lines(outcome: Outcome, checks: Checks, tasks: TaskFigures) -> tuple[int, str, bool, str]:
    n = len(outcome.ids)
    at_expected = checks.phases.get(EXPECTED.value, 0)
    whole = (f"{at_expected} of {n} at {EXPECTED.value}; journal whole {checks.journal_whole} of {n}; {checks.doubled} (case, seq) twice; "
             f"documents complete {checks.documents_ok} of {n} ({checks.documents_failed} failed, as alerts), {checks.documents_twice} twice")
    kept = at_expected == n and checks.journal_whole == n and checks.doubled == 0 and checks.documents_ok == n and checks.documents_twice == 0
    latency = f"p50 {percentile(tasks.latencies, 0.5) * 1000:.0f} ms, p99 {percentile(tasks.latencies, 0.99) * 1000:.0f} ms"
    return n, whole, kept, latency


def _kinds(tasks: TaskFigures) -> str:
    return ", ".join(f"{kind} {n} ({'held by or queued for the killed worker' if killed else 'other'})"
                     for (kind, killed), n in sorted(tasks.timed_out.items())) or "none"  # fmt: skip


def deployment_row(outcome: Outcome, checks: Checks, tasks: TaskFigures) -> Row:
    n, whole, kept, latency = _outcome_lines(outcome, checks, tasks)
    timed_out = sum(tasks.timed_out.values())
    return (f"faults, deployment: {n} journeys, case worker replaced at a third (new one started, old one stopped by SIGTERM)",
            f"{whole}; workflow tasks timed out {timed_out} ({_kinds(tasks).replace('killed', 'stopped')}), failed {tasks.failed}",
            f"old worker gone {outcome.worker_back:.1f} s after the new one started; workflow-task latency from then to the end "
            f"{latency}; target 0 timed out", kept and timed_out == 0 and tasks.failed == 0)  # fmt: skip


def crash_rows(outcome: Outcome, checks: Checks, tasks: TaskFigures, raw: TaskFigures) -> list[Row]:
    n, whole, kept, latency = _outcome_lines(outcome, checks, tasks)
    timed_out, raw_timed_out = sum(tasks.timed_out.values()), sum(raw.timed_out.values())
    by_kill = sum(n for (_kind, killed), n in tasks.timed_out.items() if killed)
    retried = ", ".join(f"{k} {v}" for k, v in outcome.retries.most_common()) or "none"
    return [
        (f"faults: {n} journeys, case worker SIGKILLed and dev server restarted at a third", whole,
         f"server back {outcome.server_down:.1f} s and worker polling {outcome.worker_back:.1f} s after the kill; the script's calls "
         f"sent again with their update id: {retried}", kept),
        ("faults: workflow tasks timed out", f"{timed_out} ({by_kill} held by or queued for the killed worker, {timed_out - by_kill} other)",
         f"{_kinds(tasks)}; workflow tasks failed: {tasks.failed}; target 0", timed_out == 0),
        ("faults: the same kill and restart, raw Temporal (the minimal journey)", f"{raw_timed_out} workflow tasks timed out",
         f"{_kinds(raw)}; workflow tasks failed: {raw.failed}; {n} journeys of the minimal script (our journey's updates, activities "
         f"and timers, no payload, no-op activities) on `python -m bench.worker`, the same SIGKILL and restart at a third", None),
        ("faults: workflow-task latency during recovery", latency,
         f"first scheduled to completed, {len(tasks.latencies):,} workflow tasks completed from the kill to the end (those in flight "
         f"at the kill included, a timed-out task counted to its retry's completion); scheduled to started p99 "
         f"{percentile(tasks.waits, 0.99) * 1000:.0f} ms, max {max(tasks.latencies):.1f} s", None),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--graceful", action="store_true", help="replace the case worker as a deployment does (SIGTERM), no crash")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ea-faults-") as directory:
        rows = asyncio.run(run(Path(directory), args.cases, graceful=args.graceful))
    for name, result, detail, met in rows:
        print(f"| {name} | {result} | {detail} | {'—' if met is None else 'yes' if met else '**no**'} |")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
