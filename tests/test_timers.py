"""Timers on the real server, with per-case durations in seconds: reminders, reviews, escalations."""

from __future__ import annotations

from datetime import timedelta

from tests.builders import SECONDS, eventually
from starter.scripted import TODAY, Cases
from workflows.case.model import AlertKind, CaseState, Intensity, Party, Phase, ResponseOutcome, Situation, Step


def alerts(state: CaseState, kind: AlertKind) -> int:
    return sum(1 for alert in state.alerts if alert.kind is kind)


async def test_a_pending_phase_sends_reminders_until_it_moves(cases: Cases) -> None:
    case_id = await cases.open(settings=SECONDS)

    async def two_reminders() -> CaseState | None:
        state = await cases.status(case_id)
        return state if alerts(state, AlertKind.PHASE_REMINDER) >= 2 else None

    state = await eventually(two_reminders)
    assert {a.phase for a in state.alerts} == {Phase.CONSENT}
    moved = await cases.step(case_id, Step.GIVE_CONSENT, given_on=TODAY)
    assert moved.reminders_sent == 0, "the count starts again in the new phase"


async def test_a_year_of_monthly_reviews_runs_in_seconds(cases: Cases) -> None:
    settings = SECONDS.model_copy(update={"in_job_review_every": timedelta(milliseconds=400)})
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", settings=settings)
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)

    for month in range(1, 13):

        async def review_announced(month: int = month) -> CaseState | None:
            state = await cases.status(case_id)
            return state if alerts(state, AlertKind.REVIEW_DUE) >= month else None

        await eventually(review_announced)
        await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)

    state = await cases.status(case_id)
    assert state.review.held == 12
    assert alerts(state, AlertKind.REVIEW_OVERDUE) == 0
    assert state.review.next_due is not None and not state.review.overdue


async def test_a_review_not_held_in_time_is_escalated(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", settings=SECONDS)
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)

    async def escalated() -> CaseState | None:
        state = await cases.status(case_id)
        return state if state.review.overdue else None

    state = await eventually(escalated)
    assert alerts(state, AlertKind.REVIEW_DUE) == 1
    assert alerts(state, AlertKind.REVIEW_OVERDUE) == 1
    state = await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)
    assert not state.review.overdue, "holding the review clears the escalation"


async def test_an_employer_request_answered_in_time_is_not_escalated(cases: Cases) -> None:
    settings = SECONDS.model_copy(update={"request_response_within": timedelta(seconds=2)})
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", settings=settings)
    await cases.walk_to(case_id, Phase.PRESCRIPTION)
    answered = await cases.request(case_id, "emp-acme", kind="workstation_adaptation")
    late = await cases.request(case_id, "emp-acme", kind="difficulty_alert")
    assert late.deadline - answered.deadline < timedelta(seconds=2)
    await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=answered.request_id, outcome=ResponseOutcome.MEETING_SCHEDULED)

    async def late_escalated() -> CaseState | None:
        state = await cases.status(case_id)
        return state if alerts(state, AlertKind.REQUEST_OVERDUE) else None

    state = await eventually(late_escalated)
    escalations = [a for a in state.alerts if a.kind is AlertKind.REQUEST_OVERDUE]
    assert [a.request_id for a in escalations] == [late.request_id]
    assert state.request(late.request_id).escalated
    assert not state.request(answered.request_id).escalated
    assert state.open_requests == 1


async def test_a_shorter_cadence_applies_to_the_current_period(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    before = await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    assert before.intensity is Intensity.INTENSIVE, "support starts intensive"

    async def amended(**change: object) -> CaseState:
        """The cadence changes by an amendment; it applies once the three parties have signed."""
        current = await cases.status(case_id)
        proposed = await cases.step(case_id, Step.SET_REVIEW_CADENCE, **change)
        assert proposed.settings == current.settings, "nothing changes before the parties sign"
        for party in (Party.BENEFICIARY, Party.STRUCTURE, Party.EMPLOYER):
            signed = await cases.step(case_id, Step.SIGN_AMENDMENT, party=party, signed_on=TODAY)
        return signed

    after = await amended(in_job_review_every=timedelta(days=10))
    assert before.review.next_due - after.review.next_due == timedelta(days=20), "30 days intensive, now 10"
    assert after.settings.intensive_in_job_review_every == timedelta(days=10)
    light = await amended(in_job_review_every=timedelta(days=60), level="light")
    assert light.review.next_due == after.review.next_due, "the light cadence waits until support is light"
    assert light.settings.in_job_review_every == timedelta(days=60)
