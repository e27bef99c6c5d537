"""The pure case core, without a server: permissions for every step and role, refusals as codes,
typed events that carry the decision's outcome, and journal rows of every age read back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest

from workflows.case import decisions, rules, steps
from workflows.case.events import DocumentRequest, EmployerRequestReceived, Hired, JournalEntry, TrainingRecorded, upcast
from workflows.case.model import (
    Actor,
    ActorRole,
    Amendment,
    AssignReferent,
    CaseSnapshot,
    CaseState,
    CdaphDecision,
    CloseCase,
    ClosureReason,
    CompleteReview,
    ContactKind,
    ContractType,
    GiveConsent,
    Intensity,
    IntensityReason,
    OpenCase,
    Party,
    Phase,
    RecordChangeOfPost,
    RecordContact,
    RecordHiring,
    RecordJobLoss,
    RecordPrescription,
    NameRepresentative,
    RecordTraining,
    RecordAdaptation,
    AdaptationStage,
    RecordEvidence,
    EvidenceKind,
    LinkPartner,
    RequestKind,
    RequestSupport,
    RespondToRequest,
    ResponseOutcome,
    SetIntensity,
    SetReviewCadence,
    SignAmendment,
    SignConvention,
    Situation,
    Step,
    StepInput,
    SubmitEmployerRequest,
    SubmitEvaluation,
    SubmitProject,
    TrainingKind,
    TrainingStatus,
    Funder,
    WithdrawConsent,
)
from workflows.case.refusals import RefusalCode

NOW = datetime(2027, 3, 1, 9, tzinfo=timezone.utc)
TODAY = NOW.date()
COORDINATOR = Actor(role=ActorRole.COORDINATOR, id="coord-1")

OWN = {
    ActorRole.COORDINATOR: "coord-1",
    ActorRole.REFERENT: "ref-1",
    ActorRole.EMPLOYER: "emp-1",
    ActorRole.BENEFICIARY: "B1",
    ActorRole.LEGAL_REPRESENTATIVE: "tutor-1",
    ActorRole.SYSTEM: "ea-workflow",
}
"""Each role's actor on the case under test: its own référent, employer and person."""

PERMISSIONS: dict[Step, set[ActorRole]] = {
    Step.GIVE_CONSENT: {ActorRole.BENEFICIARY, ActorRole.LEGAL_REPRESENTATIVE},
    Step.WITHDRAW_CONSENT: {ActorRole.BENEFICIARY, ActorRole.LEGAL_REPRESENTATIVE},
    Step.RECORD_PRESCRIPTION: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.SIGN_CONVENTION: {ActorRole.COORDINATOR, ActorRole.REFERENT, ActorRole.EMPLOYER, ActorRole.BENEFICIARY,
                           ActorRole.LEGAL_REPRESENTATIVE},  # fmt: skip
    Step.SIGN_AMENDMENT: {ActorRole.COORDINATOR, ActorRole.REFERENT, ActorRole.EMPLOYER, ActorRole.BENEFICIARY,
                          ActorRole.LEGAL_REPRESENTATIVE},  # fmt: skip
    Step.SUBMIT_EVALUATION: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.SUBMIT_PROJECT: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.RECORD_HIRING: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.RECORD_JOB_LOSS: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.RECORD_CHANGE_OF_POST: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.ASSIGN_REFERENT: {ActorRole.COORDINATOR},
    Step.SET_REVIEW_CADENCE: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.COMPLETE_REVIEW: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.SET_INTENSITY: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.RECORD_CONTACT: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.SUBMIT_EMPLOYER_REQUEST: {ActorRole.COORDINATOR, ActorRole.REFERENT, ActorRole.EMPLOYER},
    Step.REQUEST_SUPPORT: {ActorRole.COORDINATOR, ActorRole.REFERENT, ActorRole.BENEFICIARY, ActorRole.LEGAL_REPRESENTATIVE},
    Step.RESPOND_TO_REQUEST: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.RECORD_TRAINING: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.RECORD_ADAPTATION: {ActorRole.COORDINATOR, ActorRole.REFERENT, ActorRole.EMPLOYER},
    Step.RECORD_EVIDENCE: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.LINK_PARTNER: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.NAME_REPRESENTATIVE: {ActorRole.COORDINATOR, ActorRole.REFERENT},
    Step.CLOSE: {ActorRole.COORDINATOR, ActorRole.REFERENT},
}
"""Who may take each step, written out as the spec: the declarations must say the same."""

SIGNS_FOR = {
    ActorRole.COORDINATOR: Party.STRUCTURE,
    ActorRole.REFERENT: Party.STRUCTURE,
    ActorRole.EMPLOYER: Party.EMPLOYER,
    ActorRole.BENEFICIARY: Party.BENEFICIARY,
    ActorRole.LEGAL_REPRESENTATIVE: Party.BENEFICIARY,
    ActorRole.SYSTEM: Party.STRUCTURE,
}

SAMPLES: dict[Step, Callable[[Actor], StepInput]] = {
    Step.GIVE_CONSENT: lambda a: GiveConsent(given_on=TODAY, actor=a),
    Step.WITHDRAW_CONSENT: lambda a: WithdrawConsent(withdrawn_on=TODAY, actor=a),
    Step.RECORD_PRESCRIPTION: lambda a: RecordPrescription(
        prescription=CdaphDecision(decision_reference="D-1", decision_date=TODAY), actor=a),
    Step.SIGN_CONVENTION: lambda a: SignConvention(party=SIGNS_FOR[a.role], signed_on=TODAY, actor=a),
    Step.SIGN_AMENDMENT: lambda a: SignAmendment(party=SIGNS_FOR[a.role], signed_on=TODAY, actor=a),
    Step.SUBMIT_EVALUATION: lambda a: SubmitEvaluation(completed_on=TODAY, actor=a),
    Step.SUBMIT_PROJECT: lambda a: SubmitProject(agreed_on=TODAY, actor=a),
    Step.RECORD_HIRING: lambda a: RecordHiring(employer_id="emp-2", contract_type=ContractType.CDI, start_date=TODAY, actor=a),
    Step.RECORD_JOB_LOSS: lambda a: RecordJobLoss(ended_on=TODAY, actor=a),
    Step.RECORD_CHANGE_OF_POST: lambda a: RecordChangeOfPost(effective_on=TODAY, actor=a),
    Step.ASSIGN_REFERENT: lambda a: AssignReferent(referent_id="ref-2", actor=a),
    Step.SET_REVIEW_CADENCE: lambda a: SetReviewCadence(in_job_review_every=timedelta(days=60), actor=a),
    Step.COMPLETE_REVIEW: lambda a: CompleteReview(held_on=TODAY, actor=a),
    Step.SET_INTENSITY: lambda a: SetIntensity(level=Intensity.LIGHT, reason=IntensityReason.STABLE_SITUATION, actor=a),
    Step.RECORD_CONTACT: lambda a: RecordContact(on=TODAY, kind=ContactKind.INTERVIEW, actor=a),
    Step.SUBMIT_EMPLOYER_REQUEST: lambda a: SubmitEmployerRequest(employer_id="emp-1", kind=RequestKind.MEDIATION, actor=a),
    Step.REQUEST_SUPPORT: lambda a: RequestSupport(kind=RequestKind.DIFFICULTY_ALERT, actor=a),
    Step.RESPOND_TO_REQUEST: lambda a: RespondToRequest(request_id="req-1", outcome=ResponseOutcome.MEETING_SCHEDULED, actor=a),
    Step.RECORD_TRAINING: lambda a: RecordTraining(kind=TrainingKind.BILAN_DE_COMPETENCES, title="Bilan CIBC", on=TODAY, actor=a),
    Step.RECORD_ADAPTATION: lambda a: RecordAdaptation(stage=AdaptationStage.PROPOSED, on=TODAY, description="Horaires adaptés", actor=a),
    Step.RECORD_EVIDENCE: lambda a: RecordEvidence(kind=EvidenceKind.RQTH, valid_from=TODAY, actor=a),
    Step.LINK_PARTNER: lambda a: LinkPartner(partner_id="mdph-33", actor=a),
    Step.NAME_REPRESENTATIVE: lambda a: NameRepresentative(representative_id="tutor-2", actor=a),
    Step.CLOSE: lambda a: CloseCase(reason=ClosureReason.GOALS_REACHED, actor=a),
}  # fmt: skip


def employed_case(phase: Phase) -> CaseState:
    """A case with its référent, its employer and its person, standing in `phase`, with one open request."""
    opening = OpenCase(case_id="C1", structure_id="struct-1", beneficiary_id="B1", birth_date=date(1990, 5, 17),
                       situation=Situation.EMPLOYEE, employer_id="emp-1", referent_id="ref-1", actor=COORDINATOR)  # fmt: skip
    state, _ = decisions.open_case(opening, NOW - timedelta(days=30))
    steps.apply(state, NameRepresentative(representative_id=OWN[ActorRole.LEGAL_REPRESENTATIVE], actor=COORDINATOR), NOW)
    steps.apply(state, SubmitEmployerRequest(employer_id="emp-1", kind=RequestKind.MEDIATION, actor=COORDINATOR), NOW)
    state.phase = phase
    if phase is not Phase.CONSENT:
        state.consent_given_on = TODAY - timedelta(days=20)
    if phase in rules.REVIEWED_PHASES:
        state.intensity = Intensity.INTENSIVE
    return state


def test_the_declarations_give_each_step_the_roles_of_the_permission_table() -> None:
    assert {declaration.step: set(declaration.roles) for declaration in steps.STEPS} == PERMISSIONS


@pytest.mark.parametrize("role", list(ActorRole))
@pytest.mark.parametrize("declaration", steps.STEPS, ids=lambda declaration: declaration.verb)
def test_every_step_is_refused_to_every_role_it_does_not_name(declaration: steps.StepDeclaration, role: ActorRole) -> None:
    state = employed_case(next((p for p in declaration.allowed_in if p is not Phase.CONSENT), Phase.CONSENT))
    if declaration.step is Step.SIGN_AMENDMENT:  # an amendment awaiting every party's signature
        state.amendments.append(Amendment(at=NOW, number=1, employer_id=state.employer_id, parties=list(Party)))
    data = SAMPLES[declaration.step](Actor(role=role, id=OWN[role]))
    reason = steps.refuse(state, data, TODAY)
    if role in PERMISSIONS[declaration.step]:
        assert reason is None, f"{role} may {declaration.verb}: {reason}"
    else:
        assert reason is not None and reason.code is RefusalCode.ROLE_NOT_ALLOWED
        assert reason.params["role"] == role


@pytest.mark.parametrize(
    ("role", "stranger"),
    [(ActorRole.REFERENT, RefusalCode.NOT_THE_CASES_REFERENT), (ActorRole.EMPLOYER, RefusalCode.NOT_THE_CASES_EMPLOYER),
     (ActorRole.BENEFICIARY, RefusalCode.NOT_THE_PERSON),
     (ActorRole.LEGAL_REPRESENTATIVE, RefusalCode.NOT_THE_REPRESENTATIVE)],
)  # fmt: skip
def test_a_referent_an_employer_or_a_person_acts_on_their_own_case_only(role: ActorRole, stranger: RefusalCode) -> None:
    state = employed_case(Phase.IN_JOB_SUPPORT)
    step = next(step for step, roles in PERMISSIONS.items() if role in roles and Phase.IN_JOB_SUPPORT in steps.BY_STEP[step].allowed_in)
    reason = steps.refuse(state, SAMPLES[step](Actor(role=role, id="someone-else")), TODAY)
    assert reason is not None and reason.code is stranger


def test_an_employer_cannot_record_a_cdaph_decision() -> None:
    data = SAMPLES[Step.RECORD_PRESCRIPTION](Actor(role=ActorRole.EMPLOYER, id="emp-1"))
    reason = steps.refuse(employed_case(Phase.PRESCRIPTION), data, TODAY)
    assert reason is not None and reason.code is RefusalCode.ROLE_NOT_ALLOWED


@pytest.mark.parametrize("role", [ActorRole.EMPLOYER, ActorRole.COORDINATOR, ActorRole.REFERENT])
def test_nobody_but_the_person_or_their_representative_signs_for_the_person(role: ActorRole) -> None:
    data = SignConvention(party=Party.BENEFICIARY, signed_on=TODAY, actor=Actor(role=role, id=OWN[role]))
    reason = steps.refuse(employed_case(Phase.CONVENTION), data, TODAY)
    assert reason is not None and reason.code is RefusalCode.NOT_A_SIGNATORY
    assert reason.params == {"role": role.value, "party": "beneficiary"}


def test_a_step_without_an_actor_or_in_the_wrong_phase_is_refused_with_a_code() -> None:
    state = employed_case(Phase.CONSENT)
    assert steps.refuse(state, GiveConsent(given_on=TODAY), TODAY).code is RefusalCode.NO_ACTOR  # type: ignore[union-attr]
    reason = steps.refuse(state, SubmitProject(agreed_on=TODAY, actor=COORDINATOR), TODAY)
    assert reason is not None and reason.code is RefusalCode.NOT_IN_PHASE
    assert reason.params["phase"] == "consent" and "give_consent" in reason.params["possible"]
    assert steps.refuse(state, None, TODAY).code is RefusalCode.NO_INPUT  # type: ignore[union-attr]


def test_a_future_date_is_refused_with_what_and_when() -> None:
    reason = steps.refuse(employed_case(Phase.CONSENT), GiveConsent(given_on=TODAY + timedelta(days=9),
                                                                      actor=Actor(role=ActorRole.BENEFICIARY, id="B1")), TODAY)  # fmt: skip
    assert reason is not None and reason.code is RefusalCode.DATE_IN_FUTURE
    assert reason.params == {"what": "consent", "date": (TODAY + timedelta(days=9)).isoformat()}, "codes: each interface words them"


def test_two_hirings_carry_their_own_amendment_numbers_and_end_the_previous_job() -> None:
    state = employed_case(Phase.IN_JOB_SUPPORT)
    first = steps.apply(state, RecordHiring(employer_id="emp-2", contract_type=ContractType.CDI, start_date=TODAY, actor=COORDINATOR), NOW)
    second = steps.apply(state, RecordHiring(employer_id="emp-3", contract_type=ContractType.CDD, start_date=TODAY + timedelta(days=1),
                                             actor=COORDINATOR), NOW)  # fmt: skip
    hired = [entry.event for entry in first + second if isinstance(entry.event, Hired)]
    assert [(event.employer_id, event.amendment) for event in hired] == [("emp-2", 1), ("emp-3", 2)]
    assert hired[1].previous_job_ended_on == TODAY + timedelta(days=1)


def test_a_request_to_a_dormant_case_is_journaled_then_wakes_it_up() -> None:
    state = employed_case(Phase.IN_JOB_SUPPORT)
    state.intensity = Intensity.DORMANT
    entries = steps.apply(state, RequestSupport(kind=RequestKind.TRAINING_NEED, actor=Actor(role=ActorRole.BENEFICIARY, id="B1")), NOW)
    assert [entry.kind for entry in entries] == ["request_support", "intensity_changed"]
    assert state.intensity is Intensity.INTENSIVE and [entry.seq for entry in entries] == [state.seq - 1, state.seq]
    assert steps.BY_STEP[Step.REQUEST_SUPPORT].reply(state).request_id == "req-2"


def test_journal_rows_written_before_events_were_typed_read_back() -> None:
    old = {"case_id": "C1", "seq": 4, "at": "2027-01-05T10:00:00Z", "kind": "submit_employer_request",
           "phase_before": "in_job_support", "phase_after": "in_job_support", "actor": None,
           "detail": {"employer_id": "emp-1", "kind": "mediation", "request_id": "req-1", "deadline": "2027-01-10T10:00:00Z"}}  # fmt: skip
    entry = JournalEntry.model_validate(old)
    assert isinstance(entry.event, EmployerRequestReceived) and entry.event.kind is RequestKind.MEDIATION
    assert entry.kind == "submit_employer_request"
    erased = upcast("case_opened", {"case_id": "C1", "structure_id": "s", "birth_date": "1990"})
    assert erased.birth_date == date(1990, 1, 1)  # type: ignore[union-attr]
    failed = upcast("document_failed", {"template": "convention", "event_seq": "3", "reason": "x", "request_id": None})
    assert failed.event_seq == 3  # type: ignore[union-attr]


def test_the_documents_and_verbs_come_from_the_declarations() -> None:
    assert steps.DOCUMENTS["record_prescription"] == "convention"
    assert steps.DOCUMENTS["withdraw_consent"] == steps.DOCUMENTS["close"] == "closure_letter"
    assert len(set(steps.VERBS.values())) == len(steps.VERBS)


def test_a_state_carried_by_an_older_run_still_decodes() -> None:
    carried = employed_case(Phase.IN_JOB_SUPPORT).model_dump(mode="json") | {"first_employer_contact_on": None}
    assert CaseState.model_validate(carried).case_id == "C1"


def test_a_training_is_planned_ahead_then_done_and_the_later_record_replaces_the_earlier() -> None:
    state = employed_case(Phase.JOB_SEARCH)
    planned = RecordTraining(kind=TrainingKind.TRAINING, title="CACES R489 cariste", funder=Funder.AGEFIPH,
                             on=TODAY + timedelta(days=20), actor=COORDINATOR)  # fmt: skip
    assert steps.refuse(state, planned, TODAY) is None, "a training is planned for a day to come"
    entries = steps.apply(state, planned, NOW)
    assert [type(entry.event) for entry in entries] == [TrainingRecorded] and entries[0].event.training.funder is Funder.AGEFIPH
    done_early = planned.model_copy(update={"status": TrainingStatus.DONE})
    reason = steps.refuse(state, done_early, TODAY)
    assert reason is not None and reason.code is RefusalCode.DATE_IN_FUTURE
    steps.apply(state, planned.model_copy(update={"status": TrainingStatus.DONE, "on": TODAY}), NOW)
    assert [(t.title, t.status) for t in state.trainings] == [("CACES R489 cariste", TrainingStatus.DONE)]
    assert steps.refuse(employed_case(Phase.PRESCRIPTION), planned, TODAY).code is RefusalCode.NOT_IN_PHASE  # type: ignore[union-attr]


def test_a_render_scheduled_by_an_older_worker_with_the_whole_state_still_decodes() -> None:
    state = employed_case(Phase.IN_JOB_SUPPORT)
    entry = steps.apply(state, RespondToRequest(request_id="req-1", outcome=ResponseOutcome.MEETING_SCHEDULED, actor=COORDINATOR), NOW)[0]
    legacy = {"template": "request_response", "entry": entry.model_dump(mode="json"), "state": state.model_dump(mode="json")}
    request = DocumentRequest.model_validate(legacy)
    assert request.case.request("req-1") is not None and request.case.case_id == state.case_id
    assert len(request.model_dump_json()) < len(state.model_dump_json()), "the facts are smaller than the state"
    without = {**legacy, "entry": {**legacy["entry"], "snapshot": None}}  # older still: no snapshot on the entry
    assert DocumentRequest.model_validate(without).entry.snapshot == CaseSnapshot.of(state), "the state it carried stands in"
