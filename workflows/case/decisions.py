"""The case's decisions: for each step, what refuses it and what it changes.

Pure functions of the state, the step's input and the instant: no Temporal, no I/O, no clock.
A check returns the refusal (or None); an effect changes the state through a `Decision`, which
moves the phase along the transition table and journals each event with its outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol

from workflows.case import rules
from workflows.case.dates import Dated
from workflows.case.events import (
    AdaptationRecorded,
    AmendmentProposed,
    AmendmentSigned,
    CadenceSet,
    CaseClosed,
    CaseOpened,
    CaseReopened,
    ConsentGiven,
    ConsentWithdrawn,
    ContactRecorded,
    ConventionSigned,
    DocumentFailed,
    EmployerRequestReceived,
    EvaluationSubmitted,
    Event,
    EvidenceExpiring,
    EvidenceRecorded,
    Hired,
    IntensityChanged,
    JobLost,
    JournalEntry,
    PartnerLinked,
    PhaseReminder,
    PostChanged,
    PrescriptionRecorded,
    ProjectAgreed,
    ReferentAssigned,
    RequestAnswered,
    RequestOverdue,
    ReviewDue,
    ReviewHeld,
    ReviewOverdue,
    SupportRequested,
    RepresentativeNamed,
    TrainingRecorded,
)
from workflows.case.model import (
    Actor,
    ActorRole,
    Adaptation,
    AdaptationStage,
    Alert,
    AlertKind,
    Amendment,
    CadenceChange,
    AssignReferent,
    CaseSnapshot,
    CaseState,
    CloseCase,
    Derogation,
    Closure,
    ClosureReason,
    CompleteReview,
    ContactKind,
    Employment,
    Evidence,
    GiveConsent,
    LinkPartner,
    Objective,
    ObjectiveReview,
    Intensity,
    IntensityReason,
    OpenCase,
    Party,
    Phase,
    Proposer,
    RecordAdaptation,
    RecordChangeOfPost,
    RecordEvidence,
    RecordContact,
    RecordHiring,
    RecordJobLoss,
    RecordPrescription,
    NameRepresentative,
    RecordTraining,
    RequestAcknowledgement,
    RequestKind,
    RequestOrigin,
    RequestStatus,
    RequestSupport,
    ResponseOutcome,
    RespondToRequest,
    ReviewSchedule,
    Situation,
    SetIntensity,
    SetReviewCadence,
    SignAmendment,
    SignConvention,
    Step,
    StepInput,
    SubmitEmployerRequest,
    SubmitEvaluation,
    SubmitProject,
    SupportRequest,
    Training,
    Transition,
    WithdrawConsent,
)
from workflows.case.refusals import Refusal, RefusalCode, refusal

class Permission(Protocol):
    """Who may take a step (its declaration), and its name for the refusal."""

    @property
    def name(self) -> str: ...

    @property
    def roles(self) -> frozenset[ActorRole]: ...


SYSTEM = Actor(role=ActorRole.SYSTEM, id="ea-workflow")
"""Who acts when a timer fires or a document fails: the case itself."""

SIGNATORIES: dict[Party, frozenset[ActorRole]] = {
    Party.BENEFICIARY: frozenset({ActorRole.BENEFICIARY, ActorRole.LEGAL_REPRESENTATIVE}),
    Party.STRUCTURE: frozenset({ActorRole.COORDINATOR, ActorRole.REFERENT}),
    Party.EMPLOYER: frozenset({ActorRole.EMPLOYER}),
}
"""Who may sign for each party: the person or their representative (L5213-2-1), the structure's
staff, the employer itself; nobody signs for another party."""


class Since(StrEnum):
    """Behaviours that came after cases were already running. A history recorded before one of them
    replays with the old behaviour: the workflow answers `has` with `workflow.patched(value)`."""

    INTENSITIES = "support-intensity"
    """Entering job search or in-job support sets an intensity of support."""
    SIGNED_AMENDMENTS = "signed-amendments"
    """A change of cadence after signature waits for the parties' signatures of its amendment."""
    POST_AMENDMENTS = "post-amendments"
    """A change of post is put in writing by an amendment (one more document to render)."""


def always(_behaviour: Since) -> bool:
    return True


class Decision:
    """One step (or one timer) applied to a case at one instant: changes the state and journals."""

    def __init__(self, state: CaseState, now: datetime, actor: Actor | None, has: Callable[[Since], bool] = always) -> None:
        self.state = state
        self.now = now
        self.actor = actor or SYSTEM
        self.entries: list[JournalEntry] = []
        self.has = has

    def record(self, event: Event, before: Phase | None = None, after: Phase | None = None) -> JournalEntry:
        state = self.state
        state.seq += 1
        entry = JournalEntry(case_id=state.case_id, seq=state.seq, at=self.now, phase_before=before or state.phase,
                             phase_after=after or state.phase, actor=self.actor, event=event,
                             snapshot=CaseSnapshot.of(state))  # fmt: skip
        self.entries.append(entry)
        return entry

    def advance(self, step: Step, event: Event, *, moves: bool = True) -> None:
        """Move along the transition table (when the step moves) and journal the event."""
        state = self.state
        before = state.phase
        after = rules.next_phase(before, step, employed=state.employed) if moves else before
        previous_intensity = state.intensity
        if after is not before:
            self._enter(after, step)
        self.record(event, before, after)
        if state.intensity is not previous_intensity:
            self.record(IntensityChanged(level=state.intensity, previous=previous_intensity, reason=IntensityReason.PHASE_CHANGED))

    def _enter(self, phase: Phase, step: Step) -> None:
        state = self.state
        state.transitions.append(Transition(at=self.now, step=step, from_phase=state.phase, to_phase=phase))
        state.phase = phase
        state.phase_since = self.now
        state.reminders_sent = 0
        if phase in rules.REVIEWED_PHASES:
            if self.has(Since.INTENSITIES):
                state.intensity = Intensity.INTENSIVE  # intensive first, then lighter
        elif phase is not Phase.CLOSED:
            state.intensity = None
        interval = rules.review_interval(state, phase)
        next_due = self.now + interval if interval else None
        state.review = ReviewSchedule(next_due=next_due, held=state.review.held, last_held_on=state.review.last_held_on)

    def change_intensity(self, level: Intensity, reason: IntensityReason) -> None:
        state = self.state
        previous_interval, previous = rules.review_interval(state, state.phase), state.intensity
        state.intensity = level
        self.reschedule(previous_interval)
        self.record(IntensityChanged(level=level, previous=previous, reason=reason))

    def reschedule(self, previous: timedelta | None) -> None:
        """Apply a new cadence: the current review period keeps its start (a shorter cadence may make
        a review due now); a dormant case has no review; a reactivated one has its next at the new cadence."""
        state = self.state
        if state.phase not in rules.REVIEWED_PHASES:
            return
        interval = rules.review_interval(state, state.phase)
        review = state.review
        if interval is None:
            state.review = ReviewSchedule(held=review.held, last_held_on=review.last_held_on)
        elif review.next_due is not None and previous is not None:
            review.next_due = review.next_due - previous + interval
        else:
            state.review = ReviewSchedule(next_due=self.now + interval, held=review.held, last_held_on=review.last_held_on)

    def close(self, step: Step, reason: ClosureReason, event: Event) -> None:
        for request in self.state.requests:
            if request.status is RequestStatus.OPEN:
                request.status = RequestStatus.CANCELLED
        self.state.closure = Closure(at=self.now, reason=reason)
        self.advance(step, event)


# --- Shared checks -------------------------------------------------------------------------------


def actor_refusal(state: CaseState, actor: Actor, step: Permission) -> Refusal | None:
    """The role must be one the step allows, and a référent, an employer or the person acts on
    their own case only."""
    if actor.role not in step.roles:
        return refusal(RefusalCode.ROLE_NOT_ALLOWED, role=actor.role, step=step.name, allowed=", ".join(sorted(step.roles)))
    if actor.role is ActorRole.REFERENT and actor.id != state.referent_id:
        return refusal(RefusalCode.NOT_THE_CASES_REFERENT, actor=actor.id, referent=state.referent_id or "none")
    if actor.role is ActorRole.EMPLOYER and actor.id not in state.employers:
        return refusal(RefusalCode.NOT_THE_CASES_EMPLOYER, actor=actor.id)
    if actor.role is ActorRole.BENEFICIARY and state.beneficiary_id is not None and actor.id != state.beneficiary_id:
        return refusal(RefusalCode.NOT_THE_PERSON, actor=actor.id)
    if actor.role is ActorRole.LEGAL_REPRESENTATIVE and actor.id not in state.representative_ids:
        return refusal(RefusalCode.NOT_THE_REPRESENTATIVE, actor=actor.id)
    return None


# --- Opening and reopening (not updates: a run starts with them) -----------------------------------


def open_case(opening: OpenCase, now: datetime) -> tuple[CaseState, list[JournalEntry]]:
    case_fields = {name: value for name, value in opening if name != "actor"}
    state = CaseState(**case_fields, opened_at=now, phase_since=now)
    if opening.employer_id is not None:
        state.employments.append(Employment(employer_id=opening.employer_id))  # the job held at opening
    decision = Decision(state, now, opening.actor)
    decision.record(CaseOpened(**{name: value for name, value in case_fields.items() if name != "settings"}))
    return state, decision.entries


def reopen_case(decision: Decision) -> None:
    """A new run for the same person: consent, prescription and signatures are asked anew."""
    state = decision.state
    state.closure = None
    state.consent_given_on = None
    state.consent_by = None
    state.prescription = None
    state.derogation = None
    state.amendments = [amendment for amendment in state.amendments if not amendment.unsigned]  # lapsed with the closure
    state.signatures = {}
    state.signed_by = {}
    decision.advance(Step.REOPEN, CaseReopened())


# --- Each step: its check and its effect -------------------------------------------------------------


def give_consent(decision: Decision, data: GiveConsent) -> None:
    decision.state.consent_given_on = data.given_on
    decision.state.consent_by = data.actor
    by_representative = data.actor is not None and data.actor.role is ActorRole.LEGAL_REPRESENTATIVE
    decision.advance(Step.GIVE_CONSENT, ConsentGiven(given_on=data.given_on, by_legal_representative=by_representative))


def withdraw_consent(decision: Decision, data: WithdrawConsent) -> None:
    decision.close(Step.WITHDRAW_CONSENT, ClosureReason.CONSENT_WITHDRAWN, ConsentWithdrawn(withdrawn_on=data.withdrawn_on))


def check_record_prescription(state: CaseState, data: RecordPrescription, today: date) -> Refusal | None:
    situation = data.situation or state.situation
    if situation is Situation.EMPLOYEE and state.employer_id is None:
        return refusal(RefusalCode.EMPLOYEE_WITHOUT_EMPLOYER)
    ineligible = rules.eligibility_refusal(state.birth_date, situation, data.prescription.dated)
    if data.derogation is None:
        return ineligible
    assert data.actor is not None  # refuse() checked it
    if data.actor.role is not ActorRole.COORDINATOR:
        return refusal(RefusalCode.DEROGATION_BY_COORDINATOR)
    if ineligible is None:
        return refusal(RefusalCode.DEROGATION_NOT_NEEDED)
    if situation is None:
        return refusal(RefusalCode.DEROGATION_NEEDS_SITUATION)
    return None


def record_prescription(decision: Decision, data: RecordPrescription) -> None:
    state = decision.state
    state.prescription = data.prescription
    state.situation = data.situation or state.situation
    if data.derogation is not None and data.actor is not None:
        waived = rules.eligibility_refusal(state.birth_date, state.situation, data.prescription.dated)
        codes = [reason.code.value for reason in (waived, *waived.also)] if waived else []
        state.derogation = Derogation(reason=data.derogation, authorised_by=str(data.actor), waived=codes)
    state.objectives = _merged(state.objectives, data.objectives)
    decision.advance(Step.RECORD_PRESCRIPTION, PrescriptionRecorded(prescription=data.prescription, situation=data.situation,
                                                                    derogation=state.derogation, objectives=data.objectives))  # fmt: skip


def _signature_refusal(parties: list[Party], signatures: dict[Party, date], party: Party, actor: Actor) -> Refusal | None:
    """A party to this document, signed for by someone who may, once."""
    if party not in parties:
        return refusal(RefusalCode.NOT_A_PARTY, party=party, parties=", ".join(parties))
    if actor.role not in SIGNATORIES[party]:
        return refusal(RefusalCode.NOT_A_SIGNATORY, role=actor.role, party=party)
    if party in signatures:
        return refusal(RefusalCode.ALREADY_SIGNED, party=party, on=signatures[party].isoformat())
    return None


def check_sign_convention(state: CaseState, data: SignConvention, today: date) -> Refusal | None:
    assert data.actor is not None  # refuse() checked it
    return _signature_refusal(rules.required_parties(state), state.signatures, data.party, data.actor)


def sign_convention(decision: Decision, data: SignConvention) -> None:
    state = decision.state
    state.signatures[data.party] = data.signed_on
    if data.actor is not None:
        state.signed_by[data.party] = data.actor
    unsigned = set(rules.required_parties(state)) - set(state.signatures)
    signed = ConventionSigned(party=data.party, signed_on=data.signed_on, evidence=data.evidence)
    decision.advance(Step.SIGN_CONVENTION, signed, moves=not unsigned)


def submit_evaluation(decision: Decision, data: SubmitEvaluation) -> None:
    """The findings go to the journal (encrypted there) and the report, never into the case's state."""
    decision.state.evaluated_on = data.completed_on
    decision.advance(Step.SUBMIT_EVALUATION, EvaluationSubmitted(completed_on=data.completed_on, findings=data.findings))


def submit_project(decision: Decision, data: SubmitProject) -> None:
    state = decision.state
    state.project_agreed_on = data.agreed_on
    state.objectives = _merged(state.objectives, data.objectives)
    decision.advance(Step.SUBMIT_PROJECT, ProjectAgreed(agreed_on=data.agreed_on, content=data.content,
                                                        objectives=state.objectives if data.content or data.objectives else []))  # fmt: skip


def _merged(plan: list[Objective], changes: list[Objective] | list[ObjectiveReview], reviewed_on: date | None = None) -> list[Objective]:
    """The support plan with these objectives added, or updated when one of the same title is there."""
    merged = {objective.title: objective for objective in plan}
    for change in changes:
        known = merged.get(change.title)
        fields = change.model_dump(exclude_none=True) | ({"reviewed_on": reviewed_on} if reviewed_on else {})
        merged[change.title] = known.model_copy(update=fields) if known else Objective(**fields)
    return list(merged.values())


def check_record_hiring(state: CaseState, data: RecordHiring, today: date) -> Refusal | None:
    if data.employer_id in state.employers:
        return refusal(RefusalCode.ALREADY_EMPLOYER, employer=data.employer_id)
    return None


def record_hiring(decision: Decision, data: RecordHiring) -> None:
    """A job beside the ones held (`alongside`), or one that replaces them from its first day."""
    state = decision.state
    if state.employer_id is not None and state.employer_id not in [job.employer_id for job in state.current_jobs]:
        state.employments.append(Employment(employer_id=state.employer_id))  # held since before jobs were on record
    replaced = [] if data.alongside else state.current_jobs
    for job in replaced:
        job.ended_on = data.start_date
        _employer_leaves(decision, job.employer_id, data.start_date)
    state.employments.append(Employment(employer_id=data.employer_id, contract_type=data.contract_type,
                                        start_date=data.start_date, weekly_hours=data.weekly_hours))  # fmt: skip
    # The employer joins the signed convention by an amendment, which they sign with the others.
    amendment = _amend(decision, employer_id=data.employer_id)
    state.employer_id = data.employer_id
    event = Hired(employer_id=data.employer_id, contract_type=data.contract_type, start_date=data.start_date,
                  weekly_hours=data.weekly_hours, amendment=amendment.number, alongside=data.alongside,
                  previous_job_ended_on=data.start_date if replaced else None)  # fmt: skip
    decision.advance(Step.RECORD_HIRING, event)


def _employer_leaves(decision: Decision, employer_id: str, on: date) -> None:
    """An employer whose job ended signs nothing more: the amendments still awaiting them go on
    without them, and one that the others have all signed comes into force."""
    for amendment in decision.state.amendments:
        if amendment.employer_id == employer_id and Party.EMPLOYER in amendment.unsigned:
            amendment.parties = [party for party in amendment.parties if party is not Party.EMPLOYER]
            if not amendment.unsigned:
                _bring_into_force(decision, amendment, on)


def _ending_job(state: CaseState, data: RecordJobLoss) -> Employment | Refusal | None:
    """The job this loss ends: the one with the named employer, or the only one held. None: an
    employee's job known only by its employer (cases opened before jobs were recorded at opening)."""
    jobs = state.current_jobs
    if data.employer_id is not None:
        named = [job for job in jobs if job.employer_id == data.employer_id]
        if not named and data.employer_id != state.employer_id:
            return refusal(RefusalCode.NO_JOB_WITH_EMPLOYER, employer=data.employer_id, employers=", ".join(state.employers))
        return named[0] if named else None
    if len(jobs) > 1:
        return refusal(RefusalCode.WHICH_JOB, employers=", ".join(state.employers))
    return jobs[0] if jobs else None


def check_record_job_loss(state: CaseState, data: RecordJobLoss, today: date) -> Refusal | None:
    if not state.employed:
        return refusal(RefusalCode.NO_JOB)
    job = _ending_job(state, data)
    if isinstance(job, Refusal):
        return job
    if job is not None and job.start_date is not None and data.ended_on < job.start_date:  # that job's own start (dates.py: the rest)
        return refusal(RefusalCode.DATE_BEFORE, what=Dated.JOB_END, date=data.ended_on.isoformat(),
                       earlier=Dated.JOB_START, earlier_date=job.start_date.isoformat())  # fmt: skip
    return None


def record_job_loss(decision: Decision, data: RecordJobLoss) -> None:
    """One job ends; support moves back to job search only when no job is left."""
    state = decision.state
    job = _ending_job(state, data)
    assert not isinstance(job, Refusal), "refused by check_record_job_loss"
    ended = job.employer_id if job is not None else state.employer_id
    if job is not None:
        job.ended_on = data.ended_on
    if ended is not None:
        _employer_leaves(decision, ended, data.ended_on)
    remaining = [employer for employer in state.employers if employer != ended]
    state.employer_id = remaining[-1] if remaining else None
    unsigned = set(rules.required_parties(state)) - set(state.signatures)
    moves = not remaining and (not unsigned or state.phase is not Phase.CONVENTION)
    decision.advance(Step.RECORD_JOB_LOSS, JobLost(ended_on=data.ended_on, employer_id=ended), moves=moves)


def record_change_of_post(decision: Decision, data: RecordChangeOfPost) -> None:
    """Support goes back to evaluation, and the new post is an amendment the parties sign."""
    decision.advance(Step.RECORD_CHANGE_OF_POST, PostChanged(effective_on=data.effective_on))
    if decision.has(Since.POST_AMENDMENTS):
        amendment = _amend(decision, post_changed_on=data.effective_on)
        decision.record(AmendmentProposed(amendment=amendment.number, post_changed_on=data.effective_on, parties=amendment.parties))


def check_assign_referent(state: CaseState, data: AssignReferent, today: date) -> Refusal | None:
    if data.referent_id == state.referent_id:
        return refusal(RefusalCode.ALREADY_REFERENT, referent=data.referent_id)
    return None


def assign_referent(decision: Decision, data: AssignReferent) -> None:
    decision.state.referent_id = data.referent_id
    decision.advance(Step.ASSIGN_REFERENT, ReferentAssigned(referent_id=data.referent_id, force_reason=data.force_reason))


def check_set_review_cadence(state: CaseState, data: SetReviewCadence, today: date) -> Refusal | None:
    if data.level is None and state.intensity is Intensity.DORMANT:
        return refusal(RefusalCode.DORMANT_NEEDS_LEVEL)
    return None


def set_review_cadence(decision: Decision, data: SetReviewCadence) -> None:
    """Before the convention is signed the cadence is simply set; after, it is an amendment that
    applies once every party concerned has signed it (the convention says « d'un commun accord »)."""
    state = decision.state
    change = CadenceChange(job_search_review_every=data.job_search_review_every, in_job_review_every=data.in_job_review_every,
                           level=data.level or state.intensity or Intensity.LIGHT)  # fmt: skip
    if state.convention_version and decision.has(Since.SIGNED_AMENDMENTS):
        amendment = _amend(decision, cadence=change)
        decision.advance(Step.SET_REVIEW_CADENCE, AmendmentProposed(amendment=amendment.number, cadence=change, parties=amendment.parties))
        return
    _apply_cadence(decision, change)
    decision.advance(Step.SET_REVIEW_CADENCE, CadenceSet(**change.model_dump()))


def _apply_cadence(decision: Decision, change: CadenceChange) -> None:
    state = decision.state
    previous = rules.review_interval(state, state.phase)
    for phase, every in ((Phase.JOB_SEARCH, change.job_search_review_every), (Phase.IN_JOB_SUPPORT, change.in_job_review_every)):
        if every is not None:
            setattr(state.settings, rules.CADENCE_FIELDS[(phase, change.level)], every)
    decision.reschedule(previous)


def _amend(decision: Decision, *, employer_id: str | None = None, cadence: CadenceChange | None = None,
           post_changed_on: date | None = None) -> Amendment:  # fmt: skip
    """A new amendment to the signed convention, for the person, the structure and the employer
    concerned (the one who joins, or the current one)."""
    state = decision.state
    employer_id = employer_id or state.employer_id
    parties = [Party.BENEFICIARY, Party.STRUCTURE] + ([Party.EMPLOYER] if employer_id else [])
    if not decision.has(Since.SIGNED_AMENDMENTS):
        parties = []  # a hiring replayed from before amendments were signed in the case: nothing awaits
    amendment = Amendment(at=decision.now, employer_id=employer_id, number=len(state.amendments) + 1, cadence=cadence,
                          post_changed_on=post_changed_on, parties=parties)  # fmt: skip
    state.amendments.append(amendment)
    return amendment


def check_sign_amendment(state: CaseState, data: SignAmendment, today: date) -> Refusal | None:
    amendment = state.amendment(data.number)
    if amendment is None:
        awaiting = ", ".join(str(a.number) for a in state.amendments if a.unsigned) or "none"
        return refusal(RefusalCode.NO_AMENDMENT, number=data.number or "awaiting signature", awaiting=awaiting)
    assert data.actor is not None  # refuse() checked it
    if data.actor.role is ActorRole.EMPLOYER and data.actor.id != amendment.employer_id:
        return refusal(RefusalCode.NOT_THE_CASES_EMPLOYER, actor=data.actor.id)
    return _signature_refusal(amendment.parties, amendment.signatures, data.party, data.actor)


def _bring_into_force(decision: Decision, amendment: Amendment, on: date) -> None:
    amendment.in_force_on = on
    if amendment.cadence is not None:
        _apply_cadence(decision, amendment.cadence)


def sign_amendment(decision: Decision, data: SignAmendment) -> None:
    amendment = decision.state.amendment(data.number)
    assert amendment is not None, "refused by check_sign_amendment"
    amendment.signatures[data.party] = data.signed_on
    if data.actor is not None:
        amendment.signed_by[data.party] = data.actor
    in_force = not amendment.unsigned
    if in_force:
        _bring_into_force(decision, amendment, data.signed_on)
    decision.advance(Step.SIGN_AMENDMENT, AmendmentSigned(amendment=amendment.number, party=data.party, signed_on=data.signed_on,
                                                          in_force=in_force, evidence=data.evidence))  # fmt: skip


def complete_review(decision: Decision, data: CompleteReview) -> None:
    state = decision.state
    interval = rules.review_interval(state, state.phase)
    state.review = ReviewSchedule(next_due=decision.now + interval if interval else None,
                                  held=state.review.held + 1, last_held_on=data.held_on)  # fmt: skip
    state.objectives = _merged(state.objectives, data.objectives, data.held_on)
    reviewed = state.objectives if data.objectives else []
    decision.advance(Step.COMPLETE_REVIEW, ReviewHeld(held_on=data.held_on, objectives=reviewed, notes=data.notes))


def check_set_intensity(state: CaseState, data: SetIntensity, today: date) -> Refusal | None:
    if data.level is state.intensity:
        return refusal(RefusalCode.SAME_INTENSITY, level=data.level)
    return None


def set_intensity(decision: Decision, data: SetIntensity) -> None:
    decision.change_intensity(data.level, data.reason)


def check_record_contact(state: CaseState, data: RecordContact, today: date) -> Refusal | None:
    if data.kind is ContactKind.PROSPECTION and state.employed:
        return refusal(RefusalCode.PROSPECTION_WHILE_EMPLOYED)
    return None


def record_contact(decision: Decision, data: RecordContact) -> None:
    state = decision.state
    state.contacts += 1
    state.last_contact_on = max(data.on, state.last_contact_on or data.on)
    decision.advance(Step.RECORD_CONTACT, ContactRecorded(on=data.on, kind=data.kind, employer_id=data.employer_id))


def check_name_representative(state: CaseState, data: NameRepresentative, today: date) -> Refusal | None:
    if data.representative_id in state.representative_ids:
        return refusal(RefusalCode.ALREADY_REPRESENTATIVE, representative=data.representative_id)
    return None


def name_representative(decision: Decision, data: NameRepresentative) -> None:
    decision.state.representative_ids = [*decision.state.representative_ids, data.representative_id]
    decision.advance(Step.NAME_REPRESENTATIVE, RepresentativeNamed(representative_id=data.representative_id))


def record_training(decision: Decision, data: RecordTraining) -> None:
    training = Training(**data.model_dump(exclude={"actor"}))
    state = decision.state
    state.trainings = [t for t in state.trainings if (t.kind, t.title) != (training.kind, training.title)] + [training]
    decision.advance(Step.RECORD_TRAINING, TrainingRecorded(training=training))


ADAPTATION_NEXT: dict[AdaptationStage | None, frozenset[AdaptationStage]] = {
    None: frozenset({AdaptationStage.PROPOSED}),
    AdaptationStage.PROPOSED: frozenset({AdaptationStage.OPINION_GIVEN, AdaptationStage.DECIDED, AdaptationStage.DECLINED}),
    AdaptationStage.OPINION_GIVEN: frozenset({AdaptationStage.DECIDED, AdaptationStage.DECLINED}),
    AdaptationStage.DECIDED: frozenset({AdaptationStage.FUNDED, AdaptationStage.IN_PLACE}),
    AdaptationStage.FUNDED: frozenset({AdaptationStage.IN_PLACE}),
    AdaptationStage.IN_PLACE: frozenset({AdaptationStage.REVIEWED}),
    AdaptationStage.REVIEWED: frozenset({AdaptationStage.REVIEWED}),
    AdaptationStage.DECLINED: frozenset(),
}
"""Where an adaptation may go from each stage (None: not proposed yet); the médecin's opinion is optional."""

ADAPTATION_ACTORS: dict[AdaptationStage, frozenset[ActorRole]] = {
    AdaptationStage.PROPOSED: frozenset({ActorRole.COORDINATOR, ActorRole.REFERENT, ActorRole.EMPLOYER}),
    AdaptationStage.OPINION_GIVEN: frozenset({ActorRole.COORDINATOR, ActorRole.REFERENT}),
    AdaptationStage.DECIDED: frozenset({ActorRole.EMPLOYER}),
    AdaptationStage.DECLINED: frozenset({ActorRole.EMPLOYER}),
    AdaptationStage.FUNDED: frozenset({ActorRole.COORDINATOR, ActorRole.REFERENT, ActorRole.EMPLOYER}),
    AdaptationStage.IN_PLACE: frozenset({ActorRole.COORDINATOR, ActorRole.REFERENT, ActorRole.EMPLOYER}),
    AdaptationStage.REVIEWED: frozenset({ActorRole.COORDINATOR, ActorRole.REFERENT}),
}
"""Who records each stage: the job coach proposes and supports, the employer decides (never the coach)."""

ADAPTATION_NEEDS: dict[AdaptationStage, str] = {
    AdaptationStage.PROPOSED: "description",
    AdaptationStage.OPINION_GIVEN: "opinion",
    AdaptationStage.FUNDED: "funder",
}
"""The field each stage must carry."""


def check_record_adaptation(state: CaseState, data: RecordAdaptation, today: date) -> Refusal | None:
    assert data.actor is not None  # refuse() checked it
    adaptation = state.adaptation(data.adaptation_id)
    if data.adaptation_id is not None and adaptation is None:
        known = ", ".join(a.adaptation_id for a in state.adaptations) or "none"
        return refusal(RefusalCode.UNKNOWN_ADAPTATION, adaptation=data.adaptation_id, known=known)
    if data.stage is AdaptationStage.PROPOSED and not state.employers:
        return refusal(RefusalCode.NO_EMPLOYER)
    current = adaptation.stage if adaptation else None
    if data.stage not in ADAPTATION_NEXT[current]:
        allowed = ", ".join(sorted(ADAPTATION_NEXT[current])) or "none"
        return refusal(RefusalCode.ADAPTATION_STAGE, stage=data.stage, current=current or "not proposed", allowed=allowed)
    if data.actor.role not in ADAPTATION_ACTORS[data.stage]:
        return refusal(RefusalCode.ADAPTATION_ACTOR, role=data.actor.role, stage=data.stage,
                       allowed=", ".join(sorted(ADAPTATION_ACTORS[data.stage])))  # fmt: skip
    employer_id = adaptation.employer_id if adaptation else state.employer_id
    if data.actor.role is ActorRole.EMPLOYER and data.actor.id != employer_id:
        return refusal(RefusalCode.NOT_THE_CASES_EMPLOYER, actor=data.actor.id)
    needed = ADAPTATION_NEEDS.get(data.stage)
    if needed is not None and getattr(data, needed) is None:
        return refusal(RefusalCode.ADAPTATION_NEEDS, stage=data.stage, field=needed)
    return None


def record_adaptation(decision: Decision, data: RecordAdaptation) -> None:
    """A new proposal, or the next stage of one; a decision after signature amends the convention."""
    state = decision.state
    adaptation = state.adaptation(data.adaptation_id)
    if adaptation is None:
        assert data.description is not None and state.employer_id is not None, "refused by check_record_adaptation"
        adaptation = Adaptation(adaptation_id=f"adapt-{len(state.adaptations) + 1}", description=data.description,
                                proposed_by=data.proposed_by or _proposer(decision.actor), employer_id=state.employer_id,
                                stage=data.stage)  # fmt: skip
        state.adaptations.append(adaptation)
    adaptation.stage = data.stage
    adaptation.dates[data.stage] = data.on
    adaptation.funder = data.funder or adaptation.funder
    amends = data.stage is AdaptationStage.DECIDED and state.convention_version > 0
    if amends:
        adaptation.amendment = len(state.amendments) + 1
    decision.advance(Step.RECORD_ADAPTATION, AdaptationRecorded(adaptation=adaptation, opinion=data.opinion))
    if amends:
        amendment = _amend(decision, employer_id=adaptation.employer_id)
        decision.record(AmendmentProposed(amendment=amendment.number, adaptation=adaptation, parties=amendment.parties))


def _proposer(actor: Actor) -> Proposer:
    return Proposer.EMPLOYER if actor.role is ActorRole.EMPLOYER else Proposer.REFERENT


def record_evidence(decision: Decision, data: RecordEvidence) -> None:
    """A later record of the same kind replaces the earlier one (a renewed RQTH)."""
    state = decision.state
    evidence = Evidence(**data.model_dump(exclude={"actor"}))
    state.evidence = [e for e in state.evidence if e.kind is not evidence.kind] + [evidence]
    decision.advance(Step.RECORD_EVIDENCE, EvidenceRecorded(evidence=evidence))


def check_link_partner(state: CaseState, data: LinkPartner, today: date) -> Refusal | None:
    if data.partner_id in state.partner_ids:
        return refusal(RefusalCode.ALREADY_PARTNER, partner=data.partner_id)
    return None


def link_partner(decision: Decision, data: LinkPartner) -> None:
    decision.state.partner_ids = [*decision.state.partner_ids, data.partner_id]
    decision.advance(Step.LINK_PARTNER, PartnerLinked(partner_id=data.partner_id))


def check_submit_employer_request(state: CaseState, data: SubmitEmployerRequest, today: date) -> Refusal | None:
    if not state.employers:
        return refusal(RefusalCode.NO_EMPLOYER)
    if data.employer_id not in state.employers:
        return refusal(RefusalCode.EMPLOYER_NOT_PARTY, employer=data.employer_id)
    assert data.actor is not None  # refuse() checked it
    if data.actor.role is ActorRole.EMPLOYER and data.actor.id != data.employer_id:
        return refusal(RefusalCode.NOT_THE_CASES_EMPLOYER, actor=data.actor.id)
    if state.consent_given_on is None:
        return refusal(RefusalCode.NO_CONSENT_YET)
    return None


def submit_employer_request(decision: Decision, data: SubmitEmployerRequest) -> None:
    request = _receive(decision, RequestOrigin.EMPLOYER, data.kind, data.employer_id)
    event = EmployerRequestReceived(request_id=request.request_id, employer_id=data.employer_id, kind=data.kind, deadline=request.deadline)
    _received(decision, Step.SUBMIT_EMPLOYER_REQUEST, event, IntensityReason.EMPLOYER_REQUEST)


def request_support(decision: Decision, data: RequestSupport) -> None:
    request = _receive(decision, RequestOrigin.BENEFICIARY, data.kind, None)
    event = SupportRequested(request_id=request.request_id, kind=data.kind, deadline=request.deadline)
    _received(decision, Step.REQUEST_SUPPORT, event, IntensityReason.PERSONS_REQUEST)


def _receive(decision: Decision, origin: RequestOrigin, kind: RequestKind, employer_id: str | None) -> SupportRequest:
    """A request from the employer or the person, with a deadline for the answer."""
    state = decision.state
    request = SupportRequest(request_id=f"req-{len(state.requests) + 1}", employer_id=employer_id, origin=origin,
                             kind=kind, received_at=decision.now,
                             deadline=decision.now + state.settings.request_response_within)  # fmt: skip
    state.requests.append(request)
    return request


def _received(decision: Decision, step: Step, event: Event, wake_reason: IntensityReason) -> None:
    """Journal the request; a dormant case wakes up."""
    decision.advance(step, event)
    if decision.state.intensity is Intensity.DORMANT:
        decision.change_intensity(Intensity.INTENSIVE, wake_reason)


def acknowledge(state: CaseState) -> RequestAcknowledgement:
    """What the one who asked gets back at once: the request's id and when the answer is due."""
    return RequestAcknowledgement.of(state.requests[-1])


def check_respond_to_request(state: CaseState, data: RespondToRequest, today: date) -> Refusal | None:
    request = state.request(data.request_id)
    if request is None:
        known = ", ".join(r.request_id for r in state.requests if r.status is RequestStatus.OPEN)
        return refusal(RefusalCode.UNKNOWN_REQUEST, request=data.request_id, open=known or "none")
    if request.status is not RequestStatus.OPEN:
        return refusal(RefusalCode.REQUEST_CLOSED, request=data.request_id, status=request.status)
    if data.outcome is ResponseOutcome.REFERRED_TO_PARTNER and data.partner_id is None:
        return refusal(RefusalCode.WHICH_PARTNER)
    return None


def respond_to_request(decision: Decision, data: RespondToRequest) -> None:
    request = decision.state.request(data.request_id)
    assert request is not None  # the check refused otherwise
    request.status = RequestStatus.ANSWERED
    request.answered_at = decision.now
    request.outcome = data.outcome
    state = decision.state
    if data.partner_id is not None and data.partner_id not in state.partner_ids:
        state.partner_ids = [*state.partner_ids, data.partner_id]  # referred to: linked to the case from now on
    decision.advance(Step.RESPOND_TO_REQUEST, RequestAnswered(request_id=data.request_id, outcome=data.outcome, partner_id=data.partner_id))


def close(decision: Decision, data: CloseCase) -> None:
    decision.close(Step.CLOSE, data.reason, CaseClosed(reason=data.reason))


def no_check(state: CaseState, data: StepInput, today: date) -> Refusal | None:
    return None


# --- Timers and failures ---------------------------------------------------------------------------


def raise_due_alerts(decision: Decision) -> None:
    """Every deadline that has passed becomes an alert on the case and a journal entry."""
    for deadline in rules.deadlines(decision.state):
        if deadline.at <= decision.now:
            _alert(decision, deadline)


def _alert(decision: Decision, deadline: rules.Deadline) -> None:
    state, now = decision.state, decision.now
    event: Event
    if deadline.kind is AlertKind.PHASE_REMINDER:
        # Count every period that passed, so a worker that was down does not replay them all.
        state.reminders_sent = (now - state.phase_since) // state.settings.reminder_after
        event = PhaseReminder(due_at=deadline.at)
    elif deadline.kind is AlertKind.REVIEW_DUE:
        state.review.announced = True
        event = ReviewDue(due_at=deadline.at)
    elif deadline.kind is AlertKind.REVIEW_OVERDUE:
        state.review.overdue = True
        event = ReviewOverdue(due_at=deadline.at)
    elif deadline.kind is AlertKind.EVIDENCE_EXPIRING:
        evidence = next(e for e in state.evidence if e.kind == deadline.request_id)
        evidence.warned = True
        assert evidence.valid_until is not None  # only dated evidence has a deadline
        event = EvidenceExpiring(kind=evidence.kind, valid_until=evidence.valid_until)
    else:
        request = state.request(deadline.request_id or "")
        assert request is not None
        request.escalated = True
        event = RequestOverdue(request_id=request.request_id)
    state.alerts.append(Alert(at=now, kind=deadline.kind, phase=state.phase, request_id=deadline.request_id))
    decision.record(event)


def document_failed(decision: Decision, template: str, entry: JournalEntry, reason: str) -> None:
    """A document that could not be made becomes an alert on the case, never a stuck case."""
    state = decision.state
    request_id = getattr(entry.event, "request_id", None)
    state.alerts.append(Alert(at=decision.now, kind=AlertKind.DOCUMENT_FAILED, phase=state.phase, template=template,
                              request_id=request_id, reason=reason))  # fmt: skip
    decision.record(DocumentFailed(template=template, event_seq=entry.seq, reason=reason))
