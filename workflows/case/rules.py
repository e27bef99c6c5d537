"""The rules of a case's life, as data: which step is possible in which phase, who is eligible,
when the next deadline falls, at what cadence reviews come. Each matrix exists once; the step
declarations, the decisions, the CLI's help and the docs read them. Pure: no I/O, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from workflows.case.refusals import Refusal, RefusalCode, refusal
from workflows.case.model import AlertKind, CaseSettings, CaseState, Intensity, Party, Phase, RequestStatus, Situation, Step

OPEN_PHASES: tuple[Phase, ...] = tuple(p for p in Phase if p is not Phase.CLOSED)
PENDING_PHASES: tuple[Phase, ...] = (
    Phase.CONSENT,
    Phase.PRESCRIPTION,
    Phase.CONVENTION,
    Phase.EVALUATION,
    Phase.PROJECT,
)
"""Phases that wait on someone: a reminder goes out when they last too long."""
REVIEWED_PHASES: tuple[Phase, ...] = (Phase.JOB_SEARCH, Phase.IN_JOB_SUPPORT)
"""Phases followed by periodic reviews at the convention's cadence."""

_ANYTIME_STEPS = (
    Step.ASSIGN_REFERENT,
    Step.SET_REVIEW_CADENCE,
    Step.RECORD_CONTACT,
    Step.SUBMIT_EMPLOYER_REQUEST,
    Step.REQUEST_SUPPORT,
    Step.RESPOND_TO_REQUEST,
    Step.RECORD_EVIDENCE,
    Step.LINK_PARTNER,
)
_CLOSING_STEPS = (Step.WITHDRAW_CONSENT, Step.CLOSE)

TRANSITIONS: dict[tuple[Phase, Step], Phase] = {
    (Phase.CONSENT, Step.GIVE_CONSENT): Phase.PRESCRIPTION,
    (Phase.PRESCRIPTION, Step.RECORD_PRESCRIPTION): Phase.CONVENTION,
    # The convention moves on only once every required party has signed (see required_parties).
    (Phase.CONVENTION, Step.SIGN_CONVENTION): Phase.EVALUATION,
    (Phase.EVALUATION, Step.SUBMIT_EVALUATION): Phase.PROJECT,
    (Phase.PROJECT, Step.SUBMIT_PROJECT): Phase.JOB_SEARCH,
    # Placer-former: a person may be hired before the project is done; support follows them.
    (Phase.EVALUATION, Step.RECORD_HIRING): Phase.EVALUATION,
    (Phase.PROJECT, Step.RECORD_HIRING): Phase.IN_JOB_SUPPORT,
    (Phase.JOB_SEARCH, Step.RECORD_HIRING): Phase.IN_JOB_SUPPORT,
    (Phase.IN_JOB_SUPPORT, Step.RECORD_HIRING): Phase.IN_JOB_SUPPORT,
    # A job may end before the convention is signed (an employee, a re-entry after closure): the
    # former employer stops being a party, and the convention moves on once the others have signed.
    (Phase.CONSENT, Step.RECORD_JOB_LOSS): Phase.CONSENT,
    (Phase.PRESCRIPTION, Step.RECORD_JOB_LOSS): Phase.PRESCRIPTION,
    (Phase.CONVENTION, Step.RECORD_JOB_LOSS): Phase.EVALUATION,
    (Phase.EVALUATION, Step.RECORD_JOB_LOSS): Phase.EVALUATION,
    (Phase.PROJECT, Step.RECORD_JOB_LOSS): Phase.PROJECT,
    (Phase.IN_JOB_SUPPORT, Step.RECORD_JOB_LOSS): Phase.JOB_SEARCH,
    (Phase.IN_JOB_SUPPORT, Step.RECORD_CHANGE_OF_POST): Phase.EVALUATION,
    (Phase.JOB_SEARCH, Step.COMPLETE_REVIEW): Phase.JOB_SEARCH,
    (Phase.IN_JOB_SUPPORT, Step.COMPLETE_REVIEW): Phase.IN_JOB_SUPPORT,
    (Phase.JOB_SEARCH, Step.SET_INTENSITY): Phase.JOB_SEARCH,
    (Phase.IN_JOB_SUPPORT, Step.SET_INTENSITY): Phase.IN_JOB_SUPPORT,
    **{(phase, Step.RECORD_TRAINING): phase for phase in (Phase.EVALUATION, Phase.PROJECT, *REVIEWED_PHASES)},
    # Adaptations are studied with an employer, from the convention on.
    **{(phase, Step.RECORD_ADAPTATION): phase for phase in (Phase.CONVENTION, Phase.EVALUATION, Phase.PROJECT, *REVIEWED_PHASES)},
    # Amendments follow the signed convention (a hiring, a change of cadence), in any later phase.
    **{(phase, Step.SIGN_AMENDMENT): phase for phase in (Phase.EVALUATION, Phase.PROJECT, *REVIEWED_PHASES)},
    **{(phase, Step.NAME_REPRESENTATIVE): phase for phase in OPEN_PHASES},
    (Phase.CLOSED, Step.REOPEN): Phase.CONSENT,
    **{(phase, step): Phase.CLOSED for phase in OPEN_PHASES for step in _CLOSING_STEPS},
    **{(phase, step): phase for phase in OPEN_PHASES for step in _ANYTIME_STEPS},
}

SKIPPED_WHEN_EMPLOYED: dict[Phase, Phase] = {Phase.JOB_SEARCH: Phase.IN_JOB_SUPPORT}
"""Job search is only for those without a job: an employed person goes straight on."""


def possible_steps(phase: Phase) -> list[Step]:
    return [step for (p, step) in TRANSITIONS if p is phase]


def next_phase(phase: Phase, step: Step, *, employed: bool) -> Phase:
    target = TRANSITIONS[(phase, step)]
    if employed and target is not phase:
        return SKIPPED_WHEN_EMPLOYED.get(target, target)
    return target


def required_parties(state: CaseState) -> list[Party]:
    """The beneficiary and the structure always sign; the employer does when there is one."""
    parties = [Party.BENEFICIARY, Party.STRUCTURE]
    if state.employer_id is not None:
        parties.append(Party.EMPLOYER)
    return parties


# --- Eligibility (D5213-89) -------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityRules:
    """Kept as one adjustable table: the law moves, the code should not have to."""

    minimum_age: int = 16
    situations: frozenset[Situation] = frozenset(Situation)


ELIGIBILITY = EligibilityRules()


def age_on(birth_date: date, day: date) -> int:
    before_birthday = (day.month, day.day) < (birth_date.month, birth_date.day)
    return day.year - birth_date.year - before_birthday


def eligibility_refusal(birth_date: date, situation: Situation | None, on: date,
                        rules: EligibilityRules = ELIGIBILITY) -> Refusal | None:  # fmt: skip
    """Every rule the person fails on the prescription date, in one refusal; None when eligible."""
    failures = []
    age = age_on(birth_date, on)
    if age < rules.minimum_age:
        failures.append(refusal(RefusalCode.TOO_YOUNG, age=age, on=on.isoformat(), minimum_age=rules.minimum_age))
    if situation is None:
        failures.append(refusal(RefusalCode.NO_SITUATION, allowed=", ".join(sorted(rules.situations))))
    elif situation not in rules.situations:
        failures.append(refusal(RefusalCode.SITUATION_NOT_OPEN, situation=situation))
    if not failures:
        return None
    return failures[0].model_copy(update={"also": tuple(failures[1:])})


# --- Deadlines: what the case's timers wait for -----------------------------------------------


@dataclass(frozen=True)
class Deadline:
    at: datetime
    kind: AlertKind
    request_id: str | None = None
    """The request it is about; for an expiring piece of evidence, its kind."""


CADENCE_FIELDS: dict[tuple[Phase, Intensity], str] = {
    (Phase.JOB_SEARCH, Intensity.INTENSIVE): "intensive_job_search_review_every",
    (Phase.JOB_SEARCH, Intensity.LIGHT): "job_search_review_every",
    (Phase.IN_JOB_SUPPORT, Intensity.INTENSIVE): "intensive_in_job_review_every",
    (Phase.IN_JOB_SUPPORT, Intensity.LIGHT): "in_job_review_every",
}
"""Which setting holds the cadence of reviews in each reviewed phase at each intensity."""


def cadence(settings: CaseSettings, phase: Phase, level: Intensity) -> timedelta | None:
    """Reviews' cadence in a phase at a level of intensity; None when dormant or not reviewed."""
    field = CADENCE_FIELDS.get((phase, level))
    return getattr(settings, field) if field else None


def follow_up(settings: CaseSettings) -> dict[str, dict[str, timedelta | None]]:
    """Every cadence the case runs with, by phase and level: what the convention promises."""
    return {phase.value: {level.value: cadence(settings, phase, level) for level in Intensity} for phase in REVIEWED_PHASES}


def review_interval(state: CaseState, phase: Phase) -> timedelta | None:
    """The cadence of reviews at the case's intensity; None when dormant or not reviewed.

    A case without an intensity (opened before intensities existed) keeps the light cadence."""
    return cadence(state.settings, phase, state.intensity or Intensity.LIGHT)


def deadlines(state: CaseState) -> list[Deadline]:
    """Every alert still to come, derived from the state alone so it survives continue-as-new."""
    pending: list[Deadline] = []
    if state.phase in PENDING_PHASES:
        at = state.phase_since + state.settings.reminder_after * (state.reminders_sent + 1)
        pending.append(Deadline(at, AlertKind.PHASE_REMINDER))
    review = state.review
    if review.next_due is not None:
        if not review.announced:
            pending.append(Deadline(review.next_due, AlertKind.REVIEW_DUE))
        if not review.overdue:
            pending.append(Deadline(review.next_due + state.settings.review_grace, AlertKind.REVIEW_OVERDUE))
    pending.extend(
        Deadline(request.deadline, AlertKind.REQUEST_OVERDUE, request.request_id)
        for request in state.requests
        if request.status is RequestStatus.OPEN and not request.escalated
    )
    pending.extend(
        Deadline(expires - state.settings.evidence_warning_before, AlertKind.EVIDENCE_EXPIRING, evidence.kind)
        for evidence in state.evidence
        if (expires := evidence.expires_at()) is not None and not evidence.warned
    )
    return pending
