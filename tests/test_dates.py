"""Plausible dates, as properties over every date: the core's one rule set (workflows/case/dates.py)
refuses a birth date in the future or beyond 120 years, any step dated after tomorrow, and a date
before the event it follows (a signature before the prescription, a consent before the opening)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from activities.registry.people import BeneficiaryIdentity
from starter.refusals import explain
from workflows.case import dates, decisions, steps
from workflows.case.model import (
    Actor,
    AdaptationStage,
    EvidenceKind,
    RecordAdaptation,
    RecordEvidence,
    ActorRole,
    CaseState,
    CdaphDecision,
    CompleteReview,
    ContactKind,
    ContractType,
    Employment,
    GiveConsent,
    OpenCase,
    Party,
    Phase,
    RecordChangeOfPost,
    RecordContact,
    RecordHiring,
    RecordJobLoss,
    RecordPrescription,
    RecordTraining,
    SignAmendment,
    SignConvention,
    Situation,
    StepInput,
    SubmitEvaluation,
    SubmitProject,
    TrainingKind,
    TrainingStatus,
    WithdrawConsent,
)
from workflows.case.refusals import RefusalCode

COORDINATOR = Actor(role=ActorRole.COORDINATOR, id="coord-1")
PERSON = Actor(role=ActorRole.BENEFICIARY, id="B1")
TODAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
OFFSETS = st.integers(min_value=-3_000, max_value=3_000)

DATED: dict[type[StepInput], Callable[[date], StepInput]] = {
    GiveConsent: lambda day: GiveConsent(given_on=day, actor=PERSON),
    WithdrawConsent: lambda day: WithdrawConsent(withdrawn_on=day, actor=PERSON),
    RecordPrescription: lambda day: RecordPrescription(prescription=CdaphDecision(decision_reference="D-1", decision_date=day),
                                                       actor=COORDINATOR),  # fmt: skip
    SignConvention: lambda day: SignConvention(party=Party.STRUCTURE, signed_on=day, actor=COORDINATOR),
    SignAmendment: lambda day: SignAmendment(party=Party.STRUCTURE, signed_on=day, actor=COORDINATOR),
    SubmitEvaluation: lambda day: SubmitEvaluation(completed_on=day, actor=COORDINATOR),
    SubmitProject: lambda day: SubmitProject(agreed_on=day, actor=COORDINATOR),
    RecordHiring: lambda day: RecordHiring(employer_id="emp-2", contract_type=ContractType.CDI, start_date=day, actor=COORDINATOR),
    RecordJobLoss: lambda day: RecordJobLoss(ended_on=day, actor=COORDINATOR),
    RecordChangeOfPost: lambda day: RecordChangeOfPost(effective_on=day, actor=COORDINATOR),
    CompleteReview: lambda day: CompleteReview(held_on=day, actor=COORDINATOR),
    RecordContact: lambda day: RecordContact(on=day, kind=ContactKind.PHONE, actor=COORDINATOR),
    RecordAdaptation: lambda day: RecordAdaptation(stage=AdaptationStage.PROPOSED, on=day, description="Horaires adaptés",
                                                   actor=COORDINATOR),  # fmt: skip
    RecordEvidence: lambda day: RecordEvidence(kind=EvidenceKind.RQTH, valid_from=day, actor=COORDINATOR),
    RecordTraining: lambda day: RecordTraining(kind=TrainingKind.TRAINING, title="CACES R489", status=TrainingStatus.DONE, on=day,
                                               actor=COORDINATOR),  # fmt: skip
}
"""Each dated step, dated `day`."""


def case_opened_on(day: date) -> CaseState:
    opening = OpenCase(case_id="C1", structure_id="struct-1", beneficiary_id="B1", birth_date=date(1980, 1, 1),
                       situation=Situation.RQTH, referent_id="ref-1", actor=COORDINATOR)  # fmt: skip
    state, _ = decisions.open_case(opening, datetime.combine(day, time(9), tzinfo=timezone.utc))
    return state


def test_every_dated_step_has_a_rule_and_a_sample() -> None:
    dated = {d.input for d in steps.STEPS if any(f.annotation is date for f in d.input.model_fields.values())}
    assert dated - {RecordPrescription} <= set(dates.RULES) == set(DATED)


@given(today=TODAYS, ahead=st.integers(min_value=2, max_value=5_000), kind=st.sampled_from(sorted(DATED, key=str)))
def test_no_step_is_dated_after_tomorrow(today: date, ahead: int, kind: type[StepInput]) -> None:
    state = case_opened_on(today - timedelta(days=400))
    reason = dates.step_date_refusal(state, DATED[kind](today + timedelta(days=ahead)), today)
    assert reason is not None and reason.code is RefusalCode.DATE_IN_FUTURE
    assert dates.step_date_refusal(state, DATED[kind](today + timedelta(days=1)), today) is None, "a day of slack (UTC, Paris)"


@given(today=TODAYS, ahead=st.integers(min_value=0, max_value=5_000))
def test_only_a_planned_training_may_lie_ahead(today: date, ahead: int) -> None:
    planned = DATED[RecordTraining](today + timedelta(days=ahead)).model_copy(update={"status": TrainingStatus.PLANNED})
    assert dates.step_date_refusal(case_opened_on(today), planned, today) is None


@given(opened=TODAYS, offset=OFFSETS)
def test_a_consent_is_never_before_the_case_was_opened(opened: date, offset: int) -> None:
    state = case_opened_on(opened)
    given_on = opened + timedelta(days=offset)
    reason = dates.step_date_refusal(state, DATED[GiveConsent](given_on), opened + timedelta(days=5_000))
    assert (reason is not None) == (offset < -1)
    if reason is not None:
        assert reason.code is RefusalCode.DATE_BEFORE and reason.params["earlier"] == dates.Dated.OPENING


@given(prescribed=TODAYS, offset=OFFSETS)
def test_no_signature_before_the_prescription(prescribed: date, offset: int) -> None:
    state = case_opened_on(prescribed)
    state.prescription = CdaphDecision(decision_reference="D-1", decision_date=prescribed)
    signed_on = prescribed + timedelta(days=offset)
    reason = dates.step_date_refusal(state, DATED[SignConvention](signed_on), prescribed + timedelta(days=5_000))
    assert (reason is not None) == (offset < -1)
    if reason is not None:
        assert explain(reason) == (f"the signature date {signed_on} is before the prescription ({prescribed})")


@given(started=TODAYS, offset=OFFSETS)
def test_a_job_ends_and_changes_post_only_after_it_began(started: date, offset: int) -> None:
    state = case_opened_on(started - timedelta(days=30))
    state.employments = [Employment(employer_id="emp-1", contract_type=ContractType.CDI, start_date=started)]
    state.employer_id, state.phase = "emp-1", Phase.IN_JOB_SUPPORT
    later, day = started + timedelta(days=5_000), started + timedelta(days=offset)
    post = steps.refuse(state, DATED[RecordChangeOfPost](day), later)
    assert (post is not None) == (offset < -1)
    loss = steps.refuse(state, DATED[RecordJobLoss](day), later)  # the job it ends, named by the decision
    assert (loss is not None) == (offset < 0)
    for reason in (post, loss):
        assert reason is None or (reason.code is RefusalCode.DATE_BEFORE and reason.params["earlier"] == dates.Dated.JOB_START)


@given(today=TODAYS, birth=st.dates(min_value=date(1800, 1, 1), max_value=date(2200, 12, 31)))
@example(today=date(2024, 2, 29), birth=date(1904, 2, 27)).via("120 on a leap day")
@example(today=date(2024, 2, 28), birth=date(1903, 2, 28)).via("121 today")
def test_a_birth_date_lies_between_120_years_ago_and_today(today: date, birth: date) -> None:
    reason = dates.birth_date_refusal(birth, today)
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))  # written out, not the core's
    plausible = birth <= today and age <= dates.OLDEST_AGE
    assert (reason is None) == plausible, (birth, today, age)
    if reason is not None:
        assert reason.code is RefusalCode.BIRTH_DATE_IMPLAUSIBLE and "cannot be true" in explain(reason)


@settings(max_examples=30)
@given(years=st.integers(min_value=121, max_value=400) | st.integers(min_value=-50, max_value=-1))
def test_the_registry_refuses_an_impossible_birth_date(years: int) -> None:
    birth = date.today() - timedelta(days=366 * years)
    with pytest.raises(ValidationError, match="cannot be true"):
        BeneficiaryIdentity(structure_id="s-1", first_name="Élodie", last_name="Dupont", birth_date=birth)


def test_the_validator_refuses_an_implausible_date_through_the_steps_door() -> None:
    today = date(2027, 3, 1)
    state = case_opened_on(today)
    state.phase = Phase.CONVENTION
    state.prescription = CdaphDecision(decision_reference="D-1", decision_date=today)
    years_before = SignConvention(party=Party.STRUCTURE, signed_on=date(2020, 1, 1), actor=COORDINATOR)
    reason = steps.refuse(state, years_before, today)
    assert reason is not None and reason.code is RefusalCode.DATE_BEFORE
    assert steps.refuse(state, years_before.model_copy(update={"signed_on": today}), today) is None
