"""Wrong calls are refused by validators, with a message a person can act on; the case goes on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from temporalio.client import Client, WorkflowExecutionStatus

from starter.cases import CaseNotFound, StepRefused, apply_step, case_status, workflow_id
from workflows.case.model import Actor, ActorRole
from tests.builders import born_years_ago, spe
from starter.scripted import COORDINATOR, TODAY, Cases, cdaph
from workflows.case.steps import BY_STEP
from workflows.case.model import ContactKind, ContractType, Intensity, IntensityReason, Model, Party, Phase, RequestKind, ResponseOutcome, Situation, Step, TrainingKind
from workflows.case.rules import OPEN_PHASES, TRANSITIONS

REPRESENTATIVE = Actor(role=ActorRole.LEGAL_REPRESENTATIVE, id="rep-1")
"""Acts for the person: consents and signs for them, on any case."""
PERSONS = (Step.GIVE_CONSENT, Step.WITHDRAW_CONSENT, Step.SIGN_CONVENTION)

VALID_INPUTS: dict[Step, Model] = {
    step: BY_STEP[step].input(**fields, actor=REPRESENTATIVE if step in PERSONS else COORDINATOR)
    for step, fields in {
        Step.GIVE_CONSENT: {"given_on": TODAY},
        Step.WITHDRAW_CONSENT: {"withdrawn_on": TODAY},
        Step.RECORD_PRESCRIPTION: {"prescription": cdaph()},
        Step.SIGN_CONVENTION: {"party": Party.BENEFICIARY, "signed_on": TODAY},
        Step.SUBMIT_EVALUATION: {"completed_on": TODAY},
        Step.SUBMIT_PROJECT: {"agreed_on": TODAY},
        Step.RECORD_HIRING: {"employer_id": "emp-other", "contract_type": ContractType.CDD, "start_date": TODAY},
        Step.RECORD_JOB_LOSS: {"ended_on": TODAY},
        Step.RECORD_CHANGE_OF_POST: {"effective_on": TODAY},
        Step.ASSIGN_REFERENT: {"referent_id": "ref-2"},
        Step.SET_REVIEW_CADENCE: {"in_job_review_every": timedelta(days=60)},
        Step.COMPLETE_REVIEW: {"held_on": TODAY},
        Step.SET_INTENSITY: {"level": Intensity.LIGHT, "reason": IntensityReason.STABLE_SITUATION},
        Step.RECORD_CONTACT: {"on": TODAY, "kind": ContactKind.PHONE},
        Step.REQUEST_SUPPORT: {"kind": RequestKind.DIFFICULTY_ALERT},
        Step.SUBMIT_EMPLOYER_REQUEST: {"employer_id": "emp-acme", "kind": RequestKind.MEDIATION},
        Step.RESPOND_TO_REQUEST: {"request_id": "req-1", "outcome": ResponseOutcome.MEETING_SCHEDULED},
        Step.SIGN_AMENDMENT: {"party": Party.STRUCTURE, "signed_on": TODAY},
        Step.NAME_REPRESENTATIVE: {"representative_id": "rep-named"},
        Step.RECORD_TRAINING: {"kind": TrainingKind.TRAINING, "title": "CACES R489", "on": TODAY},
        Step.RECORD_ADAPTATION: {"stage": "proposed", "on": TODAY, "description": "Horaires adaptés"},
        Step.RECORD_EVIDENCE: {"kind": "rqth", "valid_from": TODAY},
        Step.LINK_PARTNER: {"partner_id": "mdph-33"},
        Step.CLOSE: {"reason": "goals_reached"},
    }.items()
}


async def assert_refused(client: Client, case_id: str, step: Step, data: Model, *expected: str) -> None:
    """Refused with a message containing `expected`, nothing changed, the case still running."""
    before = await case_status(client, case_id)
    with pytest.raises(StepRefused) as refused:
        await apply_step(client, case_id, data)
    for words in expected:
        assert words in str(refused.value)
    after = await case_status(client, case_id)
    assert after == before
    description = await client.get_workflow_handle(workflow_id(case_id)).describe()
    assert description.status is WorkflowExecutionStatus.RUNNING


@pytest.mark.parametrize("phase", OPEN_PHASES)
async def test_every_step_the_table_forbids_is_refused(cases: Cases, phase: Phase) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    await cases.walk_to(case_id, phase)
    forbidden = [step for step in BY_STEP if (phase, step) not in TRANSITIONS]
    assert forbidden, f"every step is possible in {phase}?"
    for step in forbidden:
        await assert_refused(cases.client, case_id, step, VALID_INPUTS[step], f"`ea {BY_STEP[step].verb}` is not possible in phase {phase}")


async def test_ineligible_under_16_is_refused_with_the_rule(cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH, birth_date=born_years_ago(16, days_before_birthday=1))
    await cases.walk_to(case_id, Phase.PRESCRIPTION)
    data = BY_STEP[Step.RECORD_PRESCRIPTION].input(prescription=spe(), actor=COORDINATOR)
    await assert_refused(cases.client, case_id, Step.RECORD_PRESCRIPTION, data, "ineligible", "aged 15", "starts at 16")


async def test_sixteenth_birthday_opens_the_dispositif(cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH, birth_date=born_years_ago(16))
    state = await cases.walk_to(case_id, Phase.CONVENTION)
    assert state.prescription is not None


async def test_prescription_without_a_situation_is_refused(cases: Cases) -> None:
    case_id = await cases.open(situation=None)
    await cases.walk_to(case_id, Phase.PRESCRIPTION)
    data = BY_STEP[Step.RECORD_PRESCRIPTION].input(prescription=cdaph(), actor=COORDINATOR)
    await assert_refused(cases.client, case_id, Step.RECORD_PRESCRIPTION, data, "no situation recorded")
    state = await cases.step(case_id, Step.RECORD_PRESCRIPTION, prescription=cdaph(), situation=Situation.ESAT)
    assert state.situation is Situation.ESAT and state.phase is Phase.CONVENTION


async def test_a_future_date_is_refused(cases: Cases) -> None:
    case_id = await cases.open()
    await cases.step(case_id, Step.NAME_REPRESENTATIVE, representative_id=REPRESENTATIVE.id)
    data = BY_STEP[Step.GIVE_CONSENT].input(given_on=TODAY + timedelta(days=10), actor=REPRESENTATIVE)
    await assert_refused(cases.client, case_id, Step.GIVE_CONSENT, data, "the consent date", "is in the future")


async def test_a_party_signs_once_and_only_parties_sign(cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.step(case_id, Step.NAME_REPRESENTATIVE, representative_id=REPRESENTATIVE.id)
    await cases.walk_to(case_id, Phase.CONVENTION)
    employer = BY_STEP[Step.SIGN_CONVENTION].input(party=Party.EMPLOYER, signed_on=TODAY, actor=COORDINATOR)
    await assert_refused(cases.client, case_id, Step.SIGN_CONVENTION, employer, "employer is not a party")
    await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.BENEFICIARY, signed_on=TODAY)
    again = BY_STEP[Step.SIGN_CONVENTION].input(party=Party.BENEFICIARY, signed_on=TODAY, actor=REPRESENTATIVE)
    await assert_refused(cases.client, case_id, Step.SIGN_CONVENTION, again, "beneficiary already signed")


async def test_employer_requests_need_the_case_employer(cases: Cases) -> None:
    seeker = await cases.open(Situation.RQTH)
    request = VALID_INPUTS[Step.SUBMIT_EMPLOYER_REQUEST]
    await assert_refused(cases.client, seeker, Step.SUBMIT_EMPLOYER_REQUEST, request, "no employer yet")
    employee = await cases.open(Situation.EMPLOYEE, employer_id="emp-other")
    await assert_refused(cases.client, employee, Step.SUBMIT_EMPLOYER_REQUEST, request, "emp-acme is not a party")
    not_yet = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    await assert_refused(cases.client, not_yet, Step.SUBMIT_EMPLOYER_REQUEST, request, "has not consented yet")


async def test_unknown_request_and_double_answer_are_refused(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    await cases.walk_to(case_id, Phase.PRESCRIPTION)
    answer = VALID_INPUTS[Step.RESPOND_TO_REQUEST]
    await assert_refused(cases.client, case_id, Step.RESPOND_TO_REQUEST, answer, "no request req-1", "open requests: none")
    await cases.request(case_id, "emp-acme")
    await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id="req-1", outcome=ResponseOutcome.SOLUTION_PROPOSED)
    await assert_refused(cases.client, case_id, Step.RESPOND_TO_REQUEST, answer, "req-1 is already answered")


async def test_job_loss_needs_a_job(cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.EVALUATION)
    loss = VALID_INPUTS[Step.RECORD_JOB_LOSS]
    await assert_refused(cases.client, case_id, Step.RECORD_JOB_LOSS, loss, "no current job")


async def test_unknown_case_is_reported_as_not_found(client: Client) -> None:
    with pytest.raises(CaseNotFound, match="no case nope-404"):
        await apply_step(client, "nope-404", VALID_INPUTS[Step.GIVE_CONSENT])
    with pytest.raises(CaseNotFound):
        await case_status(client, "nope-404")


async def test_steps_on_a_closed_case_point_to_reopen(cases: Cases) -> None:
    case_id = await cases.open()
    await cases.step(case_id, Step.CLOSE, reason="moved_away")
    await cases.final_state(case_id)
    with pytest.raises(StepRefused, match="is closed; `ea reopen"):
        await apply_step(cases.client, case_id, VALID_INPUTS[Step.GIVE_CONSENT])


async def test_a_step_that_names_no_actor_is_refused(cases: Cases) -> None:
    case_id = await cases.open()
    anonymous = BY_STEP[Step.GIVE_CONSENT].input(given_on=TODAY)
    await assert_refused(cases.client, case_id, Step.GIVE_CONSENT, anonymous, "`ea consent` names no actor")
