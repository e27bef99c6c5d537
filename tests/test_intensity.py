"""Support intensity (intensive first, then light, dormant until reactivated) and contacts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry.journal import Registry
from activities.registry.schema import Contact, IntensityChange
from starter.cases import StepRefused, apply_step
from tests.builders import eventually
from starter.scripted import CALM, COORDINATOR, TODAY, Cases
from tests.cli_runner import Ea
from workflows.case.model import Actor, ActorRole, Intensity, Phase, RequestSupport, Situation, Step, SubmitEmployerRequest

REFERENT = Actor(role=ActorRole.REFERENT, id="ref-1")


async def changes(registry: Registry, case_id: str, count: int) -> list[IntensityChange]:
    async def written() -> list[IntensityChange] | None:
        with Session(registry.engine) as session:
            rows = list(session.scalars(select(IntensityChange).where(IntensityChange.case_id == case_id).order_by(IntensityChange.seq)))
        return rows if len(rows) >= count else None

    return await eventually(written)


async def test_support_starts_intensive_then_lightens_sleeps_and_wakes_on_each_kind_of_request(
    cases: Cases, registry: Registry
) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-int")
    state = await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    assert state.intensity is Intensity.INTENSIVE
    entered = state.phase_since
    assert state.review.next_due == entered + CALM.intensive_in_job_review_every

    light = await cases.step(case_id, Step.SET_INTENSITY, level="light", reason="stable_situation", actor=REFERENT)
    assert light.intensity is Intensity.LIGHT
    assert light.review.next_due == entered + CALM.in_job_review_every, "the period keeps its start, at the light cadence"

    dormant = await cases.step(case_id, Step.SET_INTENSITY, level="dormant", reason="no_need_for_now", actor=REFERENT)
    assert dormant.intensity is Intensity.DORMANT and dormant.review.next_due is None, "no scheduled review"
    with pytest.raises(StepRefused, match="support is already dormant"):
        await cases.step(case_id, Step.SET_INTENSITY, level="dormant", reason="no_need_for_now")

    employer = Actor(role=ActorRole.EMPLOYER, id="emp-int")
    await apply_step(cases.client, case_id, SubmitEmployerRequest(employer_id="emp-int", kind="mediation", actor=employer))  # fmt: skip
    woken = await cases.status(case_id)
    assert woken.intensity is Intensity.INTENSIVE and woken.review.next_due is not None

    await cases.step(case_id, Step.SET_INTENSITY, level="dormant", reason="no_need_for_now", actor=REFERENT)
    person = await cases.person(case_id)
    acknowledgement = await apply_step(cases.client, case_id, RequestSupport(kind="difficulty_alert", actor=person))
    assert acknowledgement.request_id == "req-2"
    assert (await cases.status(case_id)).intensity is Intensity.INTENSIVE

    await cases.step(case_id, Step.SET_INTENSITY, level="dormant", reason="no_need_for_now", actor=REFERENT)
    decided = await cases.step(case_id, Step.SET_INTENSITY, level="intensive", reason="coordinator_decision")
    assert decided.intensity is Intensity.INTENSIVE

    rows = await changes(registry, case_id, 8)
    assert [(r.previous, r.level, r.reason) for r in rows] == [
        (None, "intensive", "phase_changed"),
        ("intensive", "light", "stable_situation"),
        ("light", "dormant", "no_need_for_now"),
        ("dormant", "intensive", "employer_request"),
        ("intensive", "dormant", "no_need_for_now"),
        ("dormant", "intensive", "persons_request"),
        ("intensive", "dormant", "no_need_for_now"),
        ("dormant", "intensive", "coordinator_decision"),
    ]
    actors = [e.actor for e in registry.journal(case_id) if e.kind == "intensity_changed"]
    assert actors == [COORDINATOR, REFERENT, REFERENT, employer, REFERENT, person, REFERENT, COORDINATOR]


async def test_a_dormant_case_has_no_review_to_miss_and_a_new_job_search_starts_intensive(cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    await cases.step(case_id, Step.SET_INTENSITY, level="light", reason="stable_situation")
    hired = await cases.hire(case_id)
    assert hired.phase is Phase.IN_JOB_SUPPORT and hired.intensity is Intensity.INTENSIVE, "a new job: intensive again"
    evaluation = await cases.step(case_id, Step.RECORD_CHANGE_OF_POST, effective_on=TODAY)
    assert evaluation.phase is Phase.EVALUATION and evaluation.intensity is None
    with pytest.raises(StepRefused, match="`ea intensity` is not possible in phase evaluation"):
        await cases.step(case_id, Step.SET_INTENSITY, level="light", reason="stable_situation")


async def test_contacts_are_recorded_and_a_prospection_needs_a_job_seeker(cases: Cases, registry: Registry, cli: Ea) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    await cases.step(case_id, Step.RECORD_CONTACT, on=TODAY, kind="interview")
    cases.known(employer_id="emp-prospect")
    await cli.ok("contact", case_id, "--kind", "prospection", "--employer", "emp-prospect")
    missing = await cli("contact", case_id, "--kind", "employer")
    assert missing.exit_code == 2 and "names the employer" in missing.stderr
    future = await cli("contact", case_id, "--kind", "phone", "--on", str(TODAY + timedelta(days=3)))
    assert future.exit_code == 4 and "in the future" in future.stderr
    await cases.hire(case_id, "emp-prospect")
    with pytest.raises(StepRefused, match="prospection is for job search"):
        await cases.step(case_id, Step.RECORD_CONTACT, on=TODAY, kind="prospection", employer_id="emp-other")
    state = await cli.json("contact", case_id, "--kind", "occupational_physician")
    assert state["contacts"] == 3 and state["last_contact_on"] == TODAY.isoformat()

    async def projected() -> list[tuple[str, str | None, str]] | None:
        with Session(registry.engine) as session:
            rows = [(c.kind, c.employer_id, c.phase) for c in session.scalars(select(Contact).where(Contact.case_id == case_id).order_by(Contact.seq))]
        return rows if len(rows) == 3 else None

    assert await eventually(projected) == [("interview", None, "job_search"), ("prospection", "emp-prospect", "job_search"),
                                           ("occupational_physician", None, "in_job_support")]  # fmt: skip


async def test_the_cli_sets_intensity_and_records_a_persons_request(cli: Ea, cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-cli-int")
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    assert "dormant" in (await cli.json("intensity", case_id, "dormant", "--reason", "no_need_for_now"))["intensity"]
    bad = await cli("intensity", case_id, "light", "--reason", "phase_changed")
    assert bad.exit_code == 2
    asked = await cli.ok("--actor", str(await cases.person(case_id)), "person-request", case_id, "--kind", "mediation")
    assert "request req-1 recorded" in asked
    assert (await cli.json("status", case_id))["intensity"] == "intensive"
