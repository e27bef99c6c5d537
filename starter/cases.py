"""Driving cases through the Temporal client: what the CLI (and the tests) call.

Reading a case lives in starter/reads.py (light, for `ea status`); its names are re-exported
here. Errors come out as the three things a coordinator can act on: the case does not exist (or is
closed), the step was refused (with the rule that refused it), the server is unreachable.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from sqlalchemy import Engine
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.registry import caseload, directory
from starter.reads import CaseExists, CaseNotFound, StepRefused, case_status, translated, workflow_id
from starter.refusals import explain
from workflows.accompaniment import REFUSED, AccompanimentWorkflow
from workflows.case import dates, decisions, steps
from workflows.case.refusals import Refusal
from workflows.case.model import Actor, CaseState, CloseCase, ClosureReason, NameRepresentative, OpenCase, Phase, StepInput
from workflows.contracts import CaseInput, SeatRequest


def _require_actor(actor: Actor | None) -> None:
    if actor is None:
        raise StepRefused("who acts? every step names its actor (role:id, e.g. coordinator:coord-3)")


def refuse_opening(registry: Engine, opening: OpenCase, today: date) -> None:
    """What an opening must pass before anything is written (the person, the seat, the run): a
    birth date that can be true, and every id it names in the directory. The workflow cannot
    check either: its input is decoded again on replay, when `today` has moved on."""
    reason = dates.birth_date_refusal(opening.birth_date, today)
    if reason is not None:
        raise StepRefused(explain(reason), reason)
    directory.require_known(registry, opening)


async def open_case(client: Client, task_queue: str, opening: OpenCase) -> CaseState:
    _require_actor(opening.actor)
    try:
        handle = await client.start_workflow(
            AccompanimentWorkflow.run,
            CaseInput(opening=opening),
            id=workflow_id(opening.case_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Case {opening.case_id} · structure {opening.structure_id}",
        )
    except WorkflowAlreadyStartedError:
        raise CaseExists(f"case {opening.case_id} already exists; `ea status {opening.case_id}` shows it") from None
    return await handle.query(AccompanimentWorkflow.status)


async def open_case_with_seat(client: Client, task_queue: str, registry: Engine, opening: OpenCase,
                              force_reason: str | None, capacity: int) -> CaseState:  # fmt: skip
    """Open a case whose référent must have room in their caseload (CaseloadFull otherwise)."""
    seat = None
    if opening.referent_id is not None and opening.actor is not None:
        seat = SeatRequest(case_id=opening.case_id, referent_id=opening.referent_id, actor=opening.actor, force_reason=force_reason)
    return await _seated(registry, seat, capacity, lambda: open_case(client, task_queue, opening))


async def _seated(registry: Engine | None, seat: SeatRequest | None, capacity: int,
                  start: Callable[[], Awaitable[CaseState]]) -> CaseState:  # fmt: skip
    """Take the place first, start the run, and give the place back if the run did not start."""
    if registry is None or seat is None:
        return await start()
    reservation = await asyncio.to_thread(caseload.reserve, registry, seat, capacity)
    try:
        return await start()
    except BaseException:
        await asyncio.to_thread(caseload.undo, registry, seat.case_id, reservation)
        raise


async def reopen_case(client: Client, task_queue: str, case_id: str, actor: Actor | None,
                      registry: Engine | None = None, force_reason: str | None = None,
                      capacity: int = caseload.DEFAULT_CAPACITY) -> CaseState:  # fmt: skip
    """A new run of the same case id, carrying the closed run's state and history; with a registry,
    the référent must have room for the case again."""
    _require_actor(actor)
    handle = client.get_workflow_handle_for(AccompanimentWorkflow.run, workflow_id(case_id))
    description = await _describe(handle, case_id)
    if description.status is WorkflowExecutionStatus.RUNNING:
        # A case just closed may still be writing its journal: wait for its run to end.
        current = await handle.query(AccompanimentWorkflow.status)
        if current.phase is not Phase.CLOSED:
            raise StepRefused(f"case {case_id} is open (phase {current.phase}); only a closed case can be reopened")
    elif description.status is not WorkflowExecutionStatus.COMPLETED:
        status = description.status.name.lower() if description.status else "unknown"
        raise StepRefused(f"case {case_id} is {status}; only a closed case can be reopened")
    closed = await handle.result()
    assert actor is not None
    reason = decisions.actor_refusal(closed, actor, steps.REOPENING)
    if reason is not None:
        raise StepRefused(explain(reason))

    async def start() -> CaseState:
        new = await client.start_workflow(
            AccompanimentWorkflow.run,
            CaseInput(carried=closed, reopen=True, actor=actor),
            id=workflow_id(case_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            static_summary=f"Case {case_id} · structure {closed.structure_id} · reopened",
        )
        return await new.query(AccompanimentWorkflow.status)

    seat = None
    if registry is not None and closed.referent_id is not None and actor is not None:
        seat = SeatRequest(case_id=case_id, referent_id=closed.referent_id, actor=actor, force_reason=force_reason)
    return await _seated(registry, seat, capacity, start)


async def apply_step(client: Client, case_id: str, data: StepInput, *, request_id: str | None = None) -> Any:
    """Send a step as the update its declaration names, typed by its declaration's input and result."""
    declaration = steps.declaration_of(data)
    handle = client.get_workflow_handle(workflow_id(case_id))
    try:
        return await handle.execute_update(declaration.name, data, result_type=declaration.result, id=request_id)
    except WorkflowUpdateFailedError as failed:
        raise StepRefused(refusal_message(failed.cause), refusal_of(failed.cause)) from None
    except RPCError as error:
        raise translated(error, case_id) from None


async def close_for_erasure(client: Client, case_ids: list[str], actor: Actor) -> None:
    """Close each case still running as any closure is closed (journal, seat released, closing date),
    then wait for its run to finish writing, so that erasure finds nothing open."""
    for case_id in case_ids:
        if (await case_status(client, case_id)).phase is not Phase.CLOSED:
            await apply_step(client, case_id, CloseCase(reason=ClosureReason.ERASURE_REQUESTED, actor=actor))
        await client.get_workflow_handle_for(AccompanimentWorkflow.run, workflow_id(case_id)).result()


async def name_representative(client: Client, case_ids: list[str], representative_id: str, actor: Actor) -> None:
    """Name the representative on each open case (once: a case that already names them is left as it is)."""
    for case_id in case_ids:
        state = await case_status(client, case_id)
        if state.phase is not Phase.CLOSED and representative_id not in state.representative_ids:
            await apply_step(client, case_id, NameRepresentative(representative_id=representative_id, actor=actor))


def refusal_of(cause: BaseException | None) -> Refusal | None:
    """The rule that refused a step, as the core stated it (None for input that did not decode)."""
    if isinstance(cause, ApplicationError) and cause.type == REFUSED and cause.details:
        return Refusal.model_validate(cause.details[0])
    return None


def refusal_message(cause: BaseException | None) -> str:
    """The rule that refused a step; for input the worker could not even decode (a client that
    bypassed our models), pydantic's reasons on one line."""
    if not isinstance(cause, ApplicationError):
        return str(cause)
    if (reason := refusal_of(cause)) is not None:
        return explain(reason)
    inner = cause.cause
    if cause.type == "RuntimeError" and "decoding arguments" in cause.message and isinstance(inner, ApplicationError):
        reasons, field = [], ""
        for line in inner.message.splitlines()[1:]:
            if not line.strip() or "errors.pydantic.dev" in line:
                continue
            if line.startswith(" "):  # pydantic: the field on one line, its error indented below
                reasons.append(f"{field + ': ' if field else ''}{line.strip().split(' [type=')[0]}")
                field = ""
            else:
                field = line.strip()
        return "invalid input: " + ("; ".join(reasons) or inner.message)
    return cause.message


async def _describe(handle: WorkflowHandle, case_id: str):  # type: ignore[no-untyped-def]
    try:
        return await handle.describe()
    except RPCError as error:
        raise translated(error, case_id) from None


__all__ = ["CaseExists", "CaseNotFound", "StepRefused", "case_status", "workflow_id"]
