"""Issue 16's situations, each as a platform met it: the pure case core decides, no server needed."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from workflows.case import decisions, steps
from workflows.case.model import (
    Actor,
    ActorRole,
    CaseState,
    CdaphDecision,
    GiveConsent,
    OpenCase,
    Party,
    Phase,
    RecordJobLoss,
    RecordPrescription,
    RequestKind,
    SignConvention,
    Situation,
    SubmitEmployerRequest,
)
from workflows.case.refusals import RefusalCode

NOW = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)
TODAY = NOW.date()
COORDINATOR = Actor(role=ActorRole.COORDINATOR, id="coord-1")
PERSON = Actor(role=ActorRole.BENEFICIARY, id="B1")


def opened(situation: Situation, employer_id: str | None = None) -> CaseState:
    opening = OpenCase(case_id="C1", structure_id="struct-1", beneficiary_id="B1", birth_date=date(1985, 1, 9),
                       situation=situation, employer_id=employer_id, referent_id="ref-1", actor=COORDINATOR)  # fmt: skip
    state, _ = decisions.open_case(opening, NOW - timedelta(days=10))
    return state


def take(state: CaseState, data: object) -> None:
    reason = steps.refuse(state, data, TODAY)
    assert reason is None, reason
    steps.apply(state, data, NOW)  # type: ignore[arg-type]


def to_convention(state: CaseState) -> None:
    take(state, GiveConsent(given_on=TODAY, actor=PERSON))
    take(state, RecordPrescription(prescription=CdaphDecision(decision_reference="D-1", decision_date=TODAY), actor=COORDINATOR))


def test_an_employee_who_loses_the_job_before_the_convention_is_signed_is_not_stuck() -> None:
    state = opened(Situation.EMPLOYEE, employer_id="emp-1")
    to_convention(state)
    take(state, SignConvention(party=Party.BENEFICIARY, signed_on=TODAY, actor=PERSON))
    take(state, SignConvention(party=Party.STRUCTURE, signed_on=TODAY, actor=COORDINATOR))
    assert state.phase is Phase.CONVENTION, "waiting on the employer's signature"
    take(state, RecordJobLoss(ended_on=TODAY, actor=COORDINATOR))
    assert state.phase is Phase.EVALUATION and state.employer_id is None, "the others had signed: the convention holds"


def test_a_job_lost_while_the_convention_awaits_the_person_waits_for_the_person_only() -> None:
    state = opened(Situation.EMPLOYEE, employer_id="emp-1")
    to_convention(state)
    take(state, RecordJobLoss(ended_on=TODAY, actor=COORDINATOR))
    assert state.phase is Phase.CONVENTION
    take(state, SignConvention(party=Party.BENEFICIARY, signed_on=TODAY, actor=PERSON))
    take(state, SignConvention(party=Party.STRUCTURE, signed_on=TODAY, actor=COORDINATOR))
    assert state.phase is Phase.EVALUATION, "no former employer among the required signatories"


def test_reentry_after_closure_when_the_job_changed_drops_the_former_employer() -> None:
    state = opened(Situation.EMPLOYEE, employer_id="emp-former")
    state.phase, state.closure = Phase.CLOSED, None
    decisions.reopen_case(decisions.Decision(state, NOW, COORDINATOR))
    assert state.phase is Phase.CONSENT
    take(state, RecordJobLoss(ended_on=TODAY - timedelta(days=40), actor=COORDINATOR))
    assert state.phase is Phase.CONSENT and state.employer_id is None


def test_a_prescription_cannot_make_a_case_employee_without_an_employer() -> None:
    state = opened(Situation.RQTH)
    take(state, GiveConsent(given_on=TODAY, actor=PERSON))
    prescription = CdaphDecision(decision_reference="D-1", decision_date=TODAY)
    reason = steps.refuse(state, RecordPrescription(prescription=prescription, situation=Situation.EMPLOYEE, actor=COORDINATOR), TODAY)
    assert reason is not None and reason.code is RefusalCode.EMPLOYEE_WITHOUT_EMPLOYER
    assert steps.refuse(state, RecordPrescription(prescription=prescription, actor=COORDINATOR), TODAY) is None


def test_an_employer_request_before_the_persons_consent_is_refused_until_they_consent() -> None:
    state = opened(Situation.EMPLOYEE, employer_id="emp-1")
    request = SubmitEmployerRequest(employer_id="emp-1", kind=RequestKind.MEDIATION, actor=Actor(role=ActorRole.EMPLOYER, id="emp-1"))
    reason = steps.refuse(state, request, TODAY)
    assert reason is not None and reason.code is RefusalCode.NO_CONSENT_YET and state.requests == []
    take(state, GiveConsent(given_on=TODAY, actor=PERSON))
    assert steps.refuse(state, request, TODAY) is None
