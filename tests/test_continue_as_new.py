"""Open-ended support: the run continues-as-new before its history grows, carrying everything."""

from __future__ import annotations

from datetime import timedelta

from starter.cases import apply_step, workflow_id
from tests.builders import eventually
from starter.scripted import COORDINATOR, TODAY, Cases
from workflows.case.model import AlertKind, CaseSettings, CaseState, ContactKind, Phase, RecordContact, RequestKind, Situation, Step, SubmitEmployerRequest

LOW_BOUND = CaseSettings(history_limit=100, request_response_within=timedelta(seconds=20))
"""A request due after the thirty reviews even on a slow machine, escalated in a later run."""


async def test_continue_as_new_keeps_the_whole_state_and_its_timers(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", settings=LOW_BOUND)
    walked = await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    handle = cases.client.get_workflow_handle(workflow_id(case_id))
    first_run = (await handle.describe()).run_id
    request = await cases.request(case_id, "emp-acme")
    runs_at_request = (await cases.status(case_id)).runs

    for _ in range(30):
        await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)

    async def rolled_over() -> bool:
        return (await handle.describe()).run_id != first_run

    await eventually(rolled_over, seconds=3)  # the bound of 100 events was crossed long ago
    state = await cases.status(case_id)
    assert state.runs > runs_at_request
    assert state.review.held == 30
    assert state.seq == walked.seq + 1 + 30, "the request and thirty reviews: no event lost or doubled"
    assert state.request(request.request_id).status == "open"
    assert not state.request(request.request_id).escalated, "its deadline is still ahead"
    assert state.phase is Phase.IN_JOB_SUPPORT and len(state.transitions) == 5

    async def escalated_in_a_later_run() -> CaseState | None:
        current = await cases.status(case_id)
        return current if any(a.kind is AlertKind.REQUEST_OVERDUE for a in current.alerts) else None

    await eventually(escalated_in_a_later_run, seconds=40)
    history = await handle.fetch_history()
    assert len(history.events) <= LOW_BOUND.history_limit + 20, "each run's history stays bounded"


async def test_a_step_retried_with_its_id_across_continue_as_new_is_taken_once(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", settings=LOW_BOUND)
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    handle = cases.client.get_workflow_handle(workflow_id(case_id))
    first_run = (await handle.describe()).run_id
    contact = RecordContact(on=TODAY, kind=ContactKind.WORKPLACE, actor=COORDINATOR)
    await apply_step(cases.client, case_id, contact, request_id="contact-visit-1")
    asking = SubmitEmployerRequest(employer_id="emp-acme", kind=RequestKind.MEDIATION, actor=COORDINATOR)
    first = await apply_step(cases.client, case_id, asking, request_id="ask-1")
    await apply_step(cases.client, case_id, asking, request_id="ask-2")
    for _ in range(30):
        await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)

    async def rolled_over() -> bool:
        return (await handle.describe()).run_id != first_run

    await eventually(rolled_over, seconds=3)
    before = await cases.status(case_id)
    again = await apply_step(cases.client, case_id, contact, request_id="contact-visit-1")
    assert before.contacts == 1 and again.seq == before.seq, "the retry took nothing"
    assert await apply_step(cases.client, case_id, asking, request_id="ask-1") == first, "its own request, not the last one"
    other = await apply_step(cases.client, case_id, contact, request_id="contact-visit-2")
    assert other.seq == before.seq + 1 and (await cases.status(case_id)).contacts == 2, "another id is another contact"
