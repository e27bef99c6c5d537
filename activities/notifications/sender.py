"""The sender: the outbox's due messages, claimed, sent by SMTP, marked.

Protocol, per message: claim it (status `sending`, one more attempt, committed), hand it to the
SMTP server, then mark it `sent` in its own transaction. A failure puts it back `pending` after a
backoff that doubles; after `max_attempts` it is `failed` and an alert goes to the case's journal.

**The at-least-once window.** SMTP has no way to ask the server whether it already took a
message, so a sender that dies after the server's 250 and before the mark commits leaves a
message `sending`; once its lease has expired the next sender sends it again, with the same
Message-ID and `X-EA-Idempotency-Key` (compose.py), which mail servers and our local catcher
use to keep one copy. The window is one message wide: each is marked as soon as it is accepted.
Nothing is ever lost: a message leaves the outbox only as sent, failed (with an alert),
cancelled (an escalation whose work was done meanwhile) or left to the référent's digest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from email.message import EmailMessage

from sqlalchemy import Engine, and_, or_, select
from sqlalchemy.orm import Session

from activities.notifications import smtp
from activities.notifications.compose import NoAddress, Writer, message_context, outbox_key, recipient
from activities.notifications.outbox import DIGESTIBLE, ESCALATIONS, Kind
from activities.notifications.settings import MailSettings
from activities.registry.acts import record_act
from activities.registry.schema import Case, JournalRow, Notification, Referent, Review, SupportRequest
from workflows.case.events import NotificationFailed
from workflows.case.model import Actor, ActorRole
from workflows.contracts import SendSummary

SENDER = Actor(role=ActorRole.SYSTEM, id="ea-notifications")
BATCH = 200


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Outbox:
    def __init__(self, engine: Engine, settings: MailSettings) -> None:
        self.engine = engine
        self.settings = settings
        self.writer = Writer(settings)

    def send_due(self, heartbeat: Callable[[], None] = lambda: None) -> SendSummary:
        """Send what is due now, at most BATCH messages (the next run takes the rest)."""
        summary = SendSummary()
        claimed = self._claim(_now())
        if not claimed:
            return summary
        ready = []
        for notification_id in claimed:
            outcome = self._prepare(notification_id)
            if isinstance(outcome, str):
                summary.count(outcome)
            else:
                ready.append((notification_id, outcome))
        try:
            with smtp.connection(self.settings) as server:
                while ready:
                    notification_id, message = ready[0]
                    outcome = self._settle(notification_id, smtp.deliver(server, message))
                    ready.pop(0)
                    summary.count(outcome)
                    heartbeat()
        except smtp.SmtpFailed as down:
            for notification_id, _message in ready:  # not handed over: each waits for its next attempt
                summary.count(self._settle(notification_id, str(down)))
        return summary

    def _claim(self, now: datetime) -> list[int]:
        """Take the due messages for this sender: pending ones whose time has come, and those a
        dead sender left `sending` past their lease. Escalations wait for the escalation delay."""
        due = or_(
            and_(Notification.status == "pending", Notification.next_attempt_at <= now),
            and_(Notification.status == "sending", Notification.claimed_at <= now - self.settings.lease),
        )
        waiting = and_(Notification.kind.in_([k.value for k in ESCALATIONS]),
                       Notification.created_at > now - self.settings.escalate_after)  # fmt: skip
        query = select(Notification).where(due, ~waiting).order_by(Notification.next_attempt_at, Notification.id).limit(BATCH)
        if self.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # two senders never claim the same message
        with Session(self.engine) as session, session.begin():
            rows = list(session.scalars(query))
            for row in rows:
                row.status, row.claimed_at, row.attempts = "sending", now, row.attempts + 1
            return [row.id for row in rows]

    def _prepare(self, notification_id: int) -> str | EmailMessage:
        """The message to send, or what happened instead (digest, cancelled, failed for lack of an address)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(Notification, notification_id)
            assert row is not None
            kind = Kind(row.kind)
            role, _, ident = row.recipient.partition(":")
            if kind in DIGESTIBLE and role == "referent" and _prefers_digest(session, ident):
                row.status = "digest"
                return "digest"
            if kind in ESCALATIONS and _resolved(session, row):
                row.status, row.last_error = "cancelled", "done before the escalation delay"
                return "cancelled"
            try:
                to = recipient(session, row.recipient)
            except NoAddress as missing:
                self._fail(session, row, str(missing))
                return "failed"
            message = self.writer.write(row.kind, to, message_context(session, row, self.settings), outbox_key(row))
            row.subject, row.address, row.message_id = str(message["Subject"])[:200], to.address, str(message["Message-ID"])
            return message

    def _settle(self, notification_id: int, error: str | None) -> str:
        with Session(self.engine) as session, session.begin():
            row = session.get(Notification, notification_id)
            assert row is not None
            if error is None:
                row.status, row.sent_at, row.last_error = "sent", _now(), None
                return "sent"
            if row.attempts >= self.settings.max_attempts:
                self._fail(session, row, error)
                return "failed"
            row.status, row.last_error = "pending", error
            row.next_attempt_at = _now() + self.settings.backoff_after(row.attempts)
            return "retrying"

    @staticmethod
    def _fail(session: Session, row: Notification, reason: str) -> None:
        """Given up: the case's journal says so (`ea history`, `ea notifications`), for someone to
        reach that person another way."""
        row.status, row.last_error = "failed", reason
        case = session.get(Case, row.case_id)
        if case is not None:
            record_act(session, case, NotificationFailed(notification_id=row.id, recipient=row.recipient, kind=row.kind,
                                                         attempts=row.attempts, reason=reason), SENDER)  # fmt: skip


def _prefers_digest(session: Session, referent_id: str) -> bool:
    referent = session.get(Referent, referent_id)
    return referent is not None and referent.notify == "digest"


def _resolved(session: Session, row: Notification) -> bool:
    """The work the escalation is about was done meanwhile (or the case closed): that review held,
    that request answered."""
    case = session.get(Case, row.case_id)
    if case is None or case.closed_at is not None:
        return True
    if row.kind == Kind.REVIEW_ESCALATION:  # the review pending when it became overdue: due before that event
        pending = select(Review.id).where(Review.case_id == row.case_id, Review.seq < row.seq, Review.held_on.is_(None))
        return session.scalar(pending.limit(1)) is None
    detail = session.scalar(select(JournalRow.detail).where(JournalRow.case_id == row.case_id, JournalRow.seq == row.seq)) or {}
    status = session.scalar(select(SupportRequest.status).where(SupportRequest.case_id == row.case_id,
                                                                SupportRequest.request_id == detail.get("request_id")))  # fmt: skip
    return status != "open"
