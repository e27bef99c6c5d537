"""What happened to a case, as typed events: each carries the outcome of the decision, so the
registry's projection and the documents only record and render, they never decide again.

An event is journaled as a `JournalEntry`: the case, its sequence number, when, who, the phase
before and after, and a snapshot of the case after it. The journal table stores the event's
`type` as its `kind` and its other fields as `detail`; rows written before events were typed
read back through `upcast`, unchanged in the database.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, TypeAdapter, model_validator

from workflows.case.model import (
    Actor,
    Adaptation,
    AskedBy,
    CadenceChange,
    CaseFacts,
    Derogation,
    CaseSnapshot,
    CaseState,
    ClosureReason,
    ContactKind,
    ContractType,
    EvaluationFindings,
    Evidence,
    Intensity,
    IntensityReason,
    Model,
    Objective,
    Party,
    Phase,
    Prescription,
    ProjectContent,
    RequestKind,
    ResponseOutcome,
    SignatureEvidence,
    Situation,
    Training,
)


class CaseOpened(Model):
    type: Literal["case_opened"] = "case_opened"
    case_id: str
    structure_id: str
    beneficiary_id: str | None = None
    birth_date: date
    situation: Situation | None = None
    employer_id: str | None = None
    referent_id: str | None = None
    asked_by: AskedBy | None = None


class ConsentGiven(Model):
    type: Literal["give_consent"] = "give_consent"
    given_on: date
    by_legal_representative: bool = False


class ConsentWithdrawn(Model):
    type: Literal["withdraw_consent"] = "withdraw_consent"
    withdrawn_on: date


class PrescriptionRecorded(Model):
    type: Literal["record_prescription"] = "record_prescription"
    prescription: Prescription
    situation: Situation | None = None
    derogation: Derogation | None = None
    objectives: list[Objective] = []


class ConventionSigned(Model):
    type: Literal["sign_convention"] = "sign_convention"
    party: Party
    signed_on: date
    evidence: SignatureEvidence | None = None
    """An electronic signature's proof (None: signed on paper)."""


class EvaluationSubmitted(Model):
    private: ClassVar[frozenset[str]] = frozenset({"findings"})
    type: Literal["submit_evaluation"] = "submit_evaluation"
    completed_on: date
    findings: EvaluationFindings | None = None


class ProjectAgreed(Model):
    type: Literal["submit_project"] = "submit_project"
    agreed_on: date
    content: ProjectContent | None = None
    objectives: list[Objective] = []
    """The whole support plan after the project."""


class Hired(Model):
    type: Literal["record_hiring"] = "record_hiring"
    employer_id: str
    contract_type: ContractType
    start_date: date
    weekly_hours: float | None = None
    amendment: int | None = None
    """The number of the amendment this hiring makes to the convention; None: same employer."""
    previous_job_ended_on: date | None = None
    """The end the hiring gave to the jobs held until then, if it replaced them."""
    alongside: bool = False
    """A job held beside the others: none of them ended."""


class AmendmentProposed(Model):
    """A change to the signed convention put in writing (a new cadence, a change of post): the
    parties sign it like the convention; a new cadence applies once every party has signed."""

    type: Literal["amendment_proposed"] = "amendment_proposed"
    amendment: int
    cadence: CadenceChange | None = None
    post_changed_on: date | None = None
    adaptation: Adaptation | None = None
    """A workplace adaptation the employer decided after the convention was signed."""
    parties: list[Party]


class AmendmentSigned(Model):
    type: Literal["sign_amendment"] = "sign_amendment"
    amendment: int
    party: Party
    signed_on: date
    in_force: bool
    """Every party has signed: the amendment applies from now on."""
    evidence: SignatureEvidence | None = None
    """An electronic signature's proof (None: signed on paper)."""


class JobLost(Model):
    type: Literal["record_job_loss"] = "record_job_loss"
    ended_on: date
    employer_id: str | None = None
    """The employer of the job that ended (None in rows written before several jobs were possible)."""


class PostChanged(Model):
    type: Literal["record_change_of_post"] = "record_change_of_post"
    effective_on: date


class ReferentAssigned(Model):
    type: Literal["assign_referent"] = "assign_referent"
    referent_id: str
    force_reason: str | None = None


class CadenceSet(Model):
    type: Literal["set_review_cadence"] = "set_review_cadence"
    job_search_review_every: timedelta | None = None
    in_job_review_every: timedelta | None = None
    level: Intensity | None = None


class ReviewHeld(Model):
    private: ClassVar[frozenset[str]] = frozenset({"notes"})
    type: Literal["complete_review"] = "complete_review"
    held_on: date
    objectives: list[Objective] = []
    """The whole support plan as the review left it."""
    notes: str | None = None


class AdaptationRecorded(Model):
    private: ClassVar[frozenset[str]] = frozenset({"opinion"})
    type: Literal["record_adaptation"] = "record_adaptation"
    adaptation: Adaptation
    """The adaptation after this stage."""
    opinion: str | None = None
    """The médecin du travail's opinion (opinion_given)."""


class EvidenceRecorded(Model):
    type: Literal["record_evidence"] = "record_evidence"
    evidence: Evidence


class EvidenceExpiring(Model):
    type: Literal["evidence_expiring"] = "evidence_expiring"
    kind: str
    valid_until: date


class PartnerLinked(Model):
    type: Literal["link_partner"] = "link_partner"
    partner_id: str


class ContactRecorded(Model):
    type: Literal["record_contact"] = "record_contact"
    on: date
    kind: ContactKind
    employer_id: str | None = None


class RepresentativeNamed(Model):
    type: Literal["name_representative"] = "name_representative"
    representative_id: str


class TrainingRecorded(Model):
    type: Literal["record_training"] = "record_training"
    training: Training


class EmployerRequestReceived(Model):
    type: Literal["submit_employer_request"] = "submit_employer_request"
    request_id: str
    employer_id: str
    kind: RequestKind
    deadline: datetime


class SupportRequested(Model):
    type: Literal["request_support"] = "request_support"
    request_id: str
    kind: RequestKind
    deadline: datetime


class RequestAnswered(Model):
    type: Literal["respond_to_request"] = "respond_to_request"
    request_id: str
    outcome: ResponseOutcome
    partner_id: str | None = None
    """The partner the request was referred to."""


class CaseClosed(Model):
    type: Literal["close"] = "close"
    reason: ClosureReason


class CaseReopened(Model):
    type: Literal["reopen"] = "reopen"


class IntensityChanged(Model):
    type: Literal["intensity_changed"] = "intensity_changed"
    level: Intensity | None = None
    previous: Intensity | None = None
    reason: IntensityReason


class PhaseReminder(Model):
    type: Literal["phase_reminder"] = "phase_reminder"
    due_at: datetime


class ReviewDue(Model):
    type: Literal["review_due"] = "review_due"
    due_at: datetime


class ReviewOverdue(Model):
    type: Literal["review_overdue"] = "review_overdue"
    due_at: datetime


class RequestOverdue(Model):
    type: Literal["request_overdue"] = "request_overdue"
    request_id: str


class DocumentFailed(Model):
    type: Literal["document_failed"] = "document_failed"
    template: str
    event_seq: int
    reason: str


class IdentityErased(Model):
    """Written by the registry itself (erasure on request, retention), outside the workflow."""

    type: Literal["identity_erased"] = "identity_erased"
    reason: str


class CaseFileViewed(Model):
    """Written by the registry itself: someone read the whole case file (health data: every view is logged)."""

    type: Literal["case_file_viewed"] = "case_file_viewed"


class RetentionWarning(Model):
    type: Literal["retention_warning"] = "retention_warning"
    anonymised_in_days: int


class NotificationFailed(Model):
    """Written by the registry itself: a message an event called for could not be delivered
    after every attempt (or has no address): someone must tell that person another way."""

    type: Literal["notification_failed"] = "notification_failed"
    notification_id: int
    recipient: str
    kind: str
    attempts: int
    reason: str


Event = Annotated[
    CaseOpened | ConsentGiven | ConsentWithdrawn | PrescriptionRecorded | ConventionSigned | EvaluationSubmitted
    | ProjectAgreed | Hired | AmendmentProposed | AmendmentSigned | JobLost | PostChanged | ReferentAssigned
    | CadenceSet | ReviewHeld | ContactRecorded | TrainingRecorded | RepresentativeNamed
    | AdaptationRecorded | EvidenceRecorded | EvidenceExpiring | PartnerLinked
    | EmployerRequestReceived | SupportRequested | RequestAnswered | CaseClosed | CaseReopened
    | IntensityChanged | PhaseReminder | ReviewDue | ReviewOverdue | RequestOverdue | DocumentFailed | IdentityErased
    | RetentionWarning | NotificationFailed | CaseFileViewed,
    Field(discriminator="type"),
]
EVENTS: TypeAdapter[Event] = TypeAdapter(Event)

ALERT_EVENTS = (PhaseReminder, ReviewDue, ReviewOverdue, RequestOverdue, DocumentFailed, EvidenceExpiring)


def upcast(kind: str, detail: dict[str, Any]) -> Event:
    """An event from a journal row's kind and detail, written by any version of the workflow.

    Before events were typed, the detail was the step's input as JSON plus a few extras; the
    field names were kept, so only two old spellings need a hand: an erased birth date kept as
    its year alone, and extras the typed events no longer carry."""
    fields = dict(detail)
    if kind == "case_opened" and len(str(fields.get("birth_date", ""))) == 4:
        fields["birth_date"] = f"{fields['birth_date']}-01-01"
    if kind == "document_failed":
        fields.pop("request_id", None)
    return EVENTS.validate_python({**fields, "type": kind})


PRIVATE = "private"
"""An event's class attribute naming its fields that may hold health information: the journal keeps
them apart, encrypted (`stored_detail` leaves them out, `private_detail` gives them)."""


def stored_detail(event: Event) -> dict[str, Any]:
    """What the journal's detail column keeps of an event in clear (its type is the row's kind)."""
    return event.model_dump(mode="json", exclude={"type", *getattr(event, PRIVATE, ())})


def private_detail(event: Event) -> dict[str, Any] | None:
    """The fields that may hold health information, for the journal's encrypted column; None when none."""
    private = getattr(event, PRIVATE, frozenset())
    fields = event.model_dump(mode="json", include=set(private), exclude_none=True)
    return fields or None


class JournalEntry(Model):
    """One line of the append-only journal; (case_id, seq) makes a retried write harmless.

    Sequence numbers above zero belong to the case's workflow, which owns that sequence; acts of
    the registry itself (an erasure, a retention warning) take numbers below zero, so that the
    two never compete for the same number."""

    case_id: str
    seq: int
    at: datetime
    phase_before: Phase
    phase_after: Phase
    actor: Actor | None = None
    event: Event
    snapshot: CaseSnapshot | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_untyped(cls, data: Any) -> Any:
        """Entries recorded before events were typed (carried in old histories) had kind + detail."""
        if isinstance(data, dict) and "detail" in data and "event" not in data:
            data = dict(data)
            data["event"] = upcast(data.pop("kind"), data.pop("detail") or {})
        return data

    @property
    def kind(self) -> str:
        return self.event.type


class JournalBatch(Model):
    entries: list[JournalEntry]


class DocumentRequest(Model):
    """Render `template` for the event `entry`; the activity adds the personal data from the registry."""

    template: str
    entry: JournalEntry
    case: CaseFacts

    @model_validator(mode="before")
    @classmethod
    def _from_a_whole_state(cls, data: Any) -> Any:
        """Renders scheduled by an older worker carried the whole state: they still decode."""
        if isinstance(data, dict) and "state" in data:
            request_id = (data["entry"].get("event") or {}).get("request_id")
            state = CaseState.model_validate(data["state"])
            entry = data["entry"] if data["entry"].get("snapshot") else {**data["entry"], "snapshot": CaseSnapshot.of(state)}
            data = {"template": data["template"], "entry": entry, "case": CaseFacts.of(state, request_id)}
        return data
