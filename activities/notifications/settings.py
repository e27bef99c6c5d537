"""The notification settings, from the environment: where to send (SMTP), and how patiently.

The defaults fit `make run`: the local catcher on 127.0.0.1:8025 that `ea run` starts. Durations
are seconds or ISO 8601 (`172800`, `P2D`, `PT30S`), so a demonstration runs in seconds.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Seconds = Annotated[timedelta, Field(gt=timedelta(0))]


class MailSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8025
    security: Literal["none", "starttls", "tls"] = "none"
    """`tls`: TLS from the first byte (port 465); `starttls`: upgraded after EHLO (port 587)."""
    username: str | None = None
    password: str | None = None
    sender: str = "Emploi accompagné <notifications@localhost>"
    app_url: str | None = None
    """The web application, when there is one: messages then link to the case."""
    timeout: Seconds = timedelta(seconds=10)
    escalate_after: Seconds = timedelta(days=2)
    """How long a référent has, after a review or request overdue, before the coordinator is told."""
    max_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    backoff: Seconds = timedelta(minutes=1)
    """The wait after the first failure, doubled at each next one up to `backoff_cap`."""
    backoff_cap: Seconds = timedelta(hours=1)
    lease: Seconds = timedelta(minutes=5)
    """A message claimed this long ago and never marked was in a sender that died (see sender.py)."""
    time_zone: str = "Europe/Paris"
    """The référents' day, for the digest and the dates messages print."""
    calendar_names: bool = False
    """The calendar feed names the person (off: only the case id and the kind of event)."""

    def backoff_after(self, attempts: int) -> timedelta:
        return min(self.backoff * 2 ** max(attempts - 1, 0), self.backoff_cap)


ENVIRONMENT = {
    "host": "EA_SMTP_HOST", "port": "EA_SMTP_PORT", "security": "EA_SMTP_SECURITY", "username": "EA_SMTP_USER",
    "password": "EA_SMTP_PASSWORD", "sender": "EA_MAIL_FROM", "app_url": "EA_APP_URL", "timeout": "EA_SMTP_TIMEOUT",
    "escalate_after": "EA_NOTIFY_ESCALATE_AFTER", "max_attempts": "EA_NOTIFY_MAX_ATTEMPTS", "backoff": "EA_NOTIFY_BACKOFF",
    "backoff_cap": "EA_NOTIFY_BACKOFF_CAP", "lease": "EA_NOTIFY_LEASE", "time_zone": "EA_TIME_ZONE",
    "calendar_names": "EA_CALENDAR_NAMES",
}  # fmt: skip
"""Field → environment variable (the README's Settings table lists them)."""


class BadMailSettings(ValueError):
    pass


def mail_settings_from_env() -> MailSettings:
    values: dict[str, str | int] = {field: os.environ[variable] for field, variable in ENVIRONMENT.items() if os.environ.get(variable)}
    for field, value in values.items():
        if isinstance(MailSettings.model_fields[field].default, timedelta) and str(value).isdigit():
            values[field] = int(value)  # seconds
    try:
        return MailSettings(**values)  # type: ignore[arg-type]
    except ValidationError as error:
        wrong = ", ".join(f"{ENVIRONMENT[str(e['loc'][0])]}: {e['msg']}" for e in error.errors())
        raise BadMailSettings(f"notification settings: {wrong}") from None
