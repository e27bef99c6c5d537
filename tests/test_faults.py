"""Faults of the real parts: a worker killed mid-activity, the dev server restarted, the registry
down for a while, conflicting updates at the same instant. Nothing lost, nothing twice.

Run alone with `pytest -m fault`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.registry.journal import Registry
from activities.registry.schema import Consent, Employment, Evaluation, JournalRow, ProfessionalProject, Signature
from starter.cases import CaseExists, StepRefused, apply_step, open_case, workflow_id
from starter.devserver import DevServer, free_port, stop
from workflows.encryption import encrypted_converter
from tests.builders import SECONDS, eventually
from starter.scripted import COORDINATOR, TODAY, Cases, cdaph, new_case_id
from tests.harness import TEST_KEYS, local_postgres, registry_at, registry_for, running_worker, worker_process
from workflows.case.model import AlertKind, CaseSettings, GiveConsent, OpenCase, Phase, RecordPrescription, ResponseOutcome, Situation, Step
from worker import case_worker

pytestmark = pytest.mark.fault


async def journal_is_whole(registry: Registry, cases: Cases, case_ids: list[str], seconds: float = 90) -> None:
    """Every event each case decided is in the journal once: seq 1..n, no gap, no double."""

    async def whole() -> bool:
        for case_id in case_ids:
            seq = (await cases.status(case_id)).seq
            with Session(registry.engine) as session:
                seqs = list(session.scalars(select(JournalRow.seq).where(JournalRow.case_id == case_id).order_by(JournalRow.seq)))
            if seqs != list(range(1, seq + 1)):
                return False
        return True

    await eventually(whole, seconds=seconds)


def rows_per_case(registry: Registry, table: type, case_ids: list[str]) -> dict[str, int]:
    with Session(registry.engine) as session:
        counted = session.execute(select(table.case_id, func.count()).where(table.case_id.in_(case_ids)).group_by(table.case_id))
        return {case_id: count for case_id, count in counted}


async def test_a_worker_killed_mid_activity_loses_nothing_and_writes_nothing_twice(env: WorkflowEnvironment) -> None:
    directory = Path(tempfile.mkdtemp(prefix="ea-kill-"))
    registry, task_queue = registry_at(directory), f"kill-{new_case_id()}"
    address = env.client.service_client.config.target_host
    cases = Cases(env.client, task_queue, registry.engine)
    with worker_process(address, task_queue, str(registry.engine.url)) as first:
        case_ids = [await cases.open(Situation.EMPLOYEE, employer_id=f"emp-k{n}") for n in range(12)]
        walks = [asyncio.create_task(cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)) for case_id in case_ids]

        async def under_way() -> bool:  # prescriptions journaled: their conventions (PDF) are being rendered
            with Session(registry.engine) as session:
                return (session.scalar(select(func.count()).where(JournalRow.kind == "record_prescription")) or 0) >= 3

        await eventually(under_way, seconds=30)
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    assert not all(walk.done() for walk in walks), "the kill came too late to test anything"
    with worker_process(address, task_queue, str(registry.engine.url)):
        states = await asyncio.wait_for(asyncio.gather(*walks), timeout=120)
        assert all(state.phase is Phase.IN_JOB_SUPPORT for state in states)
        await journal_is_whole(registry, cases, case_ids)
    assert rows_per_case(registry, Signature, case_ids) == {c: 3 for c in case_ids}, "beneficiary, structure, employer: once each"
    for table in (Consent, Evaluation, ProfessionalProject):
        assert rows_per_case(registry, table, case_ids) == {c: 1 for c in case_ids}, table.__tablename__
    assert rows_per_case(registry, Employment, case_ids) == {c: 1 for c in case_ids}, "the job held at opening, once"


@asynccontextmanager
async def dev_server(db_file: Path) -> AsyncIterator[tuple[DevServer, subprocess.Popen[bytes]]]:
    server = DevServer(port=free_port(), ui_port=free_port(), db_file=db_file)
    process = server.start()
    try:
        await server.wait_until_ready(process)
        yield server, process
    finally:
        stop(process)


async def open_until_acknowledged(client: Client, task_queue: str, opening: OpenCase) -> None:
    """What a coordinator's script does when the server is away: try again; 'already exists' means done."""
    while True:
        try:
            await open_case(client, task_queue, opening)
            return
        except CaseExists:
            return
        except Exception:
            await asyncio.sleep(0.5)


async def test_a_dev_server_restarted_mid_batch_keeps_every_case_and_fires_every_timer(tmp_path: Path) -> None:
    db_file, registry = tmp_path / "temporal.db", registry_at(tmp_path)
    settings = CaseSettings(reminder_after=SECONDS.reminder_after * 6)  # a reminder 6 s after opening
    openings = [OpenCase(case_id=new_case_id(), structure_id="struct-restart", birth_date=TODAY.replace(year=TODAY.year - 30),
                         situation=Situation.RQTH, settings=settings, actor=COORDINATOR) for _ in range(16)]  # fmt: skip
    async with dev_server(db_file) as (server, process):
        client = await Client.connect(server.address, data_converter=encrypted_converter(TEST_KEYS))
        with case_worker(client, "restart", registry) as worker:
            async with worker:
                batch = [asyncio.create_task(open_until_acknowledged(client, "restart", o)) for o in openings]
                await asyncio.wait(batch, return_when=asyncio.FIRST_COMPLETED)
                stop(process)  # SIGTERM in the middle of the batch
                assert not all(task.done() for task in batch), "the restart came too late to test anything"
                process = server.start()  # the same SQLite file
                await server.wait_until_ready(process)
                await asyncio.wait_for(asyncio.gather(*batch), timeout=60)

                async def reminded(case_id: str) -> bool:
                    state = await client.get_workflow_handle(workflow_id(case_id)).query("status")
                    return any(alert["kind"] == AlertKind.PHASE_REMINDER for alert in state["alerts"])

                for opening in openings:
                    await eventually(lambda case_id=opening.case_id: reminded(case_id), seconds=40)
                descriptions = [await client.get_workflow_handle(workflow_id(o.case_id)).describe() for o in openings]
                assert all(d.status is WorkflowExecutionStatus.RUNNING for d in descriptions), "no case lost"
        stop(process)


async def test_the_registry_down_for_a_while_delays_the_journal_and_loses_nothing(env: WorkflowEnvironment) -> None:
    with local_postgres() as cluster:
        registry = registry_for(cluster.url)
        async with running_worker(env, registry) as task_queue:
            cases = Cases(env.client, task_queue, registry.engine)
            case_ids = [await cases.open(Situation.RQTH) for _ in range(4)]
            cluster.stop()
            for case_id in case_ids:  # the cases go on while the registry is down
                await apply_step(env.client, case_id, GiveConsent(given_on=TODAY, actor=await cases.person(case_id)))
                await apply_step(env.client, case_id, RecordPrescription(prescription=cdaph(), actor=COORDINATOR))
            await asyncio.sleep(3)
            with Session(registry.engine) as session:
                with pytest.raises(Exception):
                    session.execute(select(JournalRow.id)).first()
            cluster.start()
            await journal_is_whole(registry, cases, case_ids, seconds=60)
            assert rows_per_case(registry, Consent, case_ids) == {c: 1 for c in case_ids}
        registry.engine.dispose()


async def test_hire_and_close_at_the_same_instant_give_one_consistent_outcome(cases: Cases, registry: Registry) -> None:
    outcomes = set()
    for _ in range(6):
        case_id = await cases.open(Situation.RQTH)
        await cases.walk_to(case_id, Phase.JOB_SEARCH)
        hire, close = await asyncio.gather(cases.hire(case_id, "emp-race"), cases.step(case_id, Step.CLOSE, reason="persons_choice"),
                                           return_exceptions=True)  # fmt: skip
        assert not isinstance(close, Exception), "closing is possible whichever comes first"
        final = await cases.final_state(case_id)
        assert final.phase is Phase.CLOSED
        steps = [t.step for t in final.transitions]
        if isinstance(hire, StepRefused):
            assert "not possible in phase closed" in str(hire) and final.employments == [] and Step.RECORD_HIRING not in steps
            outcomes.add("closed before hiring")
        else:
            assert len(final.employments) == 1 and steps.index(Step.RECORD_HIRING) < steps.index(Step.CLOSE)
            outcomes.add("hired, then closed")
        journal = [e.kind for e in registry.journal(case_id)]
        assert journal.count("record_hiring") == len(final.employments) and journal.count("close") == 1
        assert rows_per_case(registry, Employment, [case_id]).get(case_id, 0) == len(final.employments)
    assert outcomes, "each race ends one way or the other, never half of both"


async def test_two_answers_to_one_request_at_once_answer_it_once(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-twice")
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    request = await cases.request(case_id, "emp-twice")
    answers = await asyncio.gather(*(cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=request.request_id, outcome=outcome)
                                     for outcome in (ResponseOutcome.MEETING_SCHEDULED, ResponseOutcome.SOLUTION_PROPOSED)),
                                   return_exceptions=True)  # fmt: skip
    refused = [a for a in answers if isinstance(a, StepRefused)]
    assert len(refused) == 1 and "already answered" in str(refused[0])
    state = await cases.status(case_id)
    answered = state.request(request.request_id)
    assert answered is not None and answered.outcome in (ResponseOutcome.MEETING_SCHEDULED, ResponseOutcome.SOLUTION_PROPOSED)
