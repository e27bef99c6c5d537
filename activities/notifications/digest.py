"""The référent's daily digest: one e-mail listing the reviews due by the end of the day (overdue
first) and the open requests with their deadlines, for those who prefer it to one e-mail per
reminder (`ea directory referent ID --notify digest`). Sent once per référent and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from activities.notifications import smtp
from activities.notifications.compose import Recipient, Writer, message_id
from activities.notifications.settings import MailSettings
from activities.registry.database import DIALECT_INSERTS
from activities.registry.queries import CaseFilter, reviews_due
from activities.registry.schema import Beneficiary, Case, Digest, Referent, Structure, SupportRequest


@dataclass(frozen=True)
class Line:
    case_id: str
    person: str
    moment: datetime
    what: str
    late: bool


def today(settings: MailSettings) -> date:
    return datetime.now(ZoneInfo(settings.time_zone)).date()


def lines(session: Session, referent_id: str, day: date, settings: MailSettings) -> list[Line]:
    """The day's work of one référent: reviews due by midnight, then open requests, the latest last."""
    zone, now = ZoneInfo(settings.time_zone), datetime.now(timezone.utc)
    midnight = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    reviews = [Line(case.id, _person(session, case), case.next_review_due, "revue périodique", bool(case.overdue))
               for case in reviews_due(session, midnight, CaseFilter(referent_id=referent_id)) if case.next_review_due]  # fmt: skip
    query = (select(SupportRequest, Case).join(Case, Case.id == SupportRequest.case_id)
             .where(Case.referent_id == referent_id, SupportRequest.status == "open").order_by(SupportRequest.deadline))  # fmt: skip
    requests = [Line(case.id, _person(session, case), request.deadline, f"réponse à la demande {request.request_id}",
                     request.deadline.replace(tzinfo=request.deadline.tzinfo or timezone.utc) < now)
                for request, case in session.execute(query)]  # fmt: skip
    return reviews + requests


def _person(session: Session, case: Case) -> str:
    person = session.get(Beneficiary, case.beneficiary_id) if case.beneficiary_id else None
    return f"{person.first_name} {person.last_name}" if person else "—"


class Digests:
    def __init__(self, engine: Engine, settings: MailSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.writer = Writer(settings)

    def send(self, day: date) -> int:
        """Every digest of `day` not sent yet; returns how many were sent now. Raises
        smtp.SmtpFailed when the server is down (the activity is retried; nothing is marked)."""
        sent = 0
        with Session(self.engine) as session:
            referents = list(session.scalars(select(Referent).where(Referent.notify == "digest", Referent.email.is_not(None))))
        for referent in referents:
            with Session(self.engine) as session:
                work = lines(session, referent.id, day, self.settings)
                structure = session.get(Structure, referent.structure_id) if referent.structure_id else None
            if work and self._claim(referent.id, day, len(work)):
                key = f"ea.digest.{referent.id}.{day.isoformat()}"
                message = self.writer.write("digest", Recipient(referent.name, referent.email or ""),
                                            {"lines": work, "day": day, "structure": structure, "link": None, "recipient_id": referent.id}, key)  # fmt: skip
                with smtp.connection(self.settings) as server:
                    refused = smtp.deliver(server, message)
                if refused is not None:
                    raise smtp.SmtpFailed(refused)
                self._mark(referent.id, day, referent.email or "", message_id(key, self.settings))
                sent += 1
        return sent

    def _claim(self, referent_id: str, day: date, items: int) -> bool:
        """True unless that digest was sent already (one left `sending` by a failed attempt is sent again)."""
        insert = DIALECT_INSERTS[self.engine.dialect.name]
        with Session(self.engine) as session, session.begin():
            session.execute(insert(Digest).values(referent_id=referent_id, day=day, status="sending", items=items)
                            .on_conflict_do_nothing(index_elements=["referent_id", "day"]))  # fmt: skip
            row = session.scalars(select(Digest).where(Digest.referent_id == referent_id, Digest.day == day)).one()
            return row.status != "sent"

    def _mark(self, referent_id: str, day: date, address: str, sent_id: str) -> None:
        with Session(self.engine) as session, session.begin():
            row = session.scalars(select(Digest).where(Digest.referent_id == referent_id, Digest.day == day)).one()
            row.status, row.sent_at, row.address, row.message_id = "sent", datetime.now(timezone.utc), address, sent_id
