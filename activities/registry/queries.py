"""What is due, read from the registry: reviews whose date has come and requests past their
deadline, for one structure or one référent (`ea due`; each list is served by an index)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
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


def reviews_due(session: Session, now: datetime, where: CaseFilter = CaseFilter()) -> list[Case]:
    """Open cases whose next review date has come, overdue ones first."""
    query = where.apply(select(Case)).where(Case.closed_at.is_(None), Case.next_review_due <= now)
    return list(session.scalars(query.order_by(Case.overdue.desc(), Case.next_review_due)))


def requests_past_deadline(session: Session, now: datetime, where: CaseFilter = CaseFilter()) -> list[tuple[SupportRequest, Case]]:
    """Requests still open after their deadline, the oldest deadline first, each with its case."""
    query = where.apply(select(SupportRequest, Case).join(Case, Case.id == SupportRequest.case_id))
    query = query.where(SupportRequest.status == "open", SupportRequest.deadline < now)
    return [(request, case) for request, case in session.execute(query.order_by(SupportRequest.deadline))]
