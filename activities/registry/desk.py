"""What a référent's or a coordinator's working day reads from the registry: what is due, the
requests and their deadlines, the reminders sent, the people not seen lately, and the caseload.

Each list is one query on indexed columns, bounded to one structure (and one référent), so that
the pages stay fast among tens of thousands of cases (bench/web_day.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, and_, func, or_, select, union_all
from sqlalchemy.orm import Session

from activities.registry.database import utc
from activities.registry.schema import Beneficiary, Case, Contact, Notification, Referent, Review, Seat, SupportRequest

UNSEEN_AFTER = timedelta(days=45)
"""A person with no contact nor review held for this long appears in « pas vus depuis longtemps »."""
DUE_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class Scope:
    """The cases one member of staff works on: a structure, and within it one référent's or all."""

    structure_id: str
    referent_id: str | None = None

    def cases(self, query: Select) -> Select:  # type: ignore[type-arg]
        query = query.where(Case.structure_id == self.structure_id, Case.closed_at.is_(None))
        return query.where(Case.referent_id == self.referent_id) if self.referent_id is not None else query


@dataclass(frozen=True)
class CaseLine:
    case_id: str
    person: str
    phase: str
    intensity: str | None
    referent_id: str | None
    next_review_due: datetime | None
    overdue: bool
    open_requests: int
    last_seen: date | None = None


@dataclass(frozen=True)
class RequestLine:
    case_id: str
    person: str
    request_id: str
    origin: str
    kind: str
    deadline: datetime
    late: bool


@dataclass(frozen=True)
class Reminder:
    case_id: str
    person: str
    kind: str
    at: datetime


@dataclass(frozen=True)
class Day:
    reviews: list[CaseLine]
    requests: list[RequestLine]
    reminders: list[Reminder]
    unseen: list[CaseLine]


def _person(first: str | None, last: str | None) -> str:
    return f"{first} {last}" if first and last else "(identité effacée)"


def _line(case: Case, first: str | None, last: str | None, last_seen: date | None = None) -> CaseLine:
    due = utc(case.next_review_due) if case.next_review_due else None
    return CaseLine(case.id, _person(first, last), case.phase, case.intensity, case.referent_id, due, case.overdue,
                    case.open_requests, last_seen)  # fmt: skip


def _with_names(query: Select) -> Select:  # type: ignore[type-arg]
    return query.add_columns(Beneficiary.first_name, Beneficiary.last_name).outerjoin(
        Beneficiary, and_(Beneficiary.id == Case.beneficiary_id, Beneficiary.anonymised_at.is_(None)))


def day(session: Session, scope: Scope, now: datetime, limit: int = 100) -> Day:
    reviews = session.execute(_with_names(scope.cases(select(Case)))
                              .where(Case.next_review_due <= now + DUE_WITHIN)
                              .order_by(Case.overdue.desc(), Case.next_review_due).limit(limit))  # fmt: skip
    requests = session.execute(_with_names(scope.cases(select(SupportRequest, Case)).join(Case, Case.id == SupportRequest.case_id))
                               .where(SupportRequest.status == "open").order_by(SupportRequest.deadline).limit(limit))  # fmt: skip
    return Day(
        reviews=[_line(case, first, last) for case, first, last in reviews],
        requests=[RequestLine(case.id, _person(first, last), request.request_id, request.origin, request.kind,
                              utc(request.deadline), utc(request.deadline) < now)
                  for request, case, first, last in requests],  # fmt: skip
        reminders=_reminders(session, scope, now, limit),
        unseen=_unseen(session, scope, now, limit),
    )


def _reminders(session: Session, scope: Scope, now: datetime, limit: int) -> list[Reminder]:
    """The reminders and escalations sent this week to this référent (or the structure's coordinator)."""
    recipient = f"referent:{scope.referent_id}" if scope.referent_id else f"coordinator:{scope.structure_id}"
    rows = session.execute(_with_names(select(Notification, Case).join(Case, Case.id == Notification.case_id))
                           .where(Notification.recipient == recipient, Notification.created_at >= now - DUE_WITHIN,
                                  Case.structure_id == scope.structure_id)
                           .order_by(Notification.created_at.desc()).limit(limit))  # fmt: skip
    return [Reminder(case.id, _person(first, last), row.kind, utc(row.created_at)) for row, case, first, last in rows]


def _unseen(session: Session, scope: Scope, now: datetime, limit: int) -> list[CaseLine]:
    """The cases nobody has met for a while: the last contact or review, whichever came later."""
    mine = scope.cases(select(Case.id))  # aggregate the events of these cases only, not the whole registry's
    met = union_all(select(Contact.case_id, Contact.on.label("on")).where(Contact.case_id.in_(mine)),
                    select(Review.case_id, Review.held_on.label("on")).where(Review.case_id.in_(mine))).subquery()  # fmt: skip
    seen = select(met.c.case_id, func.max(met.c.on).label("on")).group_by(met.c.case_id).subquery()
    last_seen = seen.c.on
    before = (now - UNSEEN_AFTER).date()
    query = (_with_names(scope.cases(select(Case)))
             .add_columns(last_seen.label("last_seen"))
             .outerjoin(seen, seen.c.case_id == Case.id)
             .where(or_(last_seen < before, and_(last_seen.is_(None), Case.opened_at < now - UNSEEN_AFTER)))
             .order_by(last_seen.asc().nulls_first()).limit(limit))  # fmt: skip
    return [_line(case, first, last, seen_on) for case, first, last, seen_on in session.execute(query)]


@dataclass(frozen=True)
class Load:
    referent_id: str
    name: str
    active: int
    capacity: int


@dataclass(frozen=True)
class Caseload:
    lines: list[CaseLine]
    total: int
    loads: list[Load]


def caseload(session: Session, scope: Scope, default_capacity: int, page: int = 1, per_page: int = 50) -> Caseload:
    """One page of the cases in scope (the overdue, then the next review first) and each référent's load."""
    total = session.scalar(scope.cases(select(func.count()).select_from(Case))) or 0
    rows = session.execute(_with_names(scope.cases(select(Case)))
                           .order_by(Case.overdue.desc(), Case.next_review_due.asc().nulls_last(), Case.id)
                           .offset((max(page, 1) - 1) * per_page).limit(per_page))  # fmt: skip
    return Caseload([_line(case, first, last) for case, first, last in rows], total, _loads(session, scope, default_capacity))


def _loads(session: Session, scope: Scope, default_capacity: int) -> list[Load]:
    referents = select(Referent).where(Referent.structure_id == scope.structure_id)
    if scope.referent_id is not None:
        referents = referents.where(Referent.id == scope.referent_id)
    seats = (select(Seat.referent_id, func.count(Seat.case_id)).join(Case, Case.id == Seat.case_id)
             .where(Case.closed_at.is_(None), Case.structure_id == scope.structure_id).group_by(Seat.referent_id))  # fmt: skip
    active = {referent_id: count for referent_id, count in session.execute(seats)}
    return [Load(r.id, r.name, active.get(r.id, 0), r.capacity or default_capacity) for r in session.scalars(referents.order_by(Referent.name))]
