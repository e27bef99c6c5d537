"""Commands a worker must answer (open, reopen, the steps, status, history) never hang.

Before sending anything they ask Temporal whether a worker polls the task queue
(`DescribeTaskQueue`): with none, they say so and send nothing, so `ea open` never creates a case
that nobody runs. Then they wait at most `--wait` seconds (EA_WAIT). When the wait runs out, or
on Ctrl-C, they look in the case's history and say whether what they sent is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from starter.settings import Connection

T = TypeVar("T")
Outcome = Callable[[Client], Awaitable[str]]
"""After an unanswered call: what it left recorded, in words."""

POLL_FRESHNESS = timedelta(seconds=75)
"""A worker's long poll lasts about a minute and it polls again at once: an older last poll is a
worker that has stopped (the server keeps listing it for minutes)."""


class NoWorker(Exception):
    """No worker polls the task queue: nothing was sent."""


class NotConfirmed(Exception):
    """No worker answered within the wait; the message says what is recorded."""


class Interrupted(Exception):
    """Ctrl-C while waiting; the message says what is recorded."""


async def pollers(client: Client, connection: Connection, kind: TaskQueueType.ValueType = TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                  ) -> dict[str, datetime]:  # fmt: skip
    """The workers that lately polled the task queue for workflow tasks (or `kind`): identity → last poll."""
    request = DescribeTaskQueueRequest(namespace=connection.namespace, task_queue=TaskQueue(name=connection.task_queue),
                                       task_queue_type=kind)  # fmt: skip
    response = await client.workflow_service.describe_task_queue(request)
    return {poller.identity: poller.last_access_time.ToDatetime(timezone.utc) for poller in response.pollers}


async def last_poll(client: Client, connection: Connection) -> datetime | None:
    """When a worker last polled the task queue for workflow tasks, if one ever did lately."""
    return max((await pollers(client, connection)).values(), default=None)


async def until_polled(client: Client, connection: Connection, seconds: float = 20, workers: int = 1,
                       kind: TaskQueueType.ValueType = TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW) -> None:  # fmt: skip
    """Until the server has seen `workers` workers poll the queue (for workflow tasks, or `kind`): a
    worker just started (`ea run`, a test's) is ready only then, since commands send nothing to a
    queue nobody polls."""
    for _ in range(int(seconds * 20)):
        try:
            if len(await pollers(client, connection, kind)) >= workers:
                return
        except RPCError as error:  # a busy server may drop the call: ask again
            if error.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
                raise
        await asyncio.sleep(0.05)
    raise NoWorker(f"{_nobody(connection)} after {seconds:g} s" if workers == 1 else
                   f"fewer than {workers} workers poll task queue {connection.task_queue} after {seconds:g} s")  # fmt: skip


def _nobody(connection: Connection) -> str:
    return f"no worker polls task queue {connection.task_queue} at {connection.address}"


async def with_worker(connection: Connection, work: Callable[[Client], Coroutine[Any, Any, T]],
                      outcome: Outcome | None = None, *, bounded: bool = True) -> T:  # fmt: skip
    """Run `work` if a worker polls the task queue, within the connection's wait (unless not
    `bounded`: a bulk import takes as long as its rows). `outcome` says what the work left recorded
    when it is cut short; without it, the work only reads."""
    client = await connection.connect()
    polled = await last_poll(client, connection)
    if polled is None or datetime.now(timezone.utc) - polled > POLL_FRESHNESS:
        raise NoWorker(f"{_nobody(connection)}: nothing was sent; start one with `ea worker` (or `make run`)")
    try:
        return await asyncio.wait_for(work(client), connection.wait if bounded else None)
    except (TimeoutError, asyncio.CancelledError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
        # The SDK turns a cancelled call into an error of its own; RPCError: only a cancelled one.
        if isinstance(error, RPCError) and error.status not in (RPCStatusCode.CANCELLED, RPCStatusCode.DEADLINE_EXCEEDED):
            raise
        current = asyncio.current_task()
        if current is not None and current.cancelling():  # Ctrl-C: asyncio.run cancels the command's task
            raise Interrupted(f"interrupted; {await _recorded(client, outcome)}") from None
        polled = await last_poll(client, connection)
        who = _nobody(connection) if polled is None else f"task queue {connection.task_queue}: last poll {_ago(polled)}"
        done = await _recorded(client, outcome)
        raise NotConfirmed(f"no worker answered within {connection.wait:g} s ({who}); {done}") from None


async def _recorded(client: Client, outcome: Outcome | None) -> str:
    if outcome is None:
        return "nothing was changed"
    try:
        return await asyncio.wait_for(outcome(client), 5)
    except (TimeoutError, RPCError):
        return "whether it was recorded is unknown: the server did not say in time"


def _ago(moment: datetime) -> str:
    return f"{(datetime.now(timezone.utc) - moment).total_seconds():.0f} s ago"


def said(text: str) -> Outcome:
    """An outcome known without asking the server."""

    async def outcome(_client: Client) -> str:
        return text

    return outcome


def step_outcome(workflow_id: str, update_id: str, what: str, retry: str) -> Outcome:
    """A step is recorded once the workflow accepted its update: an event of its history."""

    async def outcome(client: Client) -> str:
        async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                if event.workflow_execution_update_accepted_event_attributes.accepted_request.meta.update_id == update_id:
                    return f"{what} is recorded"
        return (f"{what} is not recorded; a worker may still record it when it starts: "
                f"check with `ea history`, or send it again with {retry} (recorded once)")  # fmt: skip

    return outcome


def opening_outcome(workflow_id: str, case_id: str, verb: str = "opened") -> Outcome:
    """A case is open once its workflow runs on the server, even if no worker has taken it yet."""

    async def outcome(client: Client) -> str:
        try:
            status = (await client.get_workflow_handle(workflow_id).describe()).status
        except RPCError:
            status = None
        if status is not WorkflowExecutionStatus.RUNNING:
            return f"case {case_id} was not {verb}"
        return f"case {case_id} is {verb} (recorded); `ea status {case_id}` reads it once a worker runs"

    return outcome
