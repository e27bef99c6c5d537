"""Référents' caseloads: at most a capacity of active people each (20 in the 2026 cahier des
charges), unless a coordinator forces an assignment and says why.

Each open case with a référent holds a seat. Taking a seat is serialised per référent, so two
assignments at the same moment cannot both take the last place; seats follow the journal
(opening, assignment, closure, reopening), so the count stays true whoever opened the case.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import Engine, delete, func, select, text, update
from sqlalchemy.orm import Session

from activities.registry.database import utc
from activities.registry.schema import Case, Referent, Seat
from workflows.contracts import Caseload, SeatRequest

DEFAULT_CAPACITY = 20


def capacity_from_env() -> int:
    """The platform's capacity per référent (EA_REFERENT_CAPACITY); a référent's own one wins."""
    return int(os.environ.get("EA_REFERENT_CAPACITY", DEFAULT_CAPACITY))


class CaseloadFull(Exception):
    """The référent follows as many people as their capacity; the message says how many."""


@dataclass(frozen=True)
class Reservation:
    caseload: Caseload
    previous_referent_id: str | None
    """Whose caseload the case was in before (None: it had no seat), to undo an opening that failed."""


def place(session: Session, case_id: str, referent_id: str, since: datetime,
          forced_reason: str | None = None, forced_by: str | None = None) -> None:  # fmt: skip
    """Seat the case with this référent, moving it from another one's caseload."""
    seat = session.get(Seat, case_id)
    if seat is None:
        session.add(Seat(case_id=case_id, referent_id=referent_id, since=since, forced_reason=forced_reason, forced_by=forced_by))
    elif seat.referent_id != referent_id:
        seat.referent_id, seat.since, seat.forced_reason, seat.forced_by = referent_id, since, forced_reason, forced_by


def release(session: Session, case_id: str) -> None:
    session.execute(delete(Seat).where(Seat.case_id == case_id))


def active_count(session: Session, referent_id: str) -> int:
    """Seats of cases not closed (a case whose closure is not projected yet still counts)."""
    query = (
        select(func.count(Seat.case_id))
        .outerjoin(Case, Case.id == Seat.case_id)
        .where(Seat.referent_id == referent_id, Case.closed_at.is_(None))
    )
    return session.scalar(query) or 0


def capacity_of(session: Session, referent_id: str, default: int) -> int:
    referent = session.get(Referent, referent_id)
    return referent.capacity if referent is not None and referent.capacity is not None else default


def reserve(engine: Engine, request: SeatRequest, default_capacity: int) -> Reservation:
    """Take a seat in the référent's caseload for the case, or raise CaseloadFull. Idempotent."""
    referent_id = request.referent_id
    with Session(engine) as session, session.begin():
        _serialise(session, referent_id)
        capacity = capacity_of(session, referent_id, default_capacity)
        seat = session.get(Seat, request.case_id)
        previous = seat.referent_id if seat is not None else None
        if previous == referent_id:
            return Reservation(Caseload(referent_id=referent_id, active=active_count(session, referent_id), capacity=capacity,
                                        forced=seat is not None and seat.forced_reason is not None), previous)  # fmt: skip
        active = active_count(session, referent_id)
        forced = active >= capacity
        if forced and request.force_reason is None:
            raise CaseloadFull(
                f"référent {referent_id} already follows {active} active people (capacity {capacity}): "
                "choose another référent, or force the assignment with a reason"
            )
        place(session, request.case_id, referent_id, datetime.now(timezone.utc),
              request.force_reason if forced else None, str(request.actor) if forced else None)  # fmt: skip
        return Reservation(Caseload(referent_id=referent_id, active=active + 1, capacity=capacity, forced=forced), previous)


def undo(engine: Engine, case_id: str, reservation: Reservation) -> None:
    """Give the seat back after an opening that did not happen."""
    with Session(engine) as session, session.begin():
        if reservation.previous_referent_id is None:
            release(session, case_id)
        else:
            place(session, case_id, reservation.previous_referent_id, datetime.now(timezone.utc))


def _serialise(session: Session, referent_id: str) -> None:
    """Hold the référent's caseload until commit, so counting and seating are one step."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"caseload:{referent_id}"})
    else:
        # SQLite has one writer at a time: a first statement that writes takes the lock until commit.
        session.execute(update(Seat).where(Seat.referent_id == referent_id).values(referent_id=Seat.referent_id))


@dataclass(frozen=True)
class ReferentLoad:
    """One line of `ea referent list`: how many people a référent follows, and how closely."""

    referent_id: str
    name: str | None
    structure_id: str | None
    active: int
    capacity: int
    forced: int
    intensive: int
    light: int
    dormant: int
    reviews_due: int
    overdue: int

    @property
    def over_capacity(self) -> bool:
        return self.active > self.capacity


def referent_loads(session: Session, default_capacity: int, now: datetime, structure_id: str | None = None) -> list[ReferentLoad]:
    """Every référent in the directory or with open cases, with their load and what is late."""
    seats = dict(
        (row.referent_id, (row.active, row.forced))
        for row in session.execute(
            select(Seat.referent_id, func.count(Seat.case_id).label("active"), func.count(Seat.forced_reason).label("forced"))
            .outerjoin(Case, Case.id == Seat.case_id)
            .where(Case.closed_at.is_(None))
            .group_by(Seat.referent_id)
        )
    )
    open_cases: dict[str, list[Case]] = {}
    for case in session.scalars(select(Case).where(Case.closed_at.is_(None), Case.referent_id.is_not(None))):
        open_cases.setdefault(case.referent_id or "", []).append(case)
    directory = {referent.id: referent for referent in session.scalars(select(Referent))}
    loads = []
    for referent_id in sorted(set(directory) | set(seats) | set(open_cases)):
        entry, theirs = directory.get(referent_id), open_cases.get(referent_id, [])
        home = entry.structure_id if entry is not None else None
        if structure_id is not None and home != structure_id and all(c.structure_id != structure_id for c in theirs):
            continue
        active, forced = seats.get(referent_id, (0, 0))
        by_level = {level: sum(1 for c in theirs if c.intensity == level) for level in ("intensive", "light", "dormant")}
        loads.append(ReferentLoad(
            referent_id=referent_id, name=entry.name if entry else None, structure_id=home or next((c.structure_id for c in theirs), None),
            active=active, capacity=capacity_of(session, referent_id, default_capacity), forced=forced, **by_level,
            reviews_due=sum(1 for c in theirs if c.next_review_due is not None and utc(c.next_review_due) <= now),
            overdue=sum(1 for c in theirs if c.overdue),
        ))  # fmt: skip
    return loads

