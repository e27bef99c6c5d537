"""The case's model: the words of the dispositif, each step's input, and the state of a case.

Everything here crosses a Temporal boundary, so it is a pydantic model (extra fields forbidden,
constrained values). Only what decisions need is carried: opaque ids, situation, dates, phase.
Names, contact details and health notes live in the registry, never in a workflow payload.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

_OPAQUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _opaque(value: str) -> str:
    if not _OPAQUE.match(value):
        raise ValueError(
            "an id is 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit (never a name)"
        )
    return value


OpaqueId = Annotated[str, AfterValidator(_opaque)]
"""An identifier that says nothing about the person (never a name, never a social-security number)."""

Reference = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f<>]+$")]
"""A prescriber's or a CDAPH decision's reference number, as printed on the document."""

PositiveDuration = Annotated[timedelta, Field(gt=timedelta(0))]

Reason = Annotated[str, Field(min_length=3, max_length=200, pattern=r"^[^\x00-\x1f<>{}]+$")]
"""A short reason written by a coordinator (no markup): it is recorded in the audit journal."""

Label = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f<>{}]+$")]
"""A short line a person types (a tool, a sector, a step of the project): no markup."""

HealthText = Annotated[str, Field(min_length=1, max_length=4000, pattern=r"^[^\x00-\x09\x0b-\x1f\x7f]+$")]
"""Free text that may hold health information (special-category data): it travels only in encrypted
payloads, is encrypted at rest in the registry, never logged, never in the funders' report."""

RomeCode = Annotated[str, Field(pattern=r"^[A-N][0-9]{4}$")]
"""A job in France Travail's ROME (e.g. M1607); titles come from the platform's list (rome.py)."""


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, use_attribute_docstrings=True)


class ActorRole(StrEnum):
    """Who acts, as the audit journal records it, and as each step's permissions name it."""

    COORDINATOR = "coordinator"
    REFERENT = "referent"
    """The case's own référent: a référent acts only on the cases they follow."""
    EMPLOYER = "employer"
    """The case's own employer (the actor's id is the employer's)."""
    BENEFICIARY = "beneficiary"
    """The person (the actor's id is their registry id)."""
    LEGAL_REPRESENTATIVE = "legal_representative"
    """Acts for the person (L5213-2-1: consent and signature by the person or their representative)."""
    SYSTEM = "system"
    """The case itself: timers and failed documents."""


PERSON_ROLES = frozenset({ActorRole.BENEFICIARY, ActorRole.LEGAL_REPRESENTATIVE})
STAFF_ROLES = frozenset({ActorRole.COORDINATOR, ActorRole.REFERENT})


class Actor(Model):
    role: ActorRole
    id: OpaqueId

    @classmethod
    def parse(cls, text: str) -> Actor:
        """`role:id`, e.g. `referent:ref-12`."""
        role, _, actor_id = text.partition(":")
        return cls(role=role, id=actor_id)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.role}:{self.id}"


class StepInput(Model):
    """What every step carries besides its own fields: who is acting."""

    actor: Actor | None = None


class Situation(StrEnum):
    """The three situations of article D5213-89 that open the dispositif."""

    RQTH = "rqth"
    """Holder of an RQTH with a project of insertion in ordinary employment."""
    ESAT = "esat"
    """Worker in an ESAT with a project of insertion in ordinary employment."""
    EMPLOYEE = "employee"
    """Employee or public agent in ordinary employment meeting difficulties in holding the job."""


class Phase(StrEnum):
    CONSENT = "consent"
    PRESCRIPTION = "prescription"
    CONVENTION = "convention"
    EVALUATION = "evaluation"
    PROJECT = "project"
    JOB_SEARCH = "job_search"
    IN_JOB_SUPPORT = "in_job_support"
    CLOSED = "closed"


class Step(StrEnum):
    """What can happen to a case; each value is also the name of the workflow update."""

    GIVE_CONSENT = "give_consent"
    WITHDRAW_CONSENT = "withdraw_consent"
    RECORD_PRESCRIPTION = "record_prescription"
    SIGN_CONVENTION = "sign_convention"
    SIGN_AMENDMENT = "sign_amendment"
    SUBMIT_EVALUATION = "submit_evaluation"
    SUBMIT_PROJECT = "submit_project"
    RECORD_HIRING = "record_hiring"
    RECORD_JOB_LOSS = "record_job_loss"
    RECORD_CHANGE_OF_POST = "record_change_of_post"
    ASSIGN_REFERENT = "assign_referent"
    SET_REVIEW_CADENCE = "set_review_cadence"
    COMPLETE_REVIEW = "complete_review"
    SET_INTENSITY = "set_intensity"
    RECORD_CONTACT = "record_contact"
    SUBMIT_EMPLOYER_REQUEST = "submit_employer_request"
    REQUEST_SUPPORT = "request_support"
    RESPOND_TO_REQUEST = "respond_to_request"
    RECORD_TRAINING = "record_training"
    RECORD_ADAPTATION = "record_adaptation"
    RECORD_EVIDENCE = "record_evidence"
    LINK_PARTNER = "link_partner"
    NAME_REPRESENTATIVE = "name_representative"
    CLOSE = "close"
    REOPEN = "reopen"


class Prescriber(StrEnum):
    """The service public de l'emploi, which may prescribe without the CDAPH since 2020."""

    FRANCE_TRAVAIL = "france_travail"
    CAP_EMPLOI = "cap_emploi"
    MISSION_LOCALE = "mission_locale"


class CdaphDecision(Model):
    route: Literal["cdaph"] = "cdaph"
    decision_reference: Reference
    decision_date: date

    @property
    def dated(self) -> date:
        return self.decision_date


class SpePrescription(Model):
    route: Literal["spe"] = "spe"
    prescriber: Prescriber
    prescriber_reference: Reference
    prescription_date: date

    @property
    def dated(self) -> date:
        return self.prescription_date


Prescription = Annotated[CdaphDecision | SpePrescription, Field(discriminator="route")]


class Party(StrEnum):
    """The parties to the convention individuelle d'accompagnement."""

    BENEFICIARY = "beneficiary"
    STRUCTURE = "structure"
    EMPLOYER = "employer"


class ContractType(StrEnum):
    CDI = "cdi"
    CDD = "cdd"
    INTERIM = "interim"
    APPRENTICESHIP = "apprenticeship"
    PUBLIC_SERVICE = "public_service"
    OTHER = "other"


class RequestKind(StrEnum):
    MEDIATION = "mediation"
    WORKSTATION_ADAPTATION = "workstation_adaptation"
    DIFFICULTY_ALERT = "difficulty_alert"
    TRAINING_NEED = "training_need"
    OTHER = "other"


class RequestOrigin(StrEnum):
    EMPLOYER = "employer"
    BENEFICIARY = "beneficiary"


class AskedBy(StrEnum):
    """Who asked for the support (L5213-2-1): the worker, or for a worker in a job the employer;
    a prescriber's initiative or another way in are recorded as such."""

    PERSON = "person"
    EMPLOYER = "employer"
    PRESCRIBER = "prescriber"
    OTHER = "other"


class Intensity(StrEnum):
    """How closely a person is followed in job search and in-job support: intensive first, then
    lighter, and dormant (no scheduled review) until a request or a decision reactivates it."""

    INTENSIVE = "intensive"
    LIGHT = "light"
    DORMANT = "dormant"


class IntensityReason(StrEnum):
    PHASE_CHANGED = "phase_changed"
    """Set by the case itself: support starts intensive in job search and in a job; none elsewhere."""
    STABLE_SITUATION = "stable_situation"
    NEW_DIFFICULTY = "new_difficulty"
    NO_NEED_FOR_NOW = "no_need_for_now"
    EMPLOYER_REQUEST = "employer_request"
    PERSONS_REQUEST = "persons_request"
    COORDINATOR_DECISION = "coordinator_decision"


class TrainingKind(StrEnum):
    TRAINING = "training"
    BILAN_DE_COMPETENCES = "bilan_de_competences"


class TrainingStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    ABANDONED = "abandoned"


class Funder(StrEnum):
    """Who pays for a training: Agefiph for private employers, FIPHFP for public ones, or others."""

    AGEFIPH = "agefiph"
    FIPHFP = "fiphfp"
    EMPLOYER = "employer"
    OPCO = "opco"
    FRANCE_TRAVAIL = "france_travail"
    REGION = "region"
    CPF = "cpf"
    """The person's own compte personnel de formation."""


class ContactKind(StrEnum):
    """A contact the référent records; prospection is an employer contact made during job search."""

    INTERVIEW = "interview"
    PHONE = "phone"
    WORKPLACE = "workplace"
    EMPLOYER = "employer"
    OCCUPATIONAL_PHYSICIAN = "occupational_physician"
    PROSPECTION = "prospection"

    @property
    def with_employer(self) -> bool:
        return self in (ContactKind.EMPLOYER, ContactKind.PROSPECTION)


class ResponseOutcome(StrEnum):
    MEETING_SCHEDULED = "meeting_scheduled"
    SOLUTION_PROPOSED = "solution_proposed"
    REFERRED_TO_PARTNER = "referred_to_partner"
    NO_ACTION_NEEDED = "no_action_needed"


class ClosureReason(StrEnum):
    CONSENT_WITHDRAWN = "consent_withdrawn"
    INELIGIBLE = "ineligible"
    GOALS_REACHED = "goals_reached"
    PERSONS_CHOICE = "persons_choice"
    MOVED_AWAY = "moved_away"
    ERASURE_REQUESTED = "erasure_requested"
    """Closed by `ea erase` before the person's identity is erased."""
    OTHER = "other"


class AlertKind(StrEnum):
    """Timer outcomes: reminders nudge, escalations say a deadline was missed."""

    PHASE_REMINDER = "phase_reminder"
    REVIEW_DUE = "review_due"
    REVIEW_OVERDUE = "review_overdue"
    REQUEST_OVERDUE = "request_overdue"
    DOCUMENT_FAILED = "document_failed"
    EVIDENCE_EXPIRING = "evidence_expiring"


class RequestStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CANCELLED = "cancelled"


class CaseSettings(Model):
    """Every duration of a case; the platform's defaults, adjustable per case (and in tests)."""

    reminder_after: PositiveDuration = timedelta(days=14)
    job_search_review_every: PositiveDuration = timedelta(days=30)
    """The light cadence in job search (and every case's cadence before intensities existed)."""
    in_job_review_every: PositiveDuration = timedelta(days=90)
    """The light cadence in in-job support."""
    intensive_job_search_review_every: PositiveDuration = timedelta(days=14)
    intensive_in_job_review_every: PositiveDuration = timedelta(days=30)
    review_grace: PositiveDuration = timedelta(days=7)
    request_response_within: PositiveDuration = timedelta(days=5)
    evidence_warning_before: PositiveDuration = timedelta(days=90)
    """How long before an RQTH or a decision expires the référent is warned (renewal takes months)."""
    history_limit: Annotated[int, Field(ge=100, le=50_000)] = 10_000
    """Continue-as-new once the run's history holds this many events (or when the server asks)."""


# --- Inputs: one model per step ---------------------------------------------------------------


class OpenCase(StepInput):
    case_id: OpaqueId
    structure_id: OpaqueId
    beneficiary_id: OpaqueId | None = None
    """The person in the registry; identity never travels with the case."""
    birth_date: date
    situation: Situation | None = None
    employer_id: OpaqueId | None = None
    referent_id: OpaqueId | None = None
    asked_by: AskedBy = AskedBy.PERSON
    """Who asked for the support: person, employer (for a worker in a job), prescriber or other."""
    settings: CaseSettings = CaseSettings()

    @model_validator(mode="after")
    def _employee_has_employer(self) -> OpenCase:
        if self.situation is Situation.EMPLOYEE and self.employer_id is None:
            raise ValueError("a case in situation 'employee' needs the employer_id of the current employer")
        if self.asked_by is AskedBy.EMPLOYER and self.employer_id is None:
            raise ValueError("an employer asks for the support of a worker in a job: give the employer_id")
        return self


class GiveConsent(StepInput):
    given_on: date
    """The day the person, or their legal representative, consented (YYYY-MM-DD)."""
    by_legal_representative: bool = Field(default=False, deprecated="the actor's role says who consented")
    """Kept so that updates sent by older versions still decode."""


class WithdrawConsent(StepInput):
    withdrawn_on: date


class ObjectiveStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    REACHED = "reached"
    ABANDONED = "abandoned"


class Objective(Model):
    """An objective of the support plan: what the convention states, reviewed at each review."""

    title: Label
    status: ObjectiveStatus = ObjectiveStatus.PLANNED
    due_on: date | None = None
    reviewed_on: date | None = None
    """The last review that looked at it."""


class RecordPrescription(StepInput):
    prescription: Prescription
    situation: Situation | None = None
    """The situation stated by the prescription; required unless the case already has one."""
    derogation: Reason | None = None
    """Why the person is admitted outside the standard criteria (a coordinator's decision)."""
    objectives: list[Objective] = []
    """The objectives the convention states (drawn up now, signed next)."""


class Derogation(Model):
    """An admission outside the standard criteria: « certaines situations particulières ouvrent
    droit à des dérogations ». Journaled with who authorised it and which rules it waived."""

    reason: str
    authorised_by: str
    waived: list[str]


class SignatureMethod(StrEnum):
    LINK_SESSION = "link_session"
    """Signed in the party's own space, opened by a single-use link sent to their address."""


class SignatureEvidence(Model):
    """What a simple electronic signature proves: which text was signed (its hash and the template's
    version, shown to the signer before they signed) and how the signer was identified. The signer
    is the step's actor, the moment the journal entry's."""

    document_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    document_version: Annotated[str, Field(pattern=r"^[0-9a-f]{6,64}$")]
    method: SignatureMethod = SignatureMethod.LINK_SESSION


class SignConvention(StepInput):
    party: Party
    signed_on: date
    evidence: SignatureEvidence | None = None
    """Set by the party's space for an electronic signature; None for a signature on paper."""


class SignAmendment(StepInput):
    party: Party
    """Who signs: beneficiary, structure or employer; each party signs for itself."""
    signed_on: date
    """The day this party signed (YYYY-MM-DD)."""
    number: Annotated[int, Field(ge=1)] | None = None
    """Which amendment (avenant n°); the oldest awaiting signatures when omitted."""
    evidence: SignatureEvidence | None = None
    """Set by the party's space for an electronic signature; None for a signature on paper."""


class EvaluationFindings(Model):
    """What the evaluation found, in the words the person agreed to; every text may hold health information."""

    capacities: HealthText | None = None
    needs: HealthText | None = None
    constraints: HealthText | None = None
    """Constraints related to the disability, as the person chooses to describe them."""
    employer_needs: HealthText | None = None
    """The employer's needs, when there is one."""
    tools: list[Label] = []
    """Tools used (interviews, work situations, tests...)."""


class SubmitEvaluation(StepInput):
    completed_on: date
    """The day the evaluation was completed (YYYY-MM-DD)."""
    findings: EvaluationFindings | None = None
    """What was found; the author is the actor, the date `completed_on`."""


class WorkConditions(Model):
    weekly_hours: Annotated[float, Field(gt=0, le=60)] | None = None
    place: Label | None = None
    """Where the person can work (a town, an area, remote work)."""
    mobility: Label | None = None
    """How the person travels (licence, public transport, distance)."""


class ProjectStep(Model):
    """An agreed step of the project and its date."""

    what: Label
    by: date
    done_on: date | None = None


class ProjectContent(Model):
    target_jobs: list[RomeCode] = []
    sectors: list[Label] = []
    conditions: WorkConditions = WorkConditions()
    steps: list[ProjectStep] = []


class SubmitProject(StepInput):
    agreed_on: date
    """The day the person agreed the project (YYYY-MM-DD)."""
    content: ProjectContent | None = None
    """Target jobs, sectors, conditions and agreed steps."""
    objectives: list[Objective] = []
    """Objectives added to the support plan with the project."""


class RecordHiring(StepInput):
    employer_id: OpaqueId
    contract_type: ContractType
    start_date: date
    weekly_hours: Annotated[float, Field(gt=0, le=60)] | None = None
    alongside: bool = False
    """The person keeps the job(s) they hold: a second part-time job, or ordinary work beside the
    ESAT (with the right to return to it). Otherwise the new job replaces the current ones."""


class RecordJobLoss(StepInput):
    ended_on: date
    """The last day of the job (YYYY-MM-DD)."""
    employer_id: OpaqueId | None = None
    """Which job ended: required when the person holds several."""


class RecordChangeOfPost(StepInput):
    effective_on: date
    """The first day in the new post (YYYY-MM-DD)."""


class AssignReferent(StepInput):
    referent_id: OpaqueId
    force_reason: Reason | None = None
    """Assign beyond the référent's capacity; the reason goes to the audit journal."""


class SetReviewCadence(StepInput):
    job_search_review_every: PositiveDuration | None = None
    in_job_review_every: PositiveDuration | None = None
    level: Literal[Intensity.INTENSIVE, Intensity.LIGHT] | None = None
    """Which intensity's cadence to set; the case's current one when omitted."""

    @model_validator(mode="after")
    def _says_something(self) -> SetReviewCadence:
        if self.job_search_review_every is None and self.in_job_review_every is None:
            raise ValueError("give job_search_review_every, in_job_review_every or both")
        return self


class ObjectiveReview(Model):
    """An objective as a review finds it: its new status (a title not in the plan adds it)."""

    title: Label
    status: ObjectiveStatus
    due_on: date | None = None


class CompleteReview(StepInput):
    held_on: date
    """The day the review was held (YYYY-MM-DD)."""
    objectives: list[ObjectiveReview] = []
    """The support plan's objectives as this review found them."""
    notes: HealthText | None = None
    """The référent's notes (may hold health information)."""


class SetIntensity(StepInput):
    level: Intensity
    reason: IntensityReason

    @model_validator(mode="after")
    def _not_the_cases_own(self) -> SetIntensity:
        if self.reason is IntensityReason.PHASE_CHANGED:
            raise ValueError("phase_changed is set by the case itself; give the reason for this change")
        return self


class NameRepresentative(StepInput):
    representative_id: OpaqueId
    """The id the legal representative acts under, recorded first in the registry (`ea representative`)."""


class RecordTraining(StepInput):
    kind: TrainingKind
    """A training, or a bilan de compétences."""
    title: Reference
    """What it is, as the training body names it (e.g. "CACES R489 cariste")."""
    status: TrainingStatus = TrainingStatus.PLANNED
    """planned, done or abandoned; a later record of the same title replaces the earlier one."""
    funder: Funder | None = None
    """Who pays for it."""
    on: date
    """When it starts (planned) or ended (done, abandoned) (YYYY-MM-DD)."""


class AdaptationStage(StrEnum):
    """The life of a workplace adaptation: the référent proposes, the employer decides."""

    PROPOSED = "proposed"
    OPINION_GIVEN = "opinion_given"
    """The médecin du travail gave an opinion."""
    DECIDED = "decided"
    """The employer decided to make it."""
    DECLINED = "declined"
    """The employer decided not to."""
    FUNDED = "funded"
    IN_PLACE = "in_place"
    REVIEWED = "reviewed"


class Proposer(StrEnum):
    REFERENT = "referent"
    EMPLOYER = "employer"
    PERSON = "person"
    OCCUPATIONAL_PHYSICIAN = "occupational_physician"


class RecordAdaptation(StepInput):
    """One stage of a workplace adaptation: a new one is proposed, a known one moves on."""

    stage: AdaptationStage
    on: date
    """When it happened (YYYY-MM-DD)."""
    adaptation_id: OpaqueId | None = None
    """Which adaptation (`adapt-1`...); none for a new proposal."""
    description: Label | None = None
    """What is adapted (hours, a tool, a workstation): required to propose."""
    proposed_by: Proposer | None = None
    """Who proposed it (the référent when omitted)."""
    opinion: HealthText | None = None
    """The médecin du travail's opinion: required with opinion_given."""
    funder: Funder | None = None
    """Who pays: required with funded (Agefiph for private employers, FIPHFP for public ones, or the employer)."""


class EvidenceKind(StrEnum):
    RQTH = "rqth"
    CDAPH_DECISION = "cdaph_decision"
    ESAT_ADMISSION = "esat_admission"


class RecordEvidence(StepInput):
    """A piece of evidence with its validity; the référent is warned before it expires."""

    kind: EvidenceKind
    valid_from: date
    """First day of validity (YYYY-MM-DD)."""
    valid_until: date | None = None
    """Last day of validity; none for an RQTH granted for life."""
    reference: Reference | None = None
    file_id: OpaqueId | None = None
    """An uploaded scan, stored encrypted in the registry (`ea evidence --file`)."""

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> RecordEvidence:
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("valid_until comes before valid_from")
        if self.valid_until is None and self.kind is not EvidenceKind.RQTH:
            raise ValueError(f"a {self.kind} has an end of validity (valid_until); only an RQTH may be granted for life")
        return self


class PartnerKind(StrEnum):
    SPE_COUNSELLOR = "spe_counsellor"
    ESAT = "esat"
    MDPH = "mdph"
    TRAINING_BODY = "training_body"
    OCCUPATIONAL_HEALTH = "occupational_health"
    """The médecin du travail's service (service de prévention et de santé au travail)."""


class LinkPartner(StepInput):
    partner_id: OpaqueId
    """A partner of the directory (`ea directory partner`)."""


class RecordContact(StepInput):
    on: date
    kind: ContactKind
    employer_id: OpaqueId | None = None
    """The employer met: required for a contact with an employer or a prospection."""

    @model_validator(mode="after")
    def _employer_contacts_name_the_employer(self) -> RecordContact:
        if self.kind.with_employer and self.employer_id is None:
            raise ValueError(f"a contact of kind {self.kind} names the employer (employer_id)")
        return self


class SubmitEmployerRequest(StepInput):
    employer_id: OpaqueId
    kind: RequestKind


class RequestSupport(StepInput):
    """The person asks for support: answered like an employer's request, and reactivates a dormant case."""

    kind: RequestKind


class RespondToRequest(StepInput):
    request_id: OpaqueId
    outcome: ResponseOutcome
    partner_id: OpaqueId | None = None
    """The partner the request is referred to: required with referred_to_partner."""


class CloseCase(StepInput):
    reason: ClosureReason

    @model_validator(mode="after")
    def _withdrawal_is_its_own_step(self) -> CloseCase:
        if self.reason is ClosureReason.CONSENT_WITHDRAWN:
            raise ValueError("a withdrawal of consent is recorded with withdraw_consent, which keeps its date")
        return self


# --- State: everything a run knows, carried whole through continue-as-new ---------------------


class Transition(Model):
    at: datetime
    step: Step
    from_phase: Phase
    to_phase: Phase


class Alert(Model):
    at: datetime
    kind: AlertKind
    phase: Phase
    request_id: str | None = None
    template: str | None = None
    """For a document that could not be rendered: which one."""
    reason: str | None = None
    """For a document that could not be rendered: why, naming what to add (ids, never a name)."""


class Employment(Model):
    employer_id: OpaqueId
    contract_type: ContractType | None = None
    start_date: date | None = None
    """None for the job an employee held when the case opened, when not recorded."""
    weekly_hours: float | None = None
    ended_on: date | None = None


class CadenceChange(Model):
    """New follow-up cadences for one level of intensity, as an amendment proposes them."""

    job_search_review_every: timedelta | None = None
    in_job_review_every: timedelta | None = None
    level: Intensity


class Amendment(Model):
    """A change to the signed convention: an employer joins it (a hiring), or the follow-up cadence
    changes. It is in force once every party concerned has signed it, like the convention."""

    at: datetime
    employer_id: OpaqueId | None = None
    """The employer party to it: the one who joins (a hiring), or the current one."""
    number: int = 0
    """Avenant n°; 0 in states written before amendments were numbered here."""
    cadence: CadenceChange | None = None
    post_changed_on: date | None = None
    """A change of post: the new conditions of the job, agreed from that day."""
    parties: list[Party] = []
    """Who must sign; empty for amendments made before they were signed in the case."""
    signatures: dict[Party, date] = {}
    signed_by: dict[Party, Actor] = {}
    in_force_on: date | None = None

    @property
    def unsigned(self) -> list[Party]:
        return [party for party in self.parties if party not in self.signatures]


class SupportRequest(Model):
    """A request from the employer or from the person; the référent answers it before its deadline."""

    request_id: str
    employer_id: OpaqueId | None = None
    origin: RequestOrigin = RequestOrigin.EMPLOYER
    kind: RequestKind
    received_at: datetime
    deadline: datetime
    status: RequestStatus = RequestStatus.OPEN
    escalated: bool = False
    answered_at: datetime | None = None
    outcome: ResponseOutcome | None = None


class ReviewSchedule(Model):
    next_due: datetime | None = None
    announced: bool = False
    overdue: bool = False
    held: int = 0
    last_held_on: date | None = None


class Training(Model):
    kind: TrainingKind
    title: str
    status: TrainingStatus
    funder: Funder | None
    on: date


class Adaptation(Model):
    """A workplace adaptation's record: its stages and their dates; the médecin's opinion stays in the registry."""

    adaptation_id: str
    description: str
    proposed_by: Proposer
    employer_id: str
    stage: AdaptationStage
    dates: dict[AdaptationStage, date] = {}
    funder: Funder | None = None
    amendment: int | None = None
    """The amendment it made to the signed convention, when decided after signature."""


class Evidence(Model):
    kind: EvidenceKind
    valid_from: date
    valid_until: date | None = None
    reference: str | None = None
    file_id: str | None = None
    warned: bool = False
    """The référent was warned it expires soon."""

    def expires_at(self) -> datetime | None:
        if self.valid_until is None:
            return None
        return datetime.combine(self.valid_until + timedelta(days=1), time(), tzinfo=timezone.utc)


class Closure(Model):
    at: datetime
    reason: ClosureReason


class CaseState(Model):
    case_id: OpaqueId
    structure_id: OpaqueId
    beneficiary_id: OpaqueId | None = None
    birth_date: date
    situation: Situation | None
    referent_id: OpaqueId | None
    employer_id: OpaqueId | None
    """The employer currently party to the case, if any."""
    asked_by: AskedBy | None = None
    """Who asked for the support (None: a case opened before it was recorded)."""
    settings: CaseSettings
    opened_at: datetime
    phase: Phase = Phase.CONSENT
    phase_since: datetime
    reminders_sent: int = 0
    """Reminders sent since the current phase began."""
    consent_given_on: date | None = None
    consent_by: Actor | None = None
    """Who gave consent: the person, or their legal representative (L5213-2-1)."""
    representative_ids: list[str] = []
    """The person's legal representatives: the only ones who may act for them on this case."""
    prescription: Prescription | None = None
    derogation: Derogation | None = None
    signatures: dict[Party, date] = {}
    signed_by: dict[Party, Actor] = {}
    """Who signed for each party: documents name the person's representative when they signed."""
    amendments: list[Amendment] = []
    evaluated_on: date | None = None
    project_agreed_on: date | None = None
    employments: list[Employment] = []
    review: ReviewSchedule = ReviewSchedule()
    intensity: Intensity | None = None
    """In job search and in-job support; None elsewhere (and in cases opened before intensities)."""
    contacts: int = 0
    last_contact_on: date | None = None
    trainings: list[Training] = []
    objectives: list[Objective] = []
    """The support plan: stated in the convention, added to with the project, reviewed at each review."""
    adaptations: list[Adaptation] = []
    evidence: list[Evidence] = []
    partner_ids: list[str] = []
    """Partners of the directory linked to the case (the SPE counsellor, the ESAT, the MDPH...)."""
    requests: list[SupportRequest] = []
    transitions: list[Transition] = []
    alerts: list[Alert] = []
    closure: Closure | None = None
    runs: int = 1
    """Runs of this case's workflow: continue-as-new and reopening each start one."""
    seq: int = 0
    """The per-case event sequence: with the case id, the journal's idempotency key."""
    recent_update_ids: list[str] = []
    """The ids of the last steps taken, carried across continue-as-new: a step sent again with the
    same id is answered, not taken twice."""
    request_of_update: dict[str, str] = {}
    """For the remembered steps that made a request: which one, so that a retry gets its own answer."""

    @model_validator(mode="before")
    @classmethod
    def _without_retired_fields(cls, data: Any) -> Any:
        """States carried by older runs (continue-as-new, reopening) still decode."""
        if isinstance(data, dict) and "first_employer_contact_on" in data:
            data = {name: value for name, value in data.items() if name != "first_employer_contact_on"}
        return data

    @property
    def employed(self) -> bool:
        """Employed means having a current employer party (known at opening for an employee)."""
        return bool(self.employers)

    @property
    def employers(self) -> list[str]:
        """Every current employer, each a party to the case; the last one hired is `employer_id`.
        An employee's employer known at opening counts even before any hiring was recorded."""
        current = [job.employer_id for job in self.current_jobs]
        if self.employer_id is not None and self.employer_id not in current:
            current.append(self.employer_id)
        return current

    @property
    def open_requests(self) -> int:
        return sum(1 for request in self.requests if request.status is RequestStatus.OPEN)

    @property
    def overdue(self) -> bool:
        """A review or an employer request is past its deadline."""
        return self.review.overdue or any(r.escalated and r.status is RequestStatus.OPEN for r in self.requests)

    @property
    def convention_version(self) -> int:
        """0 until the convention is signed; then 1, plus one for each amendment in force."""
        if self.phase in (Phase.CONSENT, Phase.PRESCRIPTION, Phase.CONVENTION):
            return 0
        return 1 + sum(1 for amendment in self.amendments if not amendment.unsigned)

    def amendment(self, number: int | None) -> Amendment | None:
        """Amendment n° `number`, or the oldest still awaiting a signature."""
        if number is None:
            return next((a for a in self.amendments if a.unsigned), None)
        return next((a for a in self.amendments if a.number == number), None)

    @property
    def current_jobs(self) -> list[Employment]:
        return [job for job in self.employments if job.ended_on is None]

    def request(self, request_id: str) -> SupportRequest | None:
        return next((r for r in self.requests if r.request_id == request_id), None)

    def adaptation(self, adaptation_id: str | None) -> Adaptation | None:
        return next((a for a in self.adaptations if a.adaptation_id == adaptation_id), None)


class RequestAcknowledgement(Model):
    """What an employer gets back at once: the request's id and the date a response is due."""

    request_id: str
    deadline: datetime

    @classmethod
    def of(cls, request: SupportRequest) -> RequestAcknowledgement:
        return cls(request_id=request.request_id, deadline=request.deadline)


class CaseFacts(Model):
    """What a document prints of its case, copied at its event: not the whole state (no history of
    transitions, alerts, jobs or closed requests), so the render activity's input stays small."""

    case_id: OpaqueId
    structure_id: OpaqueId
    beneficiary_id: OpaqueId | None
    situation: Situation | None
    prescription: Prescription | None
    consent_given_on: date | None
    consent_by: Actor | None
    signatures: dict[Party, date]
    signed_by: dict[Party, Actor]
    settings: CaseSettings
    review: ReviewSchedule
    closure: Closure | None
    requests: list[SupportRequest]
    """The open requests, and the one the event is about."""
    objectives: list[Objective] = []
    adaptations: list[Adaptation] = []

    @classmethod
    def of(cls, state: CaseState, request_id: str | None = None) -> CaseFacts:
        fields = {name: getattr(state, name) for name in cls.model_fields if name != "requests"}
        requests = [r for r in state.requests if r.status is RequestStatus.OPEN or r.request_id == request_id]
        return cls.model_validate({**fields, "requests": requests}).model_copy(deep=True)

    def request(self, request_id: str) -> SupportRequest | None:
        return next((r for r in self.requests if r.request_id == request_id), None)


class StepAcknowledgement(Model):
    """What a step answers: where the case stands now, in a few fields. The history keeps every
    answer, so it stays small; the whole case is a query away (`ea status`)."""

    case_id: str
    seq: int
    """The case's event sequence after the step."""
    phase: Phase
    intensity: Intensity | None
    open_requests: int
    next_review_due: datetime | None
    overdue: bool
    closure_reason: ClosureReason | None

    @classmethod
    def of(cls, state: CaseState) -> StepAcknowledgement:
        return cls(case_id=state.case_id, seq=state.seq, phase=state.phase, intensity=state.intensity,
                   open_requests=state.open_requests, next_review_due=state.review.next_due, overdue=state.overdue,
                   closure_reason=state.closure.reason if state.closure else None)  # fmt: skip


class CaseSnapshot(Model):
    """The case as it stands after an event: what the registry's list of cases shows."""

    phase: Phase
    structure_id: str
    situation: Situation | None
    route: str | None
    referent_id: str | None
    employer_id: str | None
    next_review_due: datetime | None
    open_requests: int
    overdue: bool
    intensity: Intensity | None = None

    @classmethod
    def of(cls, state: CaseState) -> CaseSnapshot:
        return cls(
            phase=state.phase,
            structure_id=state.structure_id,
            situation=state.situation,
            route=state.prescription.route if state.prescription else None,
            referent_id=state.referent_id,
            employer_id=state.employer_id,
            next_review_due=state.review.next_due,
            open_requests=state.open_requests,
            overdue=state.overdue,
            intensity=state.intensity,
        )
