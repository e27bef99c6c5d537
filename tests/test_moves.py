"""Moves back and out: withdrawal of consent, job loss, change of post, closing and reopening."""

from __future__ import annotations

import pytest

from activities.registry.journal import Registry
from starter.cases import StepRefused, reopen_case
from starter.scripted import COORDINATOR, TODAY, Cases
from workflows.case.model import ClosureReason, Phase, RequestStatus, Situation, Step
from workflows.case.rules import OPEN_PHASES


@pytest.mark.parametrize("phase", OPEN_PHASES)
async def test_withdrawing_consent_closes_the_case_from_any_phase(cases: Cases, phase: Phase) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    await cases.walk_to(case_id, phase)
    state = await cases.step(case_id, Step.WITHDRAW_CONSENT, withdrawn_on=TODAY)
    assert state.phase is Phase.CLOSED
    assert state.closure is not None and state.closure.reason is ClosureReason.CONSENT_WITHDRAWN
    final = await cases.final_state(case_id)
    assert final.phase is Phase.CLOSED


async def test_job_loss_returns_to_job_search_without_a_new_prescription(cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    state = await cases.step(case_id, Step.RECORD_JOB_LOSS, ended_on=TODAY)
    assert state.phase is Phase.JOB_SEARCH
    assert state.employer_id is None and state.employments[-1].ended_on == TODAY
    assert state.review.next_due is not None, "job search has its own review cadence"
    state = await cases.hire(case_id, employer_id="emp-second")
    assert state.phase is Phase.IN_JOB_SUPPORT
    assert [a.employer_id for a in state.amendments] == ["emp-hiring", "emp-second"]


async def test_change_of_post_returns_to_evaluation_then_back_to_support(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    state = await cases.step(case_id, Step.RECORD_CHANGE_OF_POST, effective_on=TODAY)
    assert state.phase is Phase.EVALUATION
    await cases.step(case_id, Step.SUBMIT_EVALUATION, completed_on=TODAY)
    state = await cases.step(case_id, Step.SUBMIT_PROJECT, agreed_on=TODAY)
    assert state.phase is Phase.IN_JOB_SUPPORT, "still employed: job search is skipped"


async def test_hiring_during_the_project_goes_straight_to_support(cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.PROJECT)
    state = await cases.hire(case_id)
    assert state.phase is Phase.IN_JOB_SUPPORT


async def test_closing_cancels_open_requests(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    await cases.walk_to(case_id, Phase.PRESCRIPTION)
    await cases.request(case_id, "emp-acme")
    state = await cases.step(case_id, Step.CLOSE, reason=ClosureReason.PERSONS_CHOICE)
    assert [r.status for r in state.requests] == [RequestStatus.CANCELLED]
    assert state.open_requests == 0


async def test_a_closed_case_reopens_with_its_past_kept(cases: Cases, registry: Registry) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    await cases.step(case_id, Step.CLOSE, reason=ClosureReason.GOALS_REACHED)
    closed = await cases.final_state(case_id)

    reopened = await reopen_case(cases.client, cases.task_queue, case_id, COORDINATOR)

    assert reopened.phase is Phase.CONSENT
    assert reopened.transitions[: len(closed.transitions)] == closed.transitions
    assert reopened.transitions[-1].step is Step.REOPEN
    assert reopened.consent_given_on is None and reopened.prescription is None and reopened.signatures == {}
    assert reopened.employer_id == "emp-hiring", "still employed: support will skip job search"
    state = await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    assert state.runs == closed.runs + 1
    assert Phase.JOB_SEARCH not in [t.to_phase for t in state.transitions[len(closed.transitions) :]]
    await cases.step(case_id, Step.CLOSE, reason=ClosureReason.MOVED_AWAY)
    final = await cases.final_state(case_id)
    assert [e.seq for e in registry.journal(case_id)] == list(range(1, final.seq + 1))


async def test_only_a_closed_case_reopens(cases: Cases) -> None:
    case_id = await cases.open()
    with pytest.raises(StepRefused, match=r"is open \(phase consent\); only a closed case can be reopened"):
        await reopen_case(cases.client, cases.task_queue, case_id, COORDINATOR)
