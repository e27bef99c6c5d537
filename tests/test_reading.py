"""What a coordinator reads: refusals name the command they typed, `ea steps` lists every command a
refusal can name, `ea status` shows the case's alerts and no intensity once closed, and `ea history`
shows every event with who acted and why."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from starter.cases import apply_step
from starter.commands.lifecycle import step_rows
from starter.refusals import explain
from starter.scripted import COORDINATOR, TODAY, Cases
from tests.builders import eventually
from tests.cli_runner import Ea
from workflows.case import decisions, steps
from workflows.case.model import Actor, ActorRole, AlertKind, AssignReferent, OpenCase, Phase, Situation, Step
from workflows.case.rules import possible_steps
from workflows.case.steps import EVERY_STEP, VERBS

STEP_NAMES = [step.value for step in Step]
NOW = datetime(2027, 1, 4, 9, tzinfo=timezone.utc)
OPENING = OpenCase(case_id="C1", structure_id="s-1", birth_date=date(1990, 1, 1), referent_id="ref-1", employer_id="emp-1",
                   beneficiary_id="B1", actor=COORDINATOR)  # fmt: skip


@pytest.mark.parametrize("declaration", EVERY_STEP, ids=lambda d: d.verb)
def test_a_role_refusal_names_the_command_typed_never_the_step(declaration: steps.StepDeclaration) -> None:
    state, _ = decisions.open_case(OPENING, NOW)
    for role in set(ActorRole) - declaration.roles:
        reason = decisions.actor_refusal(state, Actor(role=role, id="x-1"), declaration)
        assert reason is not None
        sentence = explain(reason)
        assert f"`ea {declaration.verb}`" in sentence
        assert not any(name in sentence for name in STEP_NAMES if name != declaration.verb), sentence


@pytest.mark.parametrize("phase", list(Phase))
def test_every_command_a_refusal_suggests_is_listed_by_ea_steps(phase: Phase) -> None:
    listed = {row["command"]: row for row in step_rows()}
    for step in possible_steps(phase):
        assert VERBS[step.value] in listed and phase.value in listed[VERBS[step.value]]["phases"]


async def test_a_stranger_reads_which_command_was_refused(cli: Ea, cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH)
    refused = await cli("--actor", "employer:emp-1", "assign", case_id, "ref-1")
    assert refused.exit_code == 4 and "a employer may not use `ea assign`; it is for: coordinator" in refused.stderr
    reopen = await cli("--actor", "referent:ref-1", "reopen", case_id)
    assert "assign_referent" not in reopen.stderr and "record_" not in reopen.stderr


async def test_status_shows_the_alerts_and_a_closed_case_no_intensity(cli: Ea, cases: Cases) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.JOB_SEARCH)
    # Straight through the client: every command checks the directory, this référent is not in it.
    await apply_step(cases.client, case_id, AssignReferent(referent_id="ref-unknown-11", actor=COORDINATOR))
    await cases.step(case_id, Step.SET_INTENSITY, level="light", reason="stable_situation")
    await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)

    async def failed() -> bool:
        state = await cases.status(case_id)
        return any(a.kind is AlertKind.DOCUMENT_FAILED for a in state.alerts)

    await eventually(failed)
    table = "".join((await cli.ok("status", case_id)).replace("│", "").split())
    assert "documentreview_reportnotwritten:référentref-unknown-11isnotintheregistry" in table
    assert "eadirectoryreferent" in table, "it says what to add"
    await cases.step(case_id, Step.CLOSE, reason="goals_reached")
    await cases.final_state(case_id)
    closed = await cli.json("status", case_id)
    assert closed["phase"] == "closed" and closed["intensity"] is None
    assert "light" not in (await cli.ok("status", case_id))


async def test_history_shows_every_event_with_its_actor_and_reason(cli: Ea, cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-hist")
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    await cases.request(case_id, "emp-hist", "workstation_adaptation")
    await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id="req-1", outcome="meeting_scheduled")
    await cases.step(case_id, Step.RECORD_CONTACT, on=TODAY, kind="workplace")
    await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)
    await cases.step(case_id, Step.SET_INTENSITY, level="light", reason="stable_situation")
    await cases.step(case_id, Step.CLOSE, reason="moved_away")
    await cases.final_state(case_id)

    events = (await cli.json("history", case_id))["events"]
    kinds = [e["event"]["type"] for e in events]
    for kind in ("case_opened", "give_consent", "submit_employer_request", "respond_to_request", "record_contact",
                 "complete_review", "intensity_changed", "close"):  # fmt: skip
        assert kind in kinds, kind
    by_kind = {e["event"]["type"]: e for e in events}
    assert by_kind["submit_employer_request"]["actor"] == {"role": "employer", "id": "emp-hist"}
    assert by_kind["close"]["event"]["reason"] == "moved_away"
    assert [e["event"]["reason"] for e in events if e["event"]["type"] == "intensity_changed"][-1] == "stable_situation"
    table = await cli.ok("history", case_id)  # rich wraps cells at the test's 80 columns: short words only
    for words in ("moved_away", "respond", "request", "intensity", "close"):
        assert words in table, words
    missing = await cli("history", "no-such-case")
    assert missing.exit_code == 3
