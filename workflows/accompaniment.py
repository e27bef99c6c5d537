"""AccompanimentWorkflow: one durable run per case, from consent to open-ended in-job support.

Every step is an update whose validator refuses a wrong call before anything reaches the
history, so a mistake never stalls a case. Handlers are synchronous: they change the state and
queue a journal entry; the main loop writes the journal in order (one activity, idempotent by
case id and sequence), fires the timers derived from the state, and continues-as-new before the
history grows large.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows import lifecycle, search_attributes
    from workflows.domain import (
        JOURNAL_ACTIVITY,
        RENDER_ACTIVITY,
        SEAT_ACTIVITY,
        Actor,
        ActorRole,
        Alert,
        AlertKind,
        Amendment,
        AssignReferent,
        CaseInput,
        CaseSnapshot,
        CaseState,
        Closure,
        ClosureReason,
        CloseCase,
        ContactKind,
        DocumentRequest,
        CompleteReview,
        Employment,
        SupportRequest,
        GiveConsent,
        Intensity,
        IntensityReason,
        JournalBatch,
        JournalEntry,
        OpenCase,
        Phase,
        RecordChangeOfPost,
        RecordContact,
        RecordHiring,
        RecordJobLoss,
        RecordPrescription,
        RequestAcknowledgement,
        RequestKind,
        RequestOrigin,
        RequestStatus,
        RequestSupport,
        RespondToRequest,
        ReviewSchedule,
        SeatRequest,
        SetIntensity,
        SetReviewCadence,
        SignConvention,
        StepInput,
        Step,
        SubmitEmployerRequest,
        SubmitEvaluation,
        SubmitProject,
        Transition,
        WithdrawConsent,
    )
    from workflows.wording import case_summary

RENDER_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=["DocumentDataMissing"])
DOCUMENTS_PATCH = "render-documents"
"""Histories recorded before documents existed replay without these activities."""

JOURNAL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
"""No maximum attempts: a registry that is down delays the journal, it never loses an entry."""

SEAT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10),
                         non_retryable_error_types=["CaseloadFull"])  # fmt: skip
CASELOAD_PATCH = "referent-caseload"
INTENSITY_PATCH = "support-intensity"
"""Histories recorded before caseloads and intensities replay without their activity and timers."""


SYSTEM = Actor(role=ActorRole.SYSTEM, id="ea-workflow")
"""Who acts when a timer fires or a document fails: the case itself."""


def _refusal(message: str, kind: str = "StepRefused") -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


def _not_in_future(day: date, what: str) -> None:
    # One day of slack: the server's clock is UTC, a coordinator's "today" is Paris time.
    if day > workflow.now().date() + timedelta(days=1):
        raise _refusal(f"{what} {day.isoformat()} is in the future")


@workflow.defn
class AccompanimentWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._outbox: list[JournalEntry] = list(input.journal_backlog)
        self._renders: set[asyncio.Task[None]] = set()
        self._published: dict[Any, Any] = {}
        if input.opening is not None:
            self._open(input.opening)
            return
        assert input.carried is not None  # CaseInput's validator guarantees one of the two
        self.state = input.carried
        self.state.runs += 1
        if input.reopen:
            self._reopen(input.actor)

    @workflow.run
    async def run(self, input: CaseInput) -> CaseState:
        while True:
            self._raise_due_alerts()
            self._publish()
            written = await self._write_journal_batch()
            if written and workflow.patched(DOCUMENTS_PATCH):
                self._render_documents(written)
            if self.state.phase is Phase.CLOSED:
                break
            if self._history_is_long():
                await self._continue_as_new()
            try:
                await workflow.wait_condition(lambda: bool(self._outbox), timeout=self._time_to_next_deadline())
            except asyncio.TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain_journal()
        await workflow.wait_condition(lambda: not self._renders)
        await self._drain_journal()
        return self.state

    @workflow.query
    def status(self) -> CaseState:
        return self.state

    # --- Consent --------------------------------------------------------------------------

    @workflow.update
    def give_consent(self, data: GiveConsent) -> CaseState:
        self.state.consent_given_on = data.given_on
        self._advance(Step.GIVE_CONSENT, data)
        return self.state

    @give_consent.validator
    def _check_give_consent(self, data: GiveConsent) -> None:
        self._check(Step.GIVE_CONSENT, data)
        _not_in_future(data.given_on, "the consent date")

    @workflow.update
    def withdraw_consent(self, data: WithdrawConsent) -> CaseState:
        self._close(Step.WITHDRAW_CONSENT, ClosureReason.CONSENT_WITHDRAWN, data)
        return self.state

    @withdraw_consent.validator
    def _check_withdraw_consent(self, data: WithdrawConsent) -> None:
        self._check(Step.WITHDRAW_CONSENT, data)
        _not_in_future(data.withdrawn_on, "the withdrawal date")

    # --- Prescription and convention -------------------------------------------------------

    @workflow.update
    def record_prescription(self, data: RecordPrescription) -> CaseState:
        self.state.prescription = data.prescription
        self.state.situation = data.situation or self.state.situation
        self._advance(Step.RECORD_PRESCRIPTION, data)
        return self.state

    @record_prescription.validator
    def _check_record_prescription(self, data: RecordPrescription) -> None:
        self._check(Step.RECORD_PRESCRIPTION, data)
        prescribed_on = data.prescription.dated
        _not_in_future(prescribed_on, "the prescription date")
        situation = data.situation or self.state.situation
        failures = lifecycle.eligibility_failures(self.state.birth_date, situation, prescribed_on)
        if failures:
            raise _refusal("ineligible: " + "; ".join(failures), "Ineligible")

    @workflow.update
    def sign_convention(self, data: SignConvention) -> CaseState:
        self.state.signatures[data.party] = data.signed_on
        unsigned = set(lifecycle.required_parties(self.state)) - set(self.state.signatures)
        self._advance(Step.SIGN_CONVENTION, data, moves=not unsigned)
        return self.state

    @sign_convention.validator
    def _check_sign_convention(self, data: SignConvention) -> None:
        self._check(Step.SIGN_CONVENTION, data)
        _not_in_future(data.signed_on, "the signature date")
        required = lifecycle.required_parties(self.state)
        if data.party not in required:
            raise _refusal(f"{data.party} is not a party to this convention; parties: {', '.join(required)}")
        if data.party in self.state.signatures:
            raise _refusal(f"{data.party} already signed on {self.state.signatures[data.party].isoformat()}")

    # --- Evaluation, project, employment ---------------------------------------------------

    @workflow.update
    def submit_evaluation(self, data: SubmitEvaluation) -> CaseState:
        self.state.evaluated_on = data.completed_on
        self._advance(Step.SUBMIT_EVALUATION, data)
        return self.state

    @submit_evaluation.validator
    def _check_submit_evaluation(self, data: SubmitEvaluation) -> None:
        self._check(Step.SUBMIT_EVALUATION, data)
        _not_in_future(data.completed_on, "the evaluation date")

    @workflow.update
    def submit_project(self, data: SubmitProject) -> CaseState:
        self.state.project_agreed_on = data.agreed_on
        self._advance(Step.SUBMIT_PROJECT, data)
        return self.state

    @submit_project.validator
    def _check_submit_project(self, data: SubmitProject) -> None:
        self._check(Step.SUBMIT_PROJECT, data)
        _not_in_future(data.agreed_on, "the project date")

    @workflow.update
    def record_hiring(self, data: RecordHiring) -> CaseState:
        state = self.state
        previous = state.current_employment
        if previous is not None:
            previous.ended_on = data.start_date
        state.employments.append(
            Employment(
                employer_id=data.employer_id,
                contract_type=data.contract_type,
                start_date=data.start_date,
                weekly_hours=data.weekly_hours,
            )
        )
        if state.employer_id != data.employer_id:
            # The employer is a party: joining after signature is an amendment to the convention.
            state.amendments.append(Amendment(at=workflow.now(), employer_id=data.employer_id))
            state.employer_id = data.employer_id
        self._advance(Step.RECORD_HIRING, data)
        return self.state

    @record_hiring.validator
    def _check_record_hiring(self, data: RecordHiring) -> None:
        self._check(Step.RECORD_HIRING, data)
        if data.employer_id == self.state.employer_id:
            raise _refusal(f"{data.employer_id} is already the person's current employer")

    @workflow.update
    def record_job_loss(self, data: RecordJobLoss) -> CaseState:
        current = self.state.current_employment
        if current is not None:
            current.ended_on = data.ended_on
        self.state.employer_id = None
        self._advance(Step.RECORD_JOB_LOSS, data)
        return self.state

    @record_job_loss.validator
    def _check_record_job_loss(self, data: RecordJobLoss) -> None:
        self._check(Step.RECORD_JOB_LOSS, data)
        if not self.state.employed:
            raise _refusal("the person has no current job to lose")
        current = self.state.current_employment
        if current is not None and data.ended_on < current.start_date:
            raise _refusal(f"the job ended on {data.ended_on} before it began on {current.start_date}")

    @workflow.update
    def record_change_of_post(self, data: RecordChangeOfPost) -> CaseState:
        self._advance(Step.RECORD_CHANGE_OF_POST, data)
        return self.state

    @record_change_of_post.validator
    def _check_record_change_of_post(self, data: RecordChangeOfPost) -> None:
        self._check(Step.RECORD_CHANGE_OF_POST, data)
        _not_in_future(data.effective_on, "the change of post")

    # --- Follow-up: référent, reviews, cadence ---------------------------------------------

    @workflow.update
    async def assign_referent(self, data: AssignReferent) -> CaseState:
        if workflow.patched(CASELOAD_PATCH):
            await self._take_seat(data)
        self.state.referent_id = data.referent_id
        self._advance(Step.ASSIGN_REFERENT, data)
        return self.state

    async def _take_seat(self, data: AssignReferent) -> None:
        """A place in the référent's caseload, taken atomically in the registry (or refused when full)."""
        assert data.actor is not None  # the validator refused otherwise
        seat = SeatRequest(case_id=self.state.case_id, referent_id=data.referent_id, actor=data.actor, force_reason=data.force_reason)
        try:
            await workflow.execute_activity(SEAT_ACTIVITY, seat, start_to_close_timeout=timedelta(seconds=10),
                                            schedule_to_close_timeout=timedelta(minutes=1), retry_policy=SEAT_RETRY)  # fmt: skip
        except ActivityError as failed:
            cause = failed.cause
            if isinstance(cause, ApplicationError) and cause.type == "CaseloadFull":
                raise _refusal(cause.message, "CaseloadFull") from None
            raise _refusal("the registry did not answer, the référent is unchanged: try again", "RegistryUnavailable") from None
        if self.state.phase is Phase.CLOSED:
            raise _refusal("the case closed while the référent was being assigned")

    @assign_referent.validator
    def _check_assign_referent(self, data: AssignReferent) -> None:
        self._check(Step.ASSIGN_REFERENT, data)
        if data.referent_id == self.state.referent_id:
            raise _refusal(f"{data.referent_id} is already the référent of this case")

    @workflow.update
    def set_review_cadence(self, data: SetReviewCadence) -> CaseState:
        state = self.state
        previous = lifecycle.review_interval(state, state.phase)
        level = data.level or state.intensity or Intensity.LIGHT
        for phase, every in ((Phase.JOB_SEARCH, data.job_search_review_every), (Phase.IN_JOB_SUPPORT, data.in_job_review_every)):
            if every is not None:
                setattr(state.settings, lifecycle.CADENCE_FIELDS[(phase, level)], every)
        self._reschedule(previous)
        self._advance(Step.SET_REVIEW_CADENCE, data, level=level.value)
        return self.state

    @set_review_cadence.validator
    def _check_set_review_cadence(self, data: SetReviewCadence) -> None:
        self._check(Step.SET_REVIEW_CADENCE, data)
        if data.level is None and self.state.intensity is Intensity.DORMANT:
            raise _refusal("the case is dormant, without reviews: say which level's cadence to set (intensive or light)")

    @workflow.update
    def complete_review(self, data: CompleteReview) -> CaseState:
        state = self.state
        interval = lifecycle.review_interval(state, state.phase)
        state.review = ReviewSchedule(
            next_due=workflow.now() + interval if interval else None,
            held=state.review.held + 1,
            last_held_on=data.held_on,
        )
        self._advance(Step.COMPLETE_REVIEW, data)
        return self.state

    @complete_review.validator
    def _check_complete_review(self, data: CompleteReview) -> None:
        self._check(Step.COMPLETE_REVIEW, data)
        _not_in_future(data.held_on, "the review date")

    # --- Intensity and contacts ------------------------------------------------------------

    @workflow.update
    def set_intensity(self, data: SetIntensity) -> CaseState:
        self._change_intensity(data.level, data.reason, data)
        return self.state

    @set_intensity.validator
    def _check_set_intensity(self, data: SetIntensity) -> None:
        self._check(Step.SET_INTENSITY, data)
        if data.level is self.state.intensity:
            raise _refusal(f"support is already {data.level}")

    @workflow.update
    def record_contact(self, data: RecordContact) -> CaseState:
        state = self.state
        state.contacts += 1
        state.last_contact_on = max(data.on, state.last_contact_on or data.on)
        self._advance(Step.RECORD_CONTACT, data)
        return self.state

    @record_contact.validator
    def _check_record_contact(self, data: RecordContact) -> None:
        self._check(Step.RECORD_CONTACT, data)
        _not_in_future(data.on, "the contact date")
        if data.on < self.state.opened_at.date() - timedelta(days=1):
            raise _refusal(f"the contact date {data.on.isoformat()} is before the case was opened")
        if data.kind is ContactKind.PROSPECTION and self.state.employed:
            raise _refusal("the person has a job: prospection is for job search; record a contact with the employer")

    # --- Requests from the employer and from the person ------------------------------------

    @workflow.update
    def submit_employer_request(self, data: SubmitEmployerRequest) -> RequestAcknowledgement:
        return self._receive(Step.SUBMIT_EMPLOYER_REQUEST, RequestOrigin.EMPLOYER, data.kind, data, data.employer_id)

    @submit_employer_request.validator
    def _check_submit_employer_request(self, data: SubmitEmployerRequest) -> None:
        self._check(Step.SUBMIT_EMPLOYER_REQUEST, data)
        if self.state.employer_id is None:
            raise _refusal("this case has no employer yet: employer requests need an employer party")
        if data.employer_id != self.state.employer_id:
            raise _refusal(f"employer {data.employer_id} is not a party to this case")

    @workflow.update
    def request_support(self, data: RequestSupport) -> RequestAcknowledgement:
        return self._receive(Step.REQUEST_SUPPORT, RequestOrigin.BENEFICIARY, data.kind, data)

    @request_support.validator
    def _check_request_support(self, data: RequestSupport) -> None:
        self._check(Step.REQUEST_SUPPORT, data)

    @workflow.update
    def respond_to_request(self, data: RespondToRequest) -> CaseState:
        request = self.state.request(data.request_id)
        assert request is not None  # the validator refused otherwise
        request.status = RequestStatus.ANSWERED
        request.answered_at = workflow.now()
        request.outcome = data.outcome
        self._advance(Step.RESPOND_TO_REQUEST, data)
        return self.state

    @respond_to_request.validator
    def _check_respond_to_request(self, data: RespondToRequest) -> None:
        self._check(Step.RESPOND_TO_REQUEST, data)
        request = self.state.request(data.request_id)
        if request is None:
            known = ", ".join(r.request_id for r in self.state.requests if r.status is RequestStatus.OPEN)
            raise _refusal(f"no request {data.request_id} on this case; open requests: {known or 'none'}")
        if request.status is not RequestStatus.OPEN:
            raise _refusal(f"request {data.request_id} is already {request.status}")

    # --- Closure ---------------------------------------------------------------------------

    @workflow.update
    def close(self, data: CloseCase) -> CaseState:
        self._close(Step.CLOSE, data.reason, data)
        return self.state

    @close.validator
    def _check_close(self, data: CloseCase) -> None:
        self._check(Step.CLOSE, data)

    # --- The machinery ---------------------------------------------------------------------

    def _check(self, step: Step, data: StepInput) -> None:
        """Refuse a step the table forbids now, or that does not say who acts (the audit journal needs it)."""
        if not isinstance(data, StepInput):
            raise _refusal(f"{step} needs its fields (see `ea {step} --help`); got nothing")
        if data.actor is None:
            raise _refusal(f"{step} names no actor: every step says who acts (role:id, e.g. referent:ref-12)")
        try:
            lifecycle.check_step(self.state.phase, step)
        except lifecycle.StepRefused as refused:
            raise _refusal(str(refused)) from None

    def _open(self, opening: OpenCase) -> None:
        now = workflow.now()
        case_fields = {name: value for name, value in opening if name != "actor"}
        self.state = CaseState(**case_fields, opened_at=now, phase_since=now)
        self._journal("case_opened", Phase.CONSENT, Phase.CONSENT, opening)

    def _reopen(self, actor: Actor | None) -> None:
        """A new run for the same person: consent, prescription and signatures are asked anew."""
        state = self.state
        state.closure = None
        state.consent_given_on = None
        state.prescription = None
        state.signatures = {}
        self._advance(Step.REOPEN, StepInput(actor=actor))

    def _close(self, step: Step, reason: ClosureReason, data: StepInput) -> None:
        now = workflow.now()
        for request in self.state.requests:
            if request.status is RequestStatus.OPEN:
                request.status = RequestStatus.CANCELLED
        self.state.closure = Closure(at=now, reason=reason)
        self._advance(step, data)

    def _advance(self, step: Step, data: StepInput | None, *, moves: bool = True, **extra: str) -> None:
        """Apply a step: move along the transition table (when it moves) and journal it."""
        state = self.state
        before = state.phase
        after = lifecycle.next_phase(before, step, employed=state.employed) if moves else before
        previous_intensity = state.intensity
        if after is not before:
            self._enter(after, step)
        self._journal(step.value, before, after, data, **extra)
        if state.intensity is not previous_intensity:
            self._journal_intensity(previous_intensity, IntensityReason.PHASE_CHANGED, data)

    def _enter(self, phase: Phase, step: Step) -> None:
        state = self.state
        now = workflow.now()
        state.transitions.append(Transition(at=now, step=step, from_phase=state.phase, to_phase=phase))
        state.phase = phase
        state.phase_since = now
        state.reminders_sent = 0
        if phase in lifecycle.REVIEWED_PHASES:
            if workflow.patched(INTENSITY_PATCH):
                state.intensity = Intensity.INTENSIVE  # intensive first, then lighter
        elif phase is not Phase.CLOSED:
            state.intensity = None
        interval = lifecycle.review_interval(state, phase) if phase in lifecycle.REVIEWED_PHASES else None
        next_due = now + interval if interval else None
        state.review = ReviewSchedule(next_due=next_due, held=state.review.held, last_held_on=state.review.last_held_on)

    def _receive(self, step: Step, origin: RequestOrigin, kind: RequestKind, data: StepInput,
                 employer_id: str | None = None) -> RequestAcknowledgement:  # fmt: skip
        """A request from the employer or the person: a deadline for the answer, and a dormant case wakes up."""
        now = workflow.now()
        request = SupportRequest(
            request_id=f"req-{len(self.state.requests) + 1}",
            employer_id=employer_id,
            origin=origin,
            kind=kind,
            received_at=now,
            deadline=now + self.state.settings.request_response_within,
        )
        self.state.requests.append(request)
        self._advance(step, data, request_id=request.request_id, deadline=request.deadline.isoformat())
        if self.state.intensity is Intensity.DORMANT:
            reason = IntensityReason.EMPLOYER_REQUEST if origin is RequestOrigin.EMPLOYER else IntensityReason.PERSONS_REQUEST
            self._change_intensity(Intensity.INTENSIVE, reason, data)
        return RequestAcknowledgement(request_id=request.request_id, deadline=request.deadline)

    def _change_intensity(self, level: Intensity, reason: IntensityReason, data: StepInput) -> None:
        state = self.state
        previous_interval, previous = lifecycle.review_interval(state, state.phase), state.intensity
        state.intensity = level
        self._reschedule(previous_interval)
        self._journal_intensity(previous, reason, data)

    def _journal_intensity(self, previous: Intensity | None, reason: IntensityReason, data: StepInput | None) -> None:
        level = self.state.intensity
        self._journal("intensity_changed", self.state.phase, self.state.phase, StepInput(actor=data.actor if data else SYSTEM),
                      level=level.value if level else None, previous=previous.value if previous else None,
                      reason=reason.value)  # fmt: skip

    def _reschedule(self, previous: timedelta | None) -> None:
        """Apply a new cadence: the current review period keeps its start (a shorter cadence may make
        a review due now); a dormant case has no review; a reactivated one has its next at the new cadence."""
        state = self.state
        if state.phase not in lifecycle.REVIEWED_PHASES:
            return
        interval = lifecycle.review_interval(state, state.phase)
        review = state.review
        if interval is None:
            state.review = ReviewSchedule(held=review.held, last_held_on=review.last_held_on)
        elif review.next_due is not None and previous is not None:
            review.next_due = review.next_due - previous + interval
        else:
            state.review = ReviewSchedule(next_due=workflow.now() + interval, held=review.held, last_held_on=review.last_held_on)

    def _journal(self, kind: str, before: Phase, after: Phase, data: StepInput | None, **extra: Any) -> None:
        """Queue the event for the registry: the step's own fields, who acted, and the case after it."""
        self.state.seq += 1
        detail = data.model_dump(mode="json", exclude={"actor", "settings"}) if data is not None else {}
        entry = JournalEntry(
            case_id=self.state.case_id,
            seq=self.state.seq,
            at=workflow.now(),
            kind=kind,
            phase_before=before,
            phase_after=after,
            actor=data.actor if data is not None else SYSTEM,
            detail=detail | extra,
            snapshot=CaseSnapshot.of(self.state),
        )
        self._outbox.append(entry)

    def _raise_due_alerts(self) -> None:
        now = workflow.now()
        for deadline in lifecycle.deadlines(self.state):
            if deadline.at <= now:
                self._alert(deadline, now)

    def _alert(self, deadline: lifecycle.Deadline, now: datetime) -> None:
        state = self.state
        if deadline.kind is AlertKind.PHASE_REMINDER:
            # Count every period that passed, so a worker that was down does not replay them all.
            state.reminders_sent = (now - state.phase_since) // state.settings.reminder_after
        elif deadline.kind is AlertKind.REVIEW_DUE:
            state.review.announced = True
        elif deadline.kind is AlertKind.REVIEW_OVERDUE:
            state.review.overdue = True
        else:
            request = state.request(deadline.request_id or "")
            assert request is not None
            request.escalated = True
        state.alerts.append(Alert(at=now, kind=deadline.kind, phase=state.phase, request_id=deadline.request_id))
        extra = {"request_id": deadline.request_id} if deadline.request_id else {"due_at": deadline.at.isoformat()}
        self._journal(deadline.kind.value, state.phase, state.phase, None, **extra)

    def _time_to_next_deadline(self) -> timedelta | None:
        upcoming = [deadline.at for deadline in lifecycle.deadlines(self.state)]
        if not upcoming:
            return None
        return max(min(upcoming) - workflow.now(), timedelta(milliseconds=1))

    def _publish(self) -> None:
        """Search attributes for operators' queries (only what changed) and the UI's summary line."""
        values = search_attributes.case_values(self.state)
        changed = {key: value for key, value in values.items() if self._published.get(key, ...) != value}
        if changed:
            workflow.upsert_search_attributes(search_attributes.updates(changed))
            self._published = values
        workflow.set_current_details(case_summary(self.state))

    async def _write_journal_batch(self) -> list[JournalEntry]:
        """Write what is queued now; entries queued meanwhile wait for the next turn of the loop,
        so that a steady stream of updates never starves publishing or continue-as-new."""
        if not self._outbox:
            return []
        batch = list(self._outbox)
        await workflow.execute_activity(
            JOURNAL_ACTIVITY,
            JournalBatch(entries=batch),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=JOURNAL_RETRY,
        )
        del self._outbox[: len(batch)]
        return batch

    async def _drain_journal(self) -> None:
        while self._outbox:
            written = await self._write_journal_batch()
            if workflow.patched(DOCUMENTS_PATCH):
                self._render_documents(written)

    def _render_documents(self, entries: list[JournalEntry]) -> None:
        """Start the paperwork of these events beside the main loop, which never waits on a PDF."""
        for entry in entries:
            template = lifecycle.DOCUMENTS.get(entry.kind)
            if template is not None:
                task = asyncio.create_task(self._render(template, entry, self.state.model_copy(deep=True)))
                self._renders.add(task)
                task.add_done_callback(self._renders.discard)

    async def _render(self, template: str, entry: JournalEntry, state: CaseState) -> None:
        """One document; one that cannot be made becomes an alert on the case, never a stuck case."""
        try:
            await workflow.execute_activity(
                RENDER_ACTIVITY,
                DocumentRequest(template=template, entry=entry, state=state),
                start_to_close_timeout=timedelta(seconds=30),  # a document renders in about a second
                retry_policy=RENDER_RETRY,
            )
        except ActivityError as failed:
            cause = failed.cause.message if isinstance(failed.cause, ApplicationError) else str(failed.cause)
            now, phase = workflow.now(), self.state.phase
            self.state.alerts.append(Alert(at=now, kind=AlertKind.DOCUMENT_FAILED, phase=phase, template=template))
            self._journal(AlertKind.DOCUMENT_FAILED.value, phase, phase, None,
                          template=template, event_seq=str(entry.seq), reason=cause)  # fmt: skip

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= self.state.settings.history_limit

    async def _continue_as_new(self) -> NoReturn:
        # Unwritten journal entries travel with the state: draining them first could wait
        # forever on a case that keeps receiving updates. Documents under way finish first.
        await workflow.wait_condition(lambda: not self._renders)
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(CaseInput(carried=self.state, journal_backlog=self._outbox))
