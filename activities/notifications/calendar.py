"""A référent's calendar feed (iCalendar): the reviews due on their open cases and the deadlines of
open requests, at a URL with a secret token they subscribe to in their usual calendar.

Only the hash of the token is stored: a reader of the registry cannot use the feed; issuing a
new token revokes the old one. The events name the case id and the kind of event only, unless
the platform turns the person's name on (EA_CALENDAR_NAMES).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from icalendar import Calendar, Event
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from activities.registry.database import utc
from activities.registry.schema import Beneficiary, Case, Referent, SupportRequest

DURATION = timedelta(minutes=30)
"""An event's length in the calendar: a due date is a moment, calendars want a span."""


class UnknownReferent(LookupError):
    pass


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(engine: Engine, referent_id: str) -> str:
    """A new secret for the référent's feed; the previous one stops working."""
    token = secrets.token_urlsafe(32)
    _set(engine, referent_id, _hash(token))
    return token


def revoke_token(engine: Engine, referent_id: str) -> None:
    _set(engine, referent_id, None)


def _set(engine: Engine, referent_id: str, token_hash: str | None) -> None:
    with Session(engine) as session, session.begin():
        referent = session.get(Referent, referent_id)
        if referent is None:
            raise UnknownReferent(f"no référent {referent_id} in the directory (ea directory referent {referent_id} --name ...)")
        referent.calendar_token_hash = token_hash


def feed_for_token(engine: Engine, token: str, with_names: bool) -> bytes | None:
    """The feed of the référent this token belongs to; None for a token unknown or revoked."""
    with Session(engine) as session:
        referent = session.scalars(select(Referent).where(Referent.calendar_token_hash == _hash(token))).first()
        return None if referent is None else feed(session, referent.id, with_names)


def feed(session: Session, referent_id: str, with_names: bool = False) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//emploi-accompagne//calendrier du referent//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Emploi accompagné : échéances")
    stamp = datetime.now(timezone.utc)
    open_cases = select(Case).where(Case.referent_id == referent_id, Case.closed_at.is_(None))
    for case in session.scalars(open_cases.where(Case.next_review_due.is_not(None)).order_by(Case.next_review_due)):
        assert case.next_review_due is not None
        due = utc(case.next_review_due)
        calendar.add_component(_event(f"review-{case.id}-{due:%Y%m%dT%H%M%S}", due, stamp,
                                      f"Revue périodique · dossier {case.id}{_name(session, case, with_names)}"))  # fmt: skip
    requests = select(SupportRequest, Case).join(Case, Case.id == SupportRequest.case_id).where(
        Case.referent_id == referent_id, Case.closed_at.is_(None), SupportRequest.status == "open")  # fmt: skip
    for request, case in session.execute(requests.order_by(SupportRequest.deadline)):
        calendar.add_component(_event(f"request-{case.id}-{request.request_id}", utc(request.deadline), stamp,
                                      f"Réponse due, demande {request.request_id} · dossier {case.id}{_name(session, case, with_names)}"))  # fmt: skip
    return calendar.to_ical()


def _event(uid: str, start: datetime, stamp: datetime, summary: str) -> Event:
    event = Event()
    event.add("uid", f"{uid}@emploi-accompagne")
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + DURATION)
    event.add("summary", summary)
    return event


def _name(session: Session, case: Case, with_names: bool) -> str:
    person = session.get(Beneficiary, case.beneficiary_id) if with_names and case.beneficiary_id else None
    return f" · {person.first_name} {person.last_name}" if person and person.anonymised_at is None else ""
