"""What the workflows and the activities exchange besides the case itself: a case's run input,
caseload seats, report orders and periods, retention plans. Pydantic models, like everything
crossing Temporal; defined outside the workflow modules, which the sandbox executes again for each
new run, so that each model class is built once per process."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from pydantic import model_validator

from workflows.case.events import JournalEntry
from workflows.case.model import Actor, CaseState, Model, OpaqueId, OpenCase, PositiveDuration, Reason


def documents_queue(task_queue: str) -> str:
    """Where a case's documents are rendered: a queue of their own, served by documents workers in
    processes of their own, so that rendering a PDF never delays a case's workflow tasks."""
    return f"{task_queue}-documents"


class CaseInput(Model):
    """A run's input: a new case, or the state carried from the previous run."""

    opening: OpenCase | None = None
    carried: CaseState | None = None
    reopen: bool = False
    actor: Actor | None = None
    """Who reopens (the opening names its own actor)."""
    journal_backlog: list[JournalEntry] = []
    """Journal entries the previous run decided but had not written yet."""

    @model_validator(mode="after")
    def _one_source(self) -> CaseInput:
        if (self.opening is None) == (self.carried is None):
            raise ValueError("give either opening or carried, not both")
        if self.reopen and self.carried is None:
            raise ValueError("reopening needs the closed case's state")
        return self


class SeatRequest(Model):
    """A place for a case in a référent's caseload: refused beyond capacity unless forced with a reason."""

    case_id: OpaqueId
    referent_id: OpaqueId
    actor: Actor
    force_reason: Reason | None = None


class Caseload(Model):
    referent_id: str
    active: int
    """Open cases followed, this one included once it has its place."""
    capacity: int
    forced: bool = False


class Period(Model):
    """Days from start to end, both included; a report's boundaries are UTC midnights."""

    start: date
    end: date

    @model_validator(mode="after")
    def _in_order(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=timezone.utc)

    @property
    def until(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=timezone.utc)

    @classmethod
    def half_year_before(cls, day: date) -> Period:
        """The last half-year (January-June or July-December) that ended before `day`."""
        if day.month >= 7:
            return cls(start=date(day.year, 1, 1), end=date(day.year, 6, 30))
        return cls(start=date(day.year - 1, 7, 1), end=date(day.year - 1, 12, 31))


class ReportOrder(Model):
    """What the six-monthly schedule (or a coordinator) asks for; no period: the last half-year."""

    structure_id: OpaqueId | None = None
    period: Period | None = None


class RetentionSettings(Model):
    """How long a closed, inactive case keeps its person's identity (public services: two years)."""

    inactive_after: PositiveDuration = timedelta(days=730)
    warn_before: PositiveDuration = timedelta(days=30)


class RetentionPlan(Model):
    """What a daily retention run must do: warn some cases, anonymise some people."""

    warn: list[str] = []
    """Case ids whose person will be anonymised in `warn_before`."""
    anonymise: list[str] = []
    """Beneficiary ids whose every case is closed and inactive for `inactive_after`, warned in time."""


class Anonymisation(Model):
    beneficiary_id: OpaqueId
    actor: Actor
    reason: Literal["request", "retention"]


class SendSummary(Model):
    """What one run of the notification sender did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    cancelled: int = 0
    digest: int = 0
    """Left to the référent's daily digest, as they prefer."""

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


class DigestOrder(Model):
    """The digests of one day (None: today, in the platform's time zone)."""

    day: date | None = None
