"""The working day's « pas vus depuis longtemps », read from the registry on each backend: the last
contact or review held, whichever came later, decides; a case never met counts from its opening."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from activities.registry import desk
from activities.registry.database import make_engine
from activities.registry.migrate import migrate
from activities.registry.schema import Case, Contact, Review

NOW = datetime(2026, 12, 1, 9, tzinfo=timezone.utc)
LONG_AGO = (NOW - desk.UNSEEN_AFTER - timedelta(days=10)).date()
LATELY = (NOW - timedelta(days=3)).date()


def _case(case_id: str, opened: datetime, contacts: tuple[date, ...] = (), reviews: tuple[date | None, ...] = ()) -> list[object]:
    rows: list[object] = [Case(id=case_id, structure_id="struct-desk", phase="in_job_support", referent_id="ref-desk",
                               opened_at=opened, updated_at=opened)]  # fmt: skip
    moments = {"at": opened, "case_id": case_id}
    rows += [Contact(**moments, seq=n, on=on, kind="visit", phase="in_job_support") for n, on in enumerate(contacts, start=1)]
    rows += [Review(**moments, seq=100 + n, held_on=on, phase="in_job_support") for n, on in enumerate(reviews, start=1)]
    return rows


def test_a_person_is_unseen_when_neither_a_contact_nor_a_review_is_recent(empty_database: str) -> None:
    engine = make_engine(empty_database)
    migrate(engine)
    opened_long_ago = NOW - timedelta(days=400)
    with Session(engine) as session, session.begin():
        for rows in (
            _case("D-contact-lately", opened_long_ago, contacts=(LONG_AGO, LATELY)),
            _case("D-review-lately", opened_long_ago, contacts=(LONG_AGO,), reviews=(LATELY,)),
            _case("D-both-old", opened_long_ago, contacts=(LONG_AGO - timedelta(days=30),), reviews=(LONG_AGO, None)),
            _case("D-review-only-old", opened_long_ago, reviews=(LONG_AGO - timedelta(days=60),)),
            _case("D-never-met-old", opened_long_ago),
            _case("D-never-met-new", NOW - timedelta(days=5)),
        ):
            session.add_all(rows)
    with Session(engine) as session:
        unseen = desk.day(session, desk.Scope("struct-desk", "ref-desk"), NOW).unseen
    assert [(line.case_id, line.last_seen) for line in unseen] == [
        ("D-never-met-old", None),  # never met, opened long ago: first
        ("D-review-only-old", LONG_AGO - timedelta(days=60)),
        ("D-both-old", LONG_AGO),  # the later of its contact and its review held (a review not held does not count)
    ]
    engine.dispose()
