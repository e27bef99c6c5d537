"""The notification activities, bound to the registry and the SMTP settings (read by the worker
from its environment: neither addresses nor credentials travel through Temporal)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notifications.digest import Digests, today
from activities.notifications.sender import Outbox
from activities.notifications.settings import MailSettings
from activities.notifications.smtp import SmtpFailed
from activities.registry.journal import unavailable
from workflows.contracts import DigestOrder, SendSummary


class Notifications:
    def __init__(self, engine: Engine, settings: MailSettings) -> None:
        self.settings = settings
        self.outbox = Outbox(engine, settings)
        self.digests = Digests(engine, settings)

    @activity.defn(name="send_notifications")
    def send_notifications(self) -> SendSummary:
        """Send the outbox's due messages; an SMTP server that is down is the outbox's business
        (backoff, then an alert), so this fails only when the registry does."""
        try:
            return self.outbox.send_due(activity.heartbeat)
        except DBAPIError as error:
            raise unavailable(error) from None

    @activity.defn(name="send_digests")
    def send_digests(self, order: DigestOrder) -> int:
        """The day's digests not sent yet; Temporal retries while the SMTP server is down."""
        try:
            return self.digests.send(order.day or today(self.settings))
        except SmtpFailed as down:
            raise ApplicationError(f"SMTP server unavailable: {down}", type="SmtpUnavailable") from None
        except DBAPIError as error:
            raise unavailable(error) from None
