"""Plausible dates: the one rule set every dated step and every opening goes through.

A date a coordinator types can be wrong in ways no field type sees: a birth date in the future,
a signature before the prescription, a consent before the case existed. Each dated step names
its date and the earlier event it cannot precede; the future is refused for all of them. Pure:
`today` is given (the workflow's clock in a validator, the calendar at the CLI's edge).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from operator import attrgetter

from workflows.case.model import (
    CaseState,
    CompleteReview,
    GiveConsent,
    RecordChangeOfPost,
    RecordContact,
    RecordHiring,
    RecordAdaptation,
    RecordEvidence,
    RecordJobLoss,
    RecordPrescription,
    RecordTraining,
    SignAmendment,
    SignConvention,
    StepInput,
    SubmitEvaluation,
    SubmitProject,
    TrainingStatus,
    WithdrawConsent,
)
from workflows.case.refusals import Refusal, RefusalCode, refusal
from workflows.case.rules import age_on

SLACK = timedelta(days=1)
"""The server's clock is UTC, a coordinator's day is Paris time: one day either way is allowed."""
OLDEST_AGE = 120
"""Nobody alive is older: a birth date further back is a typing error."""

class Dated(StrEnum):
    """What a date refusal names — the date refused (`what`) and the earlier event it may not
    precede (`earlier`) — as codes: the CLI and the web each say them in their own words."""

    OPENING = "opening"
    CONSENT = "consent"
    WITHDRAWAL = "withdrawal"
    PRESCRIPTION = "prescription"
    SIGNATURE = "signature"
    EVALUATION = "evaluation"
    PROJECT = "project"
    JOB_START = "job_start"
    JOB_END = "job_end"
    CHANGE_OF_POST = "change_of_post"
    REVIEW = "review"
    CONTACT = "contact"
    ADAPTATION = "adaptation"
    VALIDITY_START = "validity_start"
    TRAINING = "training"


Earlier = Callable[[CaseState], tuple[Dated | None, date | None]]
"""The event a step's date cannot precede, and its date (None: none yet)."""


def _none(state: CaseState) -> tuple[Dated | None, date | None]:
    return None, None


def _opening(state: CaseState) -> tuple[Dated | None, date | None]:
    return Dated.OPENING, state.opened_at.date()


def _consent(state: CaseState) -> tuple[Dated | None, date | None]:
    return (Dated.CONSENT, state.consent_given_on) if state.consent_given_on else _opening(state)


def _prescription(state: CaseState) -> tuple[Dated | None, date | None]:
    return Dated.PRESCRIPTION, state.prescription.dated if state.prescription else None


def _evaluation(state: CaseState) -> tuple[Dated | None, date | None]:
    return (Dated.EVALUATION, state.evaluated_on) if state.evaluated_on else _opening(state)


def _job_start(state: CaseState) -> tuple[Dated | None, date | None]:
    """The earliest known start of the jobs held (an employee's job at opening may have none)."""
    starts = [job.start_date for job in state.current_jobs if job.start_date is not None]
    return (Dated.JOB_START, min(starts)) if starts else _none(state)


EARLIER: frozenset[Dated] = frozenset({Dated.OPENING, Dated.CONSENT, Dated.PRESCRIPTION, Dated.EVALUATION, Dated.JOB_START})
"""The events a refusal may name as `earlier`."""


@dataclass(frozen=True)
class DateRule:
    what: Dated
    """The date refused."""
    field: str
    """Where the step's input holds it (a dotted path)."""
    after: Earlier = _none
    may_come: Callable[[StepInput], bool] = lambda _data: False
    """Whether this date may lie ahead (a training planned, say)."""


RULES: dict[type[StepInput], DateRule] = {
    GiveConsent: DateRule(Dated.CONSENT, "given_on", _opening),
    WithdrawConsent: DateRule(Dated.WITHDRAWAL, "withdrawn_on", _consent),
    # A CDAPH decision often precedes the case: only the future is refused (the age rule does the rest).
    RecordPrescription: DateRule(Dated.PRESCRIPTION, "prescription.dated"),
    SignConvention: DateRule(Dated.SIGNATURE, "signed_on", _prescription),
    SignAmendment: DateRule(Dated.SIGNATURE, "signed_on", _opening),
    SubmitEvaluation: DateRule(Dated.EVALUATION, "completed_on", _opening),
    SubmitProject: DateRule(Dated.PROJECT, "agreed_on", _evaluation),
    RecordHiring: DateRule(Dated.JOB_START, "start_date", _opening),
    RecordJobLoss: DateRule(Dated.JOB_END, "ended_on"),  # which job ends, and its start: the decision's check
    RecordChangeOfPost: DateRule(Dated.CHANGE_OF_POST, "effective_on", _job_start),
    CompleteReview: DateRule(Dated.REVIEW, "held_on", _opening),
    RecordContact: DateRule(Dated.CONTACT, "on", _opening),
    RecordAdaptation: DateRule(Dated.ADAPTATION, "on", _opening),
    # An RQTH or a CDAPH decision usually precedes the case: only the future is refused.
    RecordEvidence: DateRule(Dated.VALIDITY_START, "valid_from"),
    RecordTraining: DateRule(Dated.TRAINING, "on", may_come=lambda data: data.status is TrainingStatus.PLANNED),  # type: ignore[attr-defined]
}
"""Each dated step: its date, and the earlier event it cannot precede."""


def not_in_future(day: date, today: date, what: Dated) -> Refusal | None:
    if day > today + SLACK:
        return refusal(RefusalCode.DATE_IN_FUTURE, what=what, date=day.isoformat())
    return None


def step_date_refusal(state: CaseState, data: StepInput, today: date) -> Refusal | None:
    """Why a step's date cannot be true on this case, or None (steps without a date pass)."""
    rule = RULES.get(type(data))
    if rule is None:
        return None
    day: date = attrgetter(rule.field)(data)
    earlier, earliest = rule.after(state)
    if earliest is not None and day < earliest - SLACK:
        return refusal(RefusalCode.DATE_BEFORE, what=rule.what, date=day.isoformat(), earlier=earlier, earlier_date=earliest.isoformat())
    return None if rule.may_come(data) else not_in_future(day, today, rule.what)


def birth_date_refusal(birth_date: date, today: date) -> Refusal | None:
    """A birth date neither in the future nor more than OLDEST_AGE years ago."""
    if birth_date > today or age_on(birth_date, today) > OLDEST_AGE:
        return refusal(RefusalCode.BIRTH_DATE_IMPLAUSIBLE, date=birth_date.isoformat(), today=today.isoformat(), oldest_age=OLDEST_AGE)
    return None
