"""What the notification tests share: a real SMTP server on loopback (aiosmtpd) that records
what it accepted, a worker whose SMTP settings point at it, and the sender run once as its
Schedule would run it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller
from temporalio.testing import WorkflowEnvironment

from activities.notifications.settings import MailSettings
from activities.registry.journal import Registry
from starter.scripted import Cases
from tests.harness import running_worker
from workflows.contracts import SendSummary
from workflows.notifying import NotificationSenderWorkflow

FAST = dict(escalate_after=timedelta(seconds=3), backoff=timedelta(milliseconds=300), backoff_cap=timedelta(seconds=1),
            max_attempts=3, lease=timedelta(seconds=1), timeout=timedelta(seconds=5))  # fmt: skip
"""Every patience of the sender in seconds."""


@dataclass
class Inbox:
    """The aiosmtpd handler: every message the server accepted, in order."""

    messages: list[EmailMessage] = field(default_factory=list)
    on_data: Callable[[EmailMessage], None] | None = None

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's naming)
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        self.messages.append(message)  # type: ignore[arg-type]
        if self.on_data is not None:
            self.on_data(message)  # type: ignore[arg-type]
        return "250 OK"

    def keyed(self, fragment: str) -> list[EmailMessage]:
        """Messages whose outbox key (X-EA-Idempotency-Key) contains `fragment`."""
        return [m for m in self.messages if fragment in str(m["X-EA-Idempotency-Key"])]

    def bodies(self) -> list[str]:
        return [part.get_content() for m in self.messages for part in m.walk() if part.get_content_maintype() == "text"]


@asynccontextmanager
async def smtp_server(port: int, inbox: Inbox | None = None) -> AsyncIterator[Inbox]:
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Notifying:
    """A worker of its own whose mail goes to `settings`' server, and cases it runs."""

    env: WorkflowEnvironment
    task_queue: str
    registry: Registry
    cases: Cases

    async def send_now(self) -> SendSummary:
        """One run of the sender, as the `ea-notifications` Schedule starts it every minute."""
        return await self.env.client.execute_workflow(NotificationSenderWorkflow.run, id=f"send-{uuid.uuid4().hex[:8]}",
                                                      task_queue=self.task_queue)  # fmt: skip


@asynccontextmanager
async def notifying_worker(env: WorkflowEnvironment, registry: Registry, settings: MailSettings) -> AsyncIterator[Notifying]:
    async with running_worker(env, registry, mail=settings) as task_queue:
        yield Notifying(env, task_queue, registry, Cases(env.client, task_queue, registry.engine))
