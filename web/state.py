"""What every page of the application shares: the registry, the Temporal client, the settings,
the templates and the clock (a test moves it to prove the idle timeout)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine
from temporalio.client import Client

from starter.cases import apply_step
from starter.settings import ServerUnreachable
from web.settings import WebSettings
from web.words import event_label, label, step_title
from workflows.case.model import StepInput
from workflows.wording import french_date

TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "web"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), trim_blocks=True,
                              lstrip_blocks=True)  # fmt: skip
    environment.filters.update(label=label, step_title=step_title, event=event_label, date_fr=_date_fr, moment_fr=_moment_fr)
    return environment


def _date_fr(value: Any) -> str:
    if value is None:
        return "—"
    return french_date(value.date() if isinstance(value, datetime) else value)


def _moment_fr(value: datetime | None) -> str:
    """« 3 mars 2027 à 14 h 05 », in Paris time (where the platforms work)."""
    if value is None:
        return "—"
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo("Europe/Paris"))
    return f"{french_date(local.date())} à {local.hour} h {local.minute:02d}"


@dataclass
class Web:
    registry: Engine
    connect: Callable[[], Awaitable[Client]]
    """Opens the Temporal client, the first time a page needs it (the pages that read only the
    registry still work while the Temporal server is down)."""
    task_queue: str
    settings: WebSettings
    capacity: int
    now: Callable[[], datetime] = _utcnow
    templates: Environment = field(default_factory=_environment)
    _client: Client | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def client(self) -> Client:
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await self.connect()
                except ServerUnreachable:
                    raise
                except Exception as error:  # an unreachable address, refused TLS: a page a person understands
                    raise ServerUnreachable(str(error)) from None
            return self._client

    async def take(self, case_id: str, data: StepInput, update_id: str | None) -> Any:
        """Send a step through the same client helper as `ea`, with its form's update id (a form sent
        twice is recorded once); StepRefused says why not, TimeoutError when the case is slow to answer."""
        return await asyncio.wait_for(apply_step(await self.client(), case_id, data, request_id=update_id), self.settings.step_wait)
