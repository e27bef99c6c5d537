"""What the CLI and the reports read from the registry: lists of cases, reviews and requests.

Every list is a page in a stable order (keyset pagination), served by an index, so it stays
fast on a platform with 100,000 cases (see bench/registry_list.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from activities.registry.schema import Case, SupportRequest


@dataclass(frozen=True)
class CaseFilter:
    phase: str | None = None
    referent_id: str | None = None
    structure_id: str | None = None
    employer_id: str | None = None

    def apply(self, query: Select) -> Select:  # type: ignore[type-arg]
        conditions = {
            Case.phase: self.phase,
            Case.referent_id: self.referent_id,
            Case.structure_id: self.structure_id,
            Case.employer_id: self.employer_id,
        }
        return query.where(*[column == value for column, value in conditions.items() if value is not None])


@dataclass(frozen=True)
class PageMark:
    """Where the previous page ended: the next page starts after it."""

    opened_at: datetime
    case_id: str


def list_cases(session: Session, where: CaseFilter, *, limit: int = 50, after: PageMark | None = None) -> list[Case]:
    query = where.apply(select(Case))
    if after is not None:
        query = query.where(
            or_(Case.opened_at > after.opened_at, and_(Case.opened_at == after.opened_at, Case.id > after.case_id))
        )
    return list(session.scalars(query.order_by(Case.opened_at, Case.id).limit(limit)))


def reviews_due(session: Session, now: datetime, where: CaseFilter = CaseFilter()) -> list[Case]:
    """Open cases whose next review date has come, overdue ones first."""
    query = where.apply(select(Case)).where(Case.closed_at.is_(None), Case.next_review_due <= now)
    return list(session.scalars(query.order_by(Case.overdue.desc(), Case.next_review_due)))


def requests_past_deadline(session: Session, now: datetime) -> list[SupportRequest]:
    query = select(SupportRequest).where(SupportRequest.status == "open", SupportRequest.deadline < now)
    return list(session.scalars(query.order_by(SupportRequest.deadline)))
