"""Erasure on request and retention by schedule: identity gone from the registry, cases gone
from Temporal, statistics and the audit trail kept; and hostile input stored or refused safely."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.client import ScheduleOverlapPolicy
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.registry.database import Base
from activities.registry.people import BeneficiaryIdentity, RepresentativeIdentity, register_beneficiary, register_representative
from activities.registry.journal import Registry
from activities.registry.schema import Beneficiary, Case, Document, Seat
from starter.cases import workflow_id
from starter.operators import ensure_schedule, retention_schedule
from activities.registry.retention import anonymise
from tests.builders import eventually
from starter.scripted import COORDINATOR, TODAY, Cases
from tests.cli_runner import Ea
from tests.harness import registry_at, running_worker
from workflows.case.model import Phase, Situation, Step
from workflows.contracts import Anonymisation, RetentionSettings
from workflows.retention import RetentionWorkflow

IDENTITY = {"first_name": "Gaëlle", "last_name": "Fournier-Quintin", "birth_date": date(1988, 3, 9),
            "email": "gaelle.fq@example.fr", "phone": "07 11 22 33 44", "address": "5 quai des Chartrons, Bordeaux",
            "rqth_reference": "RQTH-33-445566"}  # fmt: skip
TRACES = ("Gaëlle", "Fournier", "gaelle.fq", "11 22 33 44", "Chartrons", "RQTH-33-445566", "1988-03-09")


@dataclass
class Platform:
    """A registry and a worker of their own: retention here touches no other test's cases."""

    registry: Registry
    cases: Cases
    cli: Ea


@pytest.fixture
async def platform(env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Platform]:
    registry = registry_at(tmp_path)
    async with running_worker(env, registry) as queue:
        cli = Ea(env.client.service_client.config.target_host, queue, str(registry.engine.url))
        yield Platform(registry, Cases(env.client, queue, registry.engine), cli)
    registry.engine.dispose()


def everything_in(registry: Registry) -> str:
    """Every row of every table, as text."""
    with registry.engine.connect() as connection:
        return "\n".join(repr(connection.execute(table.select()).all()) for table in Base.metadata.sorted_tables)


async def closed_case_of_a_person(platform: Platform, structure: str = "struct-75") -> tuple[str, str]:
    person = BeneficiaryIdentity(structure_id=structure, situation="rqth", **IDENTITY)
    beneficiary_id = register_beneficiary(platform.registry.engine, person)
    case_id = await platform.cases.open(Situation.RQTH, beneficiary_id=beneficiary_id, structure_id=structure)
    await platform.cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    await platform.cases.step(case_id, Step.CLOSE, reason="goals_reached")
    await platform.cases.final_state(case_id)
    return beneficiary_id, case_id


async def execution_gone(platform: Platform, case_id: str) -> bool:
    try:
        await platform.cases.client.get_workflow_handle(workflow_id(case_id)).describe()
    except RPCError:
        return True
    return False


async def test_erasure_leaves_statistics_and_no_identity(platform: Platform) -> None:
    beneficiary_id, case_id = await closed_case_of_a_person(platform)
    register_representative(platform.registry.engine, RepresentativeIdentity(
        id=f"rep-{case_id}", beneficiary_id=beneficiary_id, first_name="Armelle", last_name="Tutrice-Effacée", measure="tutelle"))  # fmt: skip
    assert all(trace in everything_in(platform.registry) for trace in ("Gaëlle", "RQTH-33-445566", "Tutrice-Effacée"))

    erased = await platform.cli.json("erase", beneficiary_id, "--yes")

    assert erased["cases"] == [case_id] and erased["executions_deleted"] == 1
    registry_text = everything_in(platform.registry)
    for trace in (*TRACES, "Tutrice-Effacée"):
        assert trace not in registry_text, trace
    with Session(platform.registry.engine) as session:
        person = session.get(Beneficiary, beneficiary_id)
        case = session.get(Case, case_id)
        assert person is not None and case is not None
        assert (person.birth_date, person.situation) == (date(1988, 1, 1), "rqth"), "statistics stay"
        assert (case.phase, case.closure_reason, case.route) == ("closed", "goals_reached", "cdaph")
        assert not session.scalars(select(Document).where(Document.case_id == case_id)).all()
    audit = [e for e in platform.registry.journal(case_id) if e.kind == "identity_erased"]
    assert [(str(e.actor), e.event.reason) for e in audit] == [("coordinator:coord-test", "request")]
    # The server deletes asynchronously (about half a minute on the dev server).
    await eventually(lambda: execution_gone(platform, case_id), seconds=90)


async def test_erasing_a_person_with_an_open_case_closes_it_first(platform: Platform) -> None:
    person = BeneficiaryIdentity(structure_id="struct-75", situation="rqth", **{**IDENTITY, "last_name": "Ouverte"})
    beneficiary_id = register_beneficiary(platform.registry.engine, person)
    case_id = await platform.cases.open(Situation.RQTH, beneficiary_id=beneficiary_id, referent_id="ref-erase")
    await platform.cases.walk_to(case_id, Phase.JOB_SEARCH)

    erased = await platform.cli.json("erase", beneficiary_id, "--yes")

    assert erased["cases"] == [case_id] and erased["closed_first"] == [case_id]
    with Session(platform.registry.engine) as session:
        case = session.get(Case, case_id)
        assert case is not None and case.closed_at is not None
        assert (case.phase, case.closure_reason) == ("closed", "erasure_requested")
        assert session.get(Seat, case_id) is None, "the référent's place is freed"
    kinds = [(e.seq > 0, e.kind) for e in platform.registry.journal(case_id)]
    assert (True, "close") in kinds and kinds[-1] == (False, "identity_erased"), "closed by the workflow, then erased"


async def test_erasure_refuses_without_confirmation_and_names_an_unknown_person(platform: Platform) -> None:
    unconfirmed = await platform.cli("erase", "B000000000000")
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.stderr
    unknown = await platform.cli("erase", "B000000000000", "--yes")
    assert unknown.exit_code == 3 and "no person B000000000000" in unknown.stderr


@pytest.mark.slow
async def test_the_retention_schedule_warns_then_anonymises(platform: Platform) -> None:
    settings = RetentionSettings(inactive_after=timedelta(seconds=5), warn_before=timedelta(seconds=2))
    beneficiary_id, case_id = await closed_case_of_a_person(platform)
    still_followed = await platform.cases.open(Situation.ESAT)
    client, schedule_id = platform.cases.client, f"ea-retention-{uuid.uuid4().hex[:8]}"
    schedule_definition = retention_schedule(platform.cases.task_queue, settings)
    assert await ensure_schedule(client, schedule_id, schedule_definition) == "created"
    assert await ensure_schedule(client, schedule_id, schedule_definition) == "present"
    schedule = client.get_schedule_handle(schedule_id)
    try:
        def kinds() -> list[str]:
            return [e.kind for e in platform.registry.journal(case_id)]

        await asyncio.sleep(3.2)  # inside the warning window: 5 s of inactivity, warned 2 s before
        await schedule.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)

        async def warned() -> bool:
            return "retention_warning" in kinds()

        await eventually(warned)
        assert "identity_erased" not in kinds(), "warned first, anonymised later"

        await asyncio.sleep(2.5)
        await schedule.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)

        async def anonymised() -> bool:
            return "identity_erased" in kinds()

        await eventually(anonymised)
        last_run = (await schedule.describe()).info.recent_actions[-1].action.workflow_id
        plan = await client.get_workflow_handle_for(RetentionWorkflow.run, last_run).result()
        assert plan.anonymise == [beneficiary_id], "and its cases' runs were deleted, as `ea erase` does"
        registry_text = everything_in(platform.registry)
        assert not [trace for trace in TRACES if trace in registry_text]
        erased = [e for e in platform.registry.journal(case_id) if e.kind == "identity_erased"]
        assert [(str(e.actor), e.event.reason) for e in erased] == [("system:ea-retention", "retention")]
        assert (await platform.cases.status(still_followed)).phase is Phase.CONSENT, "open cases are never touched"
    finally:
        await schedule.delete()


async def test_hostile_values_are_stored_as_data_or_refused(platform: Platform, tmp_path: Path) -> None:
    sql = "Robert'); DROP TABLE beneficiaries;--"
    person = BeneficiaryIdentity(structure_id="struct-h", first_name=sql, last_name="<img src=x onerror=alert(1)>",
                                 birth_date=date(1990, 1, 1))  # fmt: skip
    beneficiary_id = register_beneficiary(platform.registry.engine, person)
    with Session(platform.registry.engine) as session:
        stored = session.get(Beneficiary, beneficiary_id)
        assert stored is not None and stored.first_name == sql, "stored as data, never executed"
    too_long = await platform.cli("open", "--structure", "s", "--birth-date", "1990-01-01",
                                  "--first-name", "A" * 101, "--last-name", "B")  # fmt: skip
    assert too_long.exit_code == 2 and "first_name" in too_long.stderr
    huge_id = await platform.cli("consent", "C" * 65)
    assert huge_id.exit_code in (2, 3)
    binary = tmp_path / "case.yaml"
    binary.write_bytes(b"case_id: \xff\xfe\x00bad\nstructure_id: s\n")
    result = await platform.cli("open", "--from-file", str(binary))
    assert result.exit_code == 2 and "not valid YAML or JSON" in result.stderr and "Traceback" not in result.output


async def test_an_erasure_while_the_case_runs_never_takes_a_number_the_workflow_will_use(cases: Cases, registry: Registry) -> None:
    """The workflow owns the case's sequence; the registry's own acts take numbers below zero."""
    case_id = await cases.open(Situation.RQTH)
    beneficiary_id = (await cases.status(case_id)).beneficiary_id
    assert beneficiary_id is not None
    await eventually(lambda: asyncio.sleep(0, result=registry.journal(case_id) or None))
    anonymise(registry.engine, Anonymisation(beneficiary_id=beneficiary_id, actor=COORDINATOR, reason="request"))
    await cases.step(case_id, Step.GIVE_CONSENT, given_on=TODAY)

    async def written() -> list[tuple[int, str]] | None:
        rows = [(entry.seq, entry.kind) for entry in registry.journal(case_id)]
        return rows if len(rows) == 3 else None

    assert await eventually(written) == [(1, "case_opened"), (-1, "identity_erased"), (2, "give_consent")]
