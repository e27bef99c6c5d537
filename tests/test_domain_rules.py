"""Issue 16's situations, each as a platform met it: the pure case core decides, no server needed."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from activities.registry.report import _Case, _outcomes
from workflows.case import decisions, rules, steps
from workflows.contracts import Period
from workflows.case.model import (
    Actor,
    ActorRole,
    CaseState,
    CdaphDecision,
    ContractType,
    GiveConsent,
    Intensity,
    OpenCase,
    Party,
    Phase,
    RecordChangeOfPost,
    RecordHiring,
    RecordJobLoss,
    RecordPrescription,
    RequestKind,
    SetReviewCadence,
    SignAmendment,
    SignConvention,
    Situation,
    SubmitEmployerRequest,
    SubmitEvaluation,
    SubmitProject,
)
from workflows.case.refusals import RefusalCode

NOW = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)
TODAY = NOW.date()
COORDINATOR = Actor(role=ActorRole.COORDINATOR, id="coord-1")
PERSON = Actor(role=ActorRole.BENEFICIARY, id="B1")
EMPLOYER = Actor(role=ActorRole.EMPLOYER, id="emp-1")


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


def in_job_support(state: CaseState) -> CaseState:
    to_convention(state)
    for party, actor in ((Party.BENEFICIARY, PERSON), (Party.STRUCTURE, COORDINATOR), (Party.EMPLOYER, EMPLOYER)):
        if party in rules.required_parties(state):
            take(state, SignConvention(party=party, signed_on=TODAY, actor=actor))
    take(state, SubmitEvaluation(completed_on=TODAY, actor=COORDINATOR))
    take(state, SubmitProject(agreed_on=TODAY, actor=COORDINATOR))
    return state


def hire(employer_id: str, *, alongside: bool, hours: float = 17.5) -> RecordHiring:
    return RecordHiring(employer_id=employer_id, contract_type=ContractType.CDI, start_date=TODAY, weekly_hours=hours,
                        alongside=alongside, actor=COORDINATOR)  # fmt: skip


def test_an_employee_opened_with_an_employer_has_that_job_on_record() -> None:
    state = opened(Situation.EMPLOYEE, employer_id="emp-1")
    assert [(job.employer_id, job.start_date, job.ended_on) for job in state.employments] == [("emp-1", None, None)]


def test_two_part_time_jobs_are_held_at_once_and_end_one_by_one() -> None:
    state = in_job_support(opened(Situation.EMPLOYEE, employer_id="emp-1"))
    take(state, hire("emp-2", alongside=True))
    assert state.employers == ["emp-1", "emp-2"] and state.phase is Phase.IN_JOB_SUPPORT
    for employer in ("emp-1", "emp-2"):
        asking = SubmitEmployerRequest(employer_id=employer, kind=RequestKind.MEDIATION, actor=Actor(role=ActorRole.EMPLOYER, id=employer))
        assert steps.refuse(state, asking, TODAY) is None, f"{employer} is a party while the person works there"
    unnamed = steps.refuse(state, RecordJobLoss(ended_on=TODAY, actor=COORDINATOR), TODAY)
    assert unnamed is not None and unnamed.code is RefusalCode.WHICH_JOB
    take(state, RecordJobLoss(ended_on=TODAY, employer_id="emp-1", actor=COORDINATOR))
    assert state.phase is Phase.IN_JOB_SUPPORT and state.employers == ["emp-2"] and state.employer_id == "emp-2"
    take(state, RecordJobLoss(ended_on=TODAY, actor=COORDINATOR))
    assert state.phase is Phase.JOB_SEARCH and state.employers == []


def test_an_esat_worker_takes_a_part_time_ordinary_job_and_a_change_of_job_replaces_it() -> None:
    state = in_job_support(opened(Situation.ESAT))
    assert state.phase is Phase.JOB_SEARCH
    take(state, hire("emp-ordinary", alongside=False))
    take(state, hire("emp-next", alongside=False))
    assert state.employers == ["emp-next"], "without --alongside a new job replaces the one held"
    assert [job.ended_on for job in state.employments] == [TODAY, None]


def test_weeks_worked_count_two_jobs_at_once_once_and_their_hours_add_up() -> None:
    seeker = _Case("C1", opened_at=datetime(2026, 1, 1, tzinfo=timezone.utc), closed_at=None, closure_reason=None,
                   situation="rqth", birth_year=1990)  # fmt: skip
    seeker.jobs = [(date(2026, 2, 2), None, 20.0), (date(2026, 2, 2), date(2026, 3, 1), 15.0)]
    period = Period(start=date(2026, 2, 1), end=date(2026, 3, 1))
    outcomes = _outcomes([seeker], period.start, period.end, period.until)
    assert outcomes.weeks_worked == round(28 / 7, 1), "28 days in a job, not 56"
    assert outcomes.mean_weekly_hours == 35.0


def test_a_change_of_cadence_after_signature_applies_only_once_the_amendment_is_signed() -> None:
    state = in_job_support(opened(Situation.EMPLOYEE, employer_id="emp-1"))
    assert state.convention_version == 1 and state.intensity is Intensity.INTENSIVE
    before, due = state.settings.model_copy(), state.review.next_due
    assert due is not None
    take(state, SetReviewCadence(in_job_review_every=timedelta(days=10), level=Intensity.INTENSIVE, actor=COORDINATOR))
    [amendment] = state.amendments
    assert amendment.unsigned == [Party.BENEFICIARY, Party.STRUCTURE, Party.EMPLOYER]
    assert state.settings == before and state.review.next_due == due, "the case runs on the signed values meanwhile"

    stranger = SignAmendment(party=Party.EMPLOYER, signed_on=TODAY, actor=Actor(role=ActorRole.EMPLOYER, id="emp-other"))
    assert steps.refuse(state, stranger, TODAY).code is RefusalCode.NOT_THE_CASES_EMPLOYER  # type: ignore[union-attr]
    take(state, SignAmendment(party=Party.BENEFICIARY, signed_on=TODAY, actor=PERSON))
    take(state, SignAmendment(party=Party.STRUCTURE, signed_on=TODAY, actor=COORDINATOR))
    assert state.settings == before and state.convention_version == 1
    take(state, SignAmendment(party=Party.EMPLOYER, signed_on=TODAY, actor=EMPLOYER))
    assert state.settings.intensive_in_job_review_every == timedelta(days=10) and state.convention_version == 2
    assert state.review.next_due == due - before.intensive_in_job_review_every + timedelta(days=10)
    again = steps.refuse(state, SignAmendment(party=Party.EMPLOYER, signed_on=TODAY, actor=EMPLOYER), TODAY)
    assert again is not None and again.code is RefusalCode.NO_AMENDMENT


def test_a_hiring_is_an_amendment_the_new_employer_signs_with_the_others() -> None:
    state = in_job_support(opened(Situation.RQTH))
    take(state, hire("emp-2", alongside=False))
    assert state.amendment(None) is not None and state.amendment(None).employer_id == "emp-2"  # type: ignore[union-attr]
    hired = Actor(role=ActorRole.EMPLOYER, id="emp-2")
    for party, actor in ((Party.EMPLOYER, hired), (Party.BENEFICIARY, PERSON), (Party.STRUCTURE, COORDINATOR)):
        take(state, SignAmendment(party=party, signed_on=TODAY, number=1, actor=actor))
    assert state.convention_version == 2 and state.amendments[0].in_force_on == TODAY


def test_a_change_of_post_is_an_amendment_the_parties_sign() -> None:
    state = in_job_support(opened(Situation.EMPLOYEE, employer_id="emp-1"))
    take(state, RecordChangeOfPost(effective_on=TODAY, actor=COORDINATOR))
    [amendment] = state.amendments
    assert state.phase is Phase.EVALUATION and amendment.post_changed_on == TODAY
    assert amendment.unsigned == [Party.BENEFICIARY, Party.STRUCTURE, Party.EMPLOYER]


def test_a_coordinator_admits_a_person_outside_the_criteria_by_a_derogation_that_is_journaled() -> None:
    state = opened(Situation.RQTH)
    state.birth_date = TODAY.replace(year=TODAY.year - 15)
    take(state, GiveConsent(given_on=TODAY, actor=PERSON))
    prescription = CdaphDecision(decision_reference="D-1", decision_date=TODAY)
    plain = RecordPrescription(prescription=prescription, actor=COORDINATOR)
    assert steps.refuse(state, plain, TODAY).code is RefusalCode.TOO_YOUNG  # type: ignore[union-attr]
    derogation = plain.model_copy(update={"derogation": "apprentissage signé, accord de la MDPH"})
    referent = derogation.model_copy(update={"actor": Actor(role=ActorRole.REFERENT, id="ref-1")})
    assert steps.refuse(state, referent, TODAY).code is RefusalCode.DEROGATION_BY_COORDINATOR  # type: ignore[union-attr]
    [entry] = steps.apply(state, derogation, NOW)
    assert entry.event.derogation is not None  # type: ignore[union-attr]
    assert entry.event.derogation.waived == ["too_young"] and entry.event.derogation.authorised_by == "coordinator:coord-1"  # type: ignore[union-attr]
    adult = opened(Situation.RQTH)
    take(adult, GiveConsent(given_on=TODAY, actor=PERSON))
    assert steps.refuse(adult, derogation, TODAY).code is RefusalCode.DEROGATION_NOT_NEEDED  # type: ignore[union-attr]


def test_an_employer_signs_only_its_own_amendment_and_asks_only_in_its_own_name() -> None:
    state = in_job_support(opened(Situation.EMPLOYEE, employer_id="emp-1"))
    take(state, hire("emp-2", alongside=True))
    emp1 = EMPLOYER
    assert steps.refuse(state, SignAmendment(party=Party.EMPLOYER, signed_on=TODAY, number=1, actor=emp1), TODAY).code \
        is RefusalCode.NOT_THE_CASES_EMPLOYER, "amendment n° 1 is emp-2's"  # type: ignore[union-attr]
    posing = SubmitEmployerRequest(employer_id="emp-2", kind=RequestKind.MEDIATION, actor=emp1)
    assert steps.refuse(state, posing, TODAY).code is RefusalCode.NOT_THE_CASES_EMPLOYER  # type: ignore[union-attr]


def test_an_amendment_awaiting_an_employer_who_left_goes_on_without_them() -> None:
    state = in_job_support(opened(Situation.EMPLOYEE, employer_id="emp-1"))
    take(state, hire("emp-2", alongside=True))
    take(state, SignAmendment(party=Party.BENEFICIARY, signed_on=TODAY, actor=PERSON))
    take(state, SignAmendment(party=Party.STRUCTURE, signed_on=TODAY, actor=COORDINATOR))
    take(state, RecordJobLoss(ended_on=TODAY, employer_id="emp-2", actor=COORDINATOR))
    assert state.amendments[0].unsigned == [] and state.amendments[0].in_force_on == TODAY
    assert state.convention_version == 2


def test_reopening_lets_the_amendments_still_awaiting_signatures_lapse() -> None:
    state = in_job_support(opened(Situation.RQTH))
    take(state, hire("emp-2", alongside=False))
    state.phase = Phase.CLOSED
    decisions.reopen_case(decisions.Decision(state, NOW, COORDINATOR))
    assert state.amendments == [] and state.amendment(None) is None
