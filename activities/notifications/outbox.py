"""Which messages an event calls for, queued in the outbox in the transaction that journals it.

Recipients are named by role and id (`referent:ref-12`, `coordinator:struct-75`); their names
and addresses are read when the message is sent. The unique key (case, event, recipient, kind)
makes a second queueing of the same message a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry.database import DIALECT_INSERTS
from activities.registry.schema import Beneficiary, LegalRepresentative, Notification, SupportRequest
from workflows.case import events
from workflows.case.events import Event
from workflows.case.model import Party


class Kind(StrEnum):
    REVIEW_DUE = "review_due"
    REVIEW_OVERDUE = "review_overdue"
    REVIEW_ESCALATION = "review_escalation"
    REQUEST_RECEIVED = "request_received"
    REQUEST_OVERDUE = "request_overdue"
    REQUEST_ESCALATION = "request_escalation"
    REQUEST_ACKNOWLEDGED = "request_acknowledged"
    REQUEST_ANSWERED = "request_answered"
    CONVENTION_TO_SIGN = "convention_to_sign"
    AMENDMENT_TO_SIGN = "amendment_to_sign"
    RETENTION_WARNING = "retention_warning"
    EVIDENCE_EXPIRING = "evidence_expiring"


DIGESTIBLE = frozenset({Kind.REVIEW_DUE, Kind.REVIEW_OVERDUE, Kind.REQUEST_RECEIVED, Kind.REQUEST_OVERDUE})
"""What a référent who prefers the daily digest reads there instead of in one e-mail each."""
ESCALATIONS = frozenset({Kind.REVIEW_ESCALATION, Kind.REQUEST_ESCALATION})
"""Sent to the coordinator only if, past the escalation delay, the work is still not done."""

Message = tuple[str, Kind]
"""(recipient, kind)."""


class CaseParties(Protocol):
    """What the rules read of a case: its row, or the columns a journal write returns."""

    id: str
    beneficiary_id: str | None
    structure_id: str
    referent_id: str | None
    employer_id: str | None


def enqueue(session: Session, case: CaseParties | None, seq: int, at: datetime, event: Event) -> None:
    """Queue the messages `event` calls for (none for most events, none for an unknown case)."""
    rule = RULES.get(type(event))
    if case is None or rule is None:
        return
    rows = [{"case_id": case.id, "seq": seq, "recipient": recipient, "kind": kind.value, "status": "pending",
             "created_at": at, "next_attempt_at": at, "attempts": 0}
            for recipient, kind in dict.fromkeys(rule(session, case, event))]  # fmt: skip
    if rows:
        insert = DIALECT_INSERTS[session.get_bind().dialect.name]
        session.connection().execute(insert(Notification).values(rows).on_conflict_do_nothing(
            index_elements=["case_id", "seq", "recipient", "kind"]))  # fmt: skip


def _referent(case: CaseParties) -> list[str]:
    return [f"referent:{case.referent_id}"] if case.referent_id else []


def _person(session: Session, case: CaseParties) -> list[str]:
    """The person, or their legal representatives when they have some (who act for them)."""
    if case.beneficiary_id is None:
        return []
    person = session.execute(select(Beneficiary.anonymised_at).where(Beneficiary.id == case.beneficiary_id)).first()
    if person is None or person.anonymised_at is not None:  # a column, not the row: no name deciphered for nothing
        return []
    query = select(LegalRepresentative.id).where(LegalRepresentative.beneficiary_id == case.beneficiary_id)
    representatives = list(session.scalars(query.order_by(LegalRepresentative.registered_at)))
    return [f"legal_representative:{r}" for r in representatives] or [f"beneficiary:{case.beneficiary_id}"]


def _staff(kind: Kind, escalation: Kind | None = None) -> Callable[[Session, CaseParties, Event], list[Message]]:
    def rule(_session: Session, case: CaseParties, _event: Event) -> list[Message]:
        messages = [(r, kind) for r in _referent(case)]
        if escalation is not None:
            messages.append((f"coordinator:{case.structure_id}", escalation))
        return messages

    return rule


def _employer_request(session: Session, case: CaseParties, event: Event) -> list[Message]:
    assert isinstance(event, events.EmployerRequestReceived)
    return [(r, Kind.REQUEST_RECEIVED) for r in _referent(case)] + [(f"employer:{event.employer_id}", Kind.REQUEST_ACKNOWLEDGED)]


def _answer(session: Session, case: CaseParties, event: Event) -> list[Message]:
    """To whoever asked: the employer, or the person."""
    assert isinstance(event, events.RequestAnswered)
    query = select(SupportRequest.employer_id).where(SupportRequest.case_id == case.id, SupportRequest.request_id == event.request_id)
    employer_id = session.scalar(query)
    askers = [f"employer:{employer_id}"] if employer_id else _person(session, case)
    return [(r, Kind.REQUEST_ANSWERED) for r in askers]


def _convention(session: Session, case: CaseParties, _event: Event) -> list[Message]:
    """The convention is written at the prescription: the person and the employer, if any, sign it."""
    signers = _person(session, case) + ([f"employer:{case.employer_id}"] if case.employer_id else [])
    return [(r, Kind.CONVENTION_TO_SIGN) for r in signers]


def _hiring(session: Session, case: CaseParties, event: Event) -> list[Message]:
    """A hiring that amends the convention: the new employer joins it, the person signs again."""
    assert isinstance(event, events.Hired)
    if event.amendment is None:
        return []
    return [(r, Kind.AMENDMENT_TO_SIGN) for r in [*_person(session, case), f"employer:{event.employer_id}"]]


def _amendment(session: Session, case: CaseParties, event: Event) -> list[Message]:
    assert isinstance(event, events.AmendmentProposed)
    signers = (_person(session, case) if Party.BENEFICIARY in event.parties else []) + (
        [f"employer:{case.employer_id}"] if Party.EMPLOYER in event.parties and case.employer_id else [])  # fmt: skip
    return [(r, Kind.AMENDMENT_TO_SIGN) for r in signers]


def _retention(session: Session, case: CaseParties, _event: Event) -> list[Message]:
    return [(r, Kind.RETENTION_WARNING) for r in _person(session, case)]


RULES: dict[type, Callable[[Session, CaseParties, Event], list[Message]]] = {
    events.ReviewDue: _staff(Kind.REVIEW_DUE),
    events.ReviewOverdue: _staff(Kind.REVIEW_OVERDUE, Kind.REVIEW_ESCALATION),
    events.SupportRequested: _staff(Kind.REQUEST_RECEIVED),
    events.RequestOverdue: _staff(Kind.REQUEST_OVERDUE, Kind.REQUEST_ESCALATION),
    events.EmployerRequestReceived: _employer_request,
    events.RequestAnswered: _answer,
    events.PrescriptionRecorded: _convention,
    events.Hired: _hiring,
    events.AmendmentProposed: _amendment,
    events.RetentionWarning: _retention,
    events.EvidenceExpiring: _staff(Kind.EVIDENCE_EXPIRING),
}
"""Who hears of what: the référent of their work, the coordinator of work left overdue, the
employer of its requests and what it signs, the person (or their representative) of what they
sign, the answer to their requests and the coming anonymisation."""
