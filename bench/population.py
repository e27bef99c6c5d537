"""Cases written straight into the registry as the workflow would journal them, for the report's
tests and benchmark: thousands of case lives in seconds, through the real journal activity."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from collections.abc import Callable

from activities.registry.journal import Registry
from workflows.case import events as e
from workflows.case.events import JournalBatch, JournalEntry
from workflows.case.model import (
    Actor,
    Adaptation,
    AdaptationStage,
    ActorRole,
    AskedBy,
    CaseSnapshot,
    CdaphDecision,
    ClosureReason,
    ContactKind,
    ContractType,
    Derogation,
    EvaluationFindings,
    Funder,
    Intensity,
    IntensityReason,
    Party,
    Phase,
    Prescriber,
    Prescription,
    ProjectContent,
    ProjectStep,
    Proposer,
    ResponseOutcome,
    SpePrescription,
    Training,
    TrainingKind,
    TrainingStatus,
)

COORDINATOR = Actor(role=ActorRole.COORDINATOR, id="coord-bench")
REVIEWED = (Phase.JOB_SEARCH, Phase.IN_JOB_SUPPORT)


class Story:
    """One case's life as journal entries with their snapshots; each method is one event."""

    def __init__(self, case_id: str, structure_id: str, opened_at: datetime, birth_year: int, situation: str,
                 referent_id: str | None = None, employer_id: str | None = None, asked_by: AskedBy = AskedBy.PERSON) -> None:  # fmt: skip
        self.case_id, self.structure_id, self.situation = case_id, structure_id, situation
        self.referent_id, self.employer_id = referent_id, employer_id
        self.phase, self.route, self.intensity = Phase.CONSENT, None, None
        self.open_requests: set[str] = set()
        self.adaptations: dict[str, Adaptation] = {}
        self.requests = 0
        self.entries: list[JournalEntry] = []
        self._emit(opened_at, e.CaseOpened(case_id=case_id, structure_id=structure_id, birth_date=date(birth_year, 6, 15),
                                           situation=situation, employer_id=employer_id, referent_id=referent_id,
                                           asked_by=asked_by))  # fmt: skip

    def _emit(self, at: datetime, event: e.Event, to: Phase | None = None) -> None:
        before = self.phase
        if to is not None and to is not before:
            self.phase = to
        snapshot = CaseSnapshot(phase=self.phase, structure_id=self.structure_id, situation=self.situation, route=self.route,
                                referent_id=self.referent_id, employer_id=self.employer_id, next_review_due=None,
                                open_requests=len(self.open_requests), overdue=False, intensity=self.intensity)  # fmt: skip
        self.entries.append(JournalEntry(case_id=self.case_id, seq=len(self.entries) + 1, at=at, phase_before=before,
                                         phase_after=self.phase, actor=COORDINATOR, event=event, snapshot=snapshot))  # fmt: skip
        if self.phase is not before and self.phase is not Phase.CLOSED:  # as the workflow does on a change of phase
            self.set_intensity(at, Intensity.INTENSIVE if self.phase in REVIEWED else None, IntensityReason.PHASE_CHANGED)

    def set_intensity(self, at: datetime, level: Intensity | None, reason: IntensityReason) -> None:
        if level is self.intensity:
            return
        previous, self.intensity = self.intensity, level
        self._emit(at, e.IntensityChanged(level=level, previous=previous, reason=reason))

    def consent(self, at: datetime) -> None:
        self._emit(at, e.ConsentGiven(given_on=at.date()), Phase.PRESCRIPTION)

    def prescribe(self, at: datetime, prescriber: str, derogation: Derogation | None = None) -> None:
        if prescriber == "cdaph":
            self.route = "cdaph"
            prescription: Prescription = CdaphDecision(decision_reference="CDAPH-1", decision_date=at.date())
        else:
            self.route = "spe"
            prescription = SpePrescription(prescriber=Prescriber(prescriber), prescriber_reference="SPE-1", prescription_date=at.date())
        self._emit(at, e.PrescriptionRecorded(prescription=prescription, situation=self.situation, derogation=derogation), Phase.CONVENTION)

    def sign(self, at: datetime) -> None:
        self._emit(at, e.ConventionSigned(party=Party.BENEFICIARY, signed_on=at.date()))
        self._emit(at, e.ConventionSigned(party=Party.STRUCTURE, signed_on=at.date()), Phase.EVALUATION)

    def evaluate(self, at: datetime, findings: EvaluationFindings | None = None) -> None:
        self._emit(at, e.EvaluationSubmitted(completed_on=at.date(), findings=findings), Phase.PROJECT)

    def agree_project(self, at: datetime, steps: int = 0) -> None:
        """The project agreed, with `steps` dated steps (none: a project recorded without its content)."""
        to = Phase.IN_JOB_SUPPORT if self.employer_id else Phase.JOB_SEARCH
        content = ProjectContent(steps=[ProjectStep(what=f"étape {n + 1}", by=at.date() + timedelta(days=30 * (n + 1))) for n in range(steps)])
        self._emit(at, e.ProjectAgreed(agreed_on=at.date(), content=content if steps else None), to)

    def assign(self, at: datetime, referent_id: str) -> None:
        self.referent_id = referent_id
        self._emit(at, e.ReferentAssigned(referent_id=referent_id))

    def adapt(self, at: datetime, adaptation_id: str, stage: AdaptationStage, funder: Funder | None = None) -> None:
        """One stage of a workplace adaptation at the current employer (a new one when `adaptation_id` is new)."""
        assert self.employer_id is not None, "an adaptation is made at an employer's"
        known = self.adaptations.get(adaptation_id) or Adaptation(adaptation_id=adaptation_id, description="poste adapté",
                                                                   proposed_by=Proposer.REFERENT, employer_id=self.employer_id, stage=stage)  # fmt: skip
        self.adaptations[adaptation_id] = known.model_copy(update={"stage": stage, "dates": {**known.dates, stage: at.date()},
                                                                   "funder": funder or known.funder})  # fmt: skip
        self._emit(at, e.AdaptationRecorded(adaptation=self.adaptations[adaptation_id]))

    def train(self, at: datetime, title: str, status: TrainingStatus = TrainingStatus.PLANNED, funder: Funder | None = None) -> None:
        training = Training(kind=TrainingKind.TRAINING, title=title, status=status, funder=funder, on=at.date())
        self._emit(at, e.TrainingRecorded(training=training))

    def hire(self, at: datetime, employer_id: str, weekly_hours: float | None) -> None:
        self.employer_id = employer_id
        to = Phase.IN_JOB_SUPPORT if self.phase in (Phase.PROJECT, Phase.JOB_SEARCH, Phase.IN_JOB_SUPPORT) else None
        self._emit(at, e.Hired(employer_id=employer_id, contract_type=ContractType.CDI, start_date=at.date(), weekly_hours=weekly_hours), to)

    def lose_job(self, at: datetime) -> None:
        self.employer_id = None
        self._emit(at, e.JobLost(ended_on=at.date()), Phase.JOB_SEARCH)

    def contact(self, at: datetime, kind: str, employer_id: str | None = None) -> None:
        self._emit(at, e.ContactRecorded(on=at.date(), kind=ContactKind(kind), employer_id=employer_id))

    def review(self, at: datetime) -> None:
        self._emit(at, e.ReviewDue(due_at=at))
        self._emit(at, e.ReviewHeld(held_on=at.date()))

    def late_review(self, due: datetime, overdue: datetime, held: datetime) -> None:
        """A review held after it was escalated as overdue."""
        self._emit(due, e.ReviewDue(due_at=due))
        self._emit(overdue, e.ReviewOverdue(due_at=due))
        self._emit(held, e.ReviewHeld(held_on=held.date()))

    def employer_request(self, at: datetime, kind: str, deadline: timedelta = timedelta(days=5)) -> str:
        return self._request(at, lambda request_id: e.EmployerRequestReceived(
            request_id=request_id, employer_id=self.employer_id, kind=kind, deadline=at + deadline))  # fmt: skip

    def person_request(self, at: datetime, kind: str, deadline: timedelta = timedelta(days=5)) -> str:
        return self._request(at, lambda request_id: e.SupportRequested(request_id=request_id, kind=kind, deadline=at + deadline))

    def _request(self, at: datetime, event: Callable[[str], e.EmployerRequestReceived | e.SupportRequested]) -> str:
        self.requests += 1
        request_id = f"req-{self.requests}"
        self.open_requests.add(request_id)
        received = event(request_id)
        self._emit(at, received)
        if self.intensity is Intensity.DORMANT:
            from_employer = isinstance(received, e.EmployerRequestReceived)
            self.set_intensity(at, Intensity.INTENSIVE, IntensityReason.EMPLOYER_REQUEST if from_employer else IntensityReason.PERSONS_REQUEST)
        return request_id

    def respond(self, at: datetime, request_id: str) -> None:
        self.open_requests.discard(request_id)
        self._emit(at, e.RequestAnswered(request_id=request_id, outcome=ResponseOutcome.MEETING_SCHEDULED))

    def close(self, at: datetime, reason: str) -> None:
        self.open_requests.clear()
        self._emit(at, e.CaseClosed(reason=ClosureReason(reason)), Phase.CLOSED)

    def reopen(self, at: datetime) -> None:
        self._emit(at, e.CaseReopened(), Phase.CONSENT)


def write(registry: Registry, stories: list[Story], batch: int = 2000) -> int:
    """Journal every story's entries through the real activity; returns the number of events."""
    entries = [entry for story in stories for entry in story.entries]
    for start in range(0, len(entries), batch):
        registry.append_to_journal(JournalBatch(entries=entries[start : start + batch]))
    return len(entries)


def day(on: date, hour: int = 10) -> datetime:
    return datetime.combine(on, time(hour), tzinfo=timezone.utc)
