"""The registry's tables: the system of record for people, organisations, cases and their events.

Temporal holds each case's live state; these tables hold what must outlive it, and are the only
place with personal data (identity, contact) — never copied into a workflow.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from activities.registry.database import Base
from activities.registry.sealed import SealedBytes, SealedJSON, SealedText

ID = String(64)


class Structure(Base):
    """A structure gestionnaire (plateforme emploi accompagné)."""

    __tablename__ = "structures"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(3))
    address: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(String(30))
    coordinator_name: Mapped[str | None] = mapped_column(String(200))
    coordinator_email: Mapped[str | None] = mapped_column(String(254))
    """Where escalations go: a review or a request the référent left overdue."""


class Organisation(Base):
    """An employer (with its SIRET) or a prescriber (CDAPH, France Travail, Cap emploi, mission locale)."""

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    address: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(String(254))
    """The employer's contact for the convention, amendments and answers to its requests."""
    sector: Mapped[str | None] = mapped_column(String(10))
    """An employer's sector, public or private: it decides who funds adaptations (FIPHFP or Agefiph)."""
    sites: Mapped[list[str] | None] = mapped_column(JSON)
    """An employer's sites (establishments, addresses) where people work."""
    partner_kind: Mapped[str | None] = mapped_column(String(30))
    """A partner's kind: spe_counsellor, esat, mdph, training_body, occupational_health."""


class Referent(Base):
    __tablename__ = "referents"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    structure_id: Mapped[str | None] = mapped_column(ID, index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    capacity: Mapped[int | None] = mapped_column(Integer)
    """Active people they can follow; the platform's setting (EA_REFERENT_CAPACITY, 20) when empty."""
    notify: Mapped[str] = mapped_column(String(10), default="each", server_default="each")
    """`each`: one e-mail per reminder; `digest`: one e-mail a day listing them."""
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    """SHA-256 of the secret in their calendar feed's URL; None: no feed (or revoked)."""


class Seat(Base):
    """A case's place in its référent's caseload, taken atomically when assigning (see caseload.py)."""

    __tablename__ = "caseload_seats"
    case_id: Mapped[str] = mapped_column(ID, primary_key=True)
    referent_id: Mapped[str] = mapped_column(ID, index=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    forced_reason: Mapped[str | None] = mapped_column(Text)
    """Why the référent's capacity was exceeded, when it was."""
    forced_by: Mapped[str | None] = mapped_column(String(80))


class Beneficiary(Base):
    """The person accompanied: identity and contact live here and nowhere else."""

    __tablename__ = "beneficiaries"
    __table_args__ = (
        UniqueConstraint("structure_id", "identity_key", "birth_date", name="uq_beneficiary_identity"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    structure_id: Mapped[str] = mapped_column(ID)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    identity_key: Mapped[str] = mapped_column(String(201))
    """Names folded (case, accents, spaces) so that « Élodie DUPONT » and « elodie dupont » match."""
    birth_date: Mapped[date] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(Text)
    situation: Mapped[str | None] = mapped_column(String(20))
    rqth_reference: Mapped[str | None] = mapped_column(String(64))
    esat_reference: Mapped[str | None] = mapped_column(String(64))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """Set when the identity was erased (on request, or by retention): only statistics remain."""


class LegalRepresentative(Base):
    """The person's legal representative (L5213-2-1): who may consent and sign for them, and under
    which protective measure. Personal data of a third party: deleted with the person's identity."""

    __tablename__ = "legal_representatives"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    """The id a representative acts under (`--actor legal_representative:ID`)."""
    beneficiary_id: Mapped[str] = mapped_column(ID, index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    measure: Mapped[str] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Case(Base):
    """One row per case, kept current from the workflow's events (the read model for lists)."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_phase_opened", "phase", "opened_at", "id"),
        Index("ix_cases_structure_phase", "structure_id", "phase"),
        Index("ix_cases_referent_phase", "referent_id", "phase"),
        Index("ix_cases_next_review", "next_review_due"),
    )
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    beneficiary_id: Mapped[str | None] = mapped_column(ID, index=True)
    """No foreign key on purpose: a projection must never block the journal (see projection.py)."""
    structure_id: Mapped[str] = mapped_column(ID)
    phase: Mapped[str] = mapped_column(String(20))
    situation: Mapped[str | None] = mapped_column(String(20))
    route: Mapped[str | None] = mapped_column(String(10))
    referent_id: Mapped[str | None] = mapped_column(ID)
    employer_id: Mapped[str | None] = mapped_column(ID, index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closure_reason: Mapped[str | None] = mapped_column(String(30))
    next_review_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    open_requests: Mapped[int] = mapped_column(Integer, default=0)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    intensity: Mapped[str | None] = mapped_column(String(10))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    """For the funders' age bands: the year only, kept after anonymisation."""
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retention_warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    anonymised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CaseEvent:
    """Columns every per-event table shares: the case, and the journal entry that produced the row."""

    case_id: Mapped[str] = mapped_column(ID, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Consent(CaseEvent, Base):
    __tablename__ = "consents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    given_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    by_legal_representative: Mapped[bool] = mapped_column(Boolean, default=False)


class Prescription(CaseEvent, Base):
    __tablename__ = "prescriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    route: Mapped[str] = mapped_column(String(10))
    prescriber: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(64))
    dated: Mapped[date] = mapped_column(Date)


class Signature(CaseEvent, Base):
    """A party's signature of the convention individuelle d'accompagnement."""

    __tablename__ = "convention_signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party: Mapped[str] = mapped_column(String(20))
    signed_on: Mapped[date] = mapped_column(Date)


class Amendment(CaseEvent, Base):
    """An employer joining the convention (hiring, change of employer)."""

    __tablename__ = "convention_amendments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[str] = mapped_column(ID)


class Evaluation(CaseEvent, Base):
    """An evaluation and what it found: the free text is health data, sealed at rest."""

    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    completed_on: Mapped[date] = mapped_column(Date)
    author: Mapped[str | None] = mapped_column(String(80))
    capacities: Mapped[str | None] = mapped_column(SealedText)
    needs: Mapped[str | None] = mapped_column(SealedText)
    constraints: Mapped[str | None] = mapped_column(SealedText)
    employer_needs: Mapped[str | None] = mapped_column(SealedText)
    tools: Mapped[list[str] | None] = mapped_column(JSON)


class ProfessionalProject(CaseEvent, Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreed_on: Mapped[date] = mapped_column(Date)
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """Target jobs (ROME codes), sectors, conditions and agreed steps, as the step gave them."""


class Objective(Base):
    """An objective of a case's support plan, as the latest event that named it left it."""

    __tablename__ = "objectives"
    __table_args__ = (UniqueConstraint("case_id", "title", name="uq_objective_case_title"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date | None] = mapped_column(Date)
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)


class Adaptation(Base):
    """A workplace adaptation as its latest stage left it; the médecin du travail's opinion is sealed."""

    __tablename__ = "adaptations"
    __table_args__ = (UniqueConstraint("case_id", "adaptation_id", name="uq_adaptation_case"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    adaptation_id: Mapped[str] = mapped_column(ID)
    description: Mapped[str] = mapped_column(String(200))
    proposed_by: Mapped[str] = mapped_column(String(30))
    employer_id: Mapped[str] = mapped_column(ID)
    stage: Mapped[str] = mapped_column(String(20))
    dates: Mapped[dict[str, str]] = mapped_column(JSON)
    funder: Mapped[str | None] = mapped_column(String(20))
    amendment: Mapped[int | None] = mapped_column(Integer)
    opinion: Mapped[str | None] = mapped_column(SealedText)
    seq: Mapped[int] = mapped_column(Integer)


class Training(Base):
    """A training or a bilan de compétences, as its latest record left it."""

    __tablename__ = "trainings"
    __table_args__ = (UniqueConstraint("case_id", "kind", "title", name="uq_training_case_title"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    funder: Mapped[str | None] = mapped_column(String(20))
    on: Mapped[date] = mapped_column(Date)
    seq: Mapped[int] = mapped_column(Integer)


class EvidenceRecord(Base):
    """An RQTH, a CDAPH decision or an ESAT admission, with its validity; one per kind and case."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("case_id", "kind", name="uq_evidence_case_kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    """None: granted for life (an RQTH may be)."""
    reference: Mapped[str | None] = mapped_column(String(64))
    file_id: Mapped[str | None] = mapped_column(ID)
    warned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    seq: Mapped[int] = mapped_column(Integer)


class EvidenceFile(Base):
    """An uploaded scan: its bytes live sealed in a file outside the database (evidence_files.py)."""

    __tablename__ = "evidence_files"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CasePartner(Base):
    """A partner of the directory linked to a case (directly, or by referring a request to it)."""

    __tablename__ = "case_partners"
    __table_args__ = (UniqueConstraint("case_id", "partner_id", name="uq_case_partner"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    partner_id: Mapped[str] = mapped_column(ID)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Employment(CaseEvent, Base):
    """A job: the one held when the case opened, or a hiring; closed by a job loss or a hiring that
    replaces it. Several may be open at once (two part-time jobs, work beside the ESAT)."""

    __tablename__ = "employments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[str] = mapped_column(ID)
    contract_type: Mapped[str | None] = mapped_column(String(20))
    start_date: Mapped[date | None] = mapped_column(Date)
    """None for the job held at opening when its first day was not recorded."""
    weekly_hours: Mapped[float | None] = mapped_column(Float)
    ended_on: Mapped[date | None] = mapped_column(Date)


class Review(CaseEvent, Base):
    """A periodic review: due, then held — or overdue and escalated."""

    __tablename__ = "reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phase: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    held_on: Mapped[date | None] = mapped_column(Date)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(SealedText)
    """The référent's notes (may hold health information): sealed."""


class Contact(CaseEvent, Base):
    """A contact the référent recorded: with the person, at the workplace, with an employer."""

    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    on: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(30))
    employer_id: Mapped[str | None] = mapped_column(ID)
    phase: Mapped[str] = mapped_column(String(20))


class IntensityChange(CaseEvent, Base):
    """Support becoming intensive, light or dormant (level None: out of job search and in-job support)."""

    __tablename__ = "intensity_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str | None] = mapped_column(String(10))
    previous: Mapped[str | None] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(30))


class SupportRequest(CaseEvent, Base):
    """A request from an employer or from the person (the table's name is from when only employers asked)."""

    __tablename__ = "employer_requests"
    __table_args__ = (
        UniqueConstraint("case_id", "request_id", name="uq_request_case"),
        Index("ix_requests_open_deadline", "status", "deadline"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(20))
    origin: Mapped[str] = mapped_column(String(12), default="employer", server_default="employer")
    employer_id: Mapped[str | None] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(30))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="open")
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(30))
    partner_id: Mapped[str | None] = mapped_column(ID)
    """The partner the request was referred to."""


class Document(Base):
    """A rendered document, stored once per (case, event, template) however often it is rendered."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_id", "seq", "template", name="uq_document_event_template"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    """The journal entry (case event) that produced it."""
    template: Mapped[str] = mapped_column(String(40))
    template_version: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(SealedText)
    """Sealed, like the Markdown and the PDF: a document may quote health information."""
    markdown: Mapped[str] = mapped_column(SealedText)
    pdf: Mapped[bytes | None] = mapped_column(SealedBytes)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Report(Base):
    """A funders' report as it was produced: the figures (JSON) and the printable HTML, once per period and scope."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("kind", "scope", "period_from", "period_to", name="uq_report_period"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(ID)
    """A structure's id, or `all`."""
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class JournalRow(Base):
    """The append-only audit journal: who did what, when, on which case, phase before and after."""

    __tablename__ = "journal"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_journal_case_seq"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    phase_before: Mapped[str] = mapped_column(String(20))
    phase_after: Mapped[str] = mapped_column(String(20))
    actor_role: Mapped[str | None] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(ID)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    private_detail: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON)
    """The event's fields that may hold health information (`events.private_detail`), sealed."""


class Notification(Base):
    """The outbox: a message an event calls for, written in the journal's transaction and sent later.

    Unique per (case, event, recipient, kind): a retried journal write never queues it twice. The
    recipient is a role and an id (`referent:ref-12`); the address is read from the registry when
    the message is sent, and kept once it was accepted (what was sent to whom)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", "recipient", "kind", name="uq_notification_event_recipient_kind"),
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    """The journal entry (case event) that called for it."""
    recipient: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    """Not before: the backoff after a failure, or the escalation delay."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str | None] = mapped_column(String(200))
    message_id: Mapped[str | None] = mapped_column(String(200))


class Digest(Base):
    """A référent's daily digest, sent once per day."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("referent_id", "day", name="uq_digest_referent_day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referent_id: Mapped[str] = mapped_column(ID)
    day: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="sending")
    items: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    address: Mapped[str | None] = mapped_column(String(254))
    message_id: Mapped[str | None] = mapped_column(String(200))


class Account(Base):
    """A member of staff who signs in to the web application: a platform admin, a coordinator (every
    case of their structure) or a référent (the cases they follow, as the directory's référent)."""

    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    """Opaque; a coordinator acts on cases under this id (`coordinator:<id>` in the journal)."""
    email: Mapped[str] = mapped_column(String(254), unique=True)
    """Lower-cased: the name one signs in with."""
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    structure_id: Mapped[str | None] = mapped_column(ID, index=True)
    referent_id: Mapped[str | None] = mapped_column(ID, unique=True)
    """For a référent: their entry in the directory, the id their cases name."""
    password_hash: Mapped[str | None] = mapped_column(String(200))
    """argon2id; None for an account that signs in only through the platform's identity provider."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSession(Base):
    """A signed-in browser — a member of staff's, or a party's (the person, their representative, an
    employer) opened by a sign-in link: the cookie carries a random token, the table only its hash."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(ID, index=True)
    party: Mapped[str | None] = mapped_column(String(100))
    """`role:id` of the party signed in by a link (`employer:emp-4412`), when no staff account is."""
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Attempt(Base):
    """A counted attempt — a failed sign-in, a sign-in link asked for — per e-mail and per address,
    hashed, to throttle guessing and flooding."""

    __tablename__ = "sign_in_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    """SHA-256 of `<what>:email:<name>` or `<what>:address:<ip>`: counted without keeping either."""
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PortalLink(Base):
    """A sign-in link sent to the person, their representative or an employer: single use, short-lived,
    bound to one party and to the browser that asked for it."""

    __tablename__ = "portal_links"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(30))
    party_id: Mapped[str] = mapped_column(ID)
    browser_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AccessLogEntry(Base):
    """Who displayed which person's file, when: accountability for health data (GDPR art. 5(2), 9)."""

    __tablename__ = "access_log"
    __table_args__ = (Index("ix_access_log_structure_at", "structure_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    account_id: Mapped[str] = mapped_column(ID)
    case_id: Mapped[str] = mapped_column(ID, index=True)
    structure_id: Mapped[str] = mapped_column(ID)
    what: Mapped[str] = mapped_column(String(20))
    """`case` (the file's page) or `document` (a document downloaded)."""
