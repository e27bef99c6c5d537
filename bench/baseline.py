"""The benchmark's baseline: raw Temporal doing what one of our journeys does, and nothing else.

`Script` is read from the histories of our own journeys in the same run (`Script.of`): for each
update, the bytes it carries and answers, the activities that follow it on the case's queue
(the journal) and on the documents queue, with their input and result bytes, the timers started,
the search-attribute upserts and any continue-as-new. `MirrorWorkflow` replays that script with
opaque strings of those sizes, each activity a no-op: the same Temporal actions carrying the same
payload bytes, through the same client, converter and codec, on a worker in a process of the same
kind. `Script.minimal()` is the same script with every payload empty and no upsert: a journey of
this shape with no work at all, the limit of the machine.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from google.protobuf.message import Message
    from pydantic import BaseModel
    from temporalio.api.enums.v1 import EventType
    from temporalio.api.history.v1 import HistoryEvent

    from workflows.accompaniment import JOURNAL_RETRY, RENDER_RETRY, RENDER_WITHIN

NOOP = "bench_noop"
LONG_WAIT = timedelta(days=30)
"""The timer a turn waits on for the next update, as a case waits on its next deadline."""


@activity.defn(name=NOOP)
def noop(data: str) -> str:
    """A synchronous no-op on the worker's activity threads, like our registry and document
    activities; it answers as many bytes as the activity it stands for."""
    size = int(data[:8] or 0)
    return "r" * size


def blob(size: int, answer: int = 0) -> str:
    """An opaque string of about `size` bytes whose first 8 characters say how many bytes to answer."""
    return f"{answer:08d}" + "x" * max(0, size - 8)


class Activity(BaseModel):
    input: int
    result: int


class Turn(BaseModel):
    """One update (none for the opening turn) and the commands our workflow issued after it."""

    update: int = 0
    reply: int = 0
    journal: list[Activity] = []
    """Activities on the case's queue, one after the other (the journal batches)."""
    documents: list[Activity] = []
    """Activities on the documents queue, started together beside the loop."""
    timers: int = 0
    patches: list[str] = []
    """The `workflow.patched` markers (each also upserts TemporalChangeVersion)."""
    upserts: list[int] = []
    """Each upsert, as a bit mask over SEARCH_ATTRIBUTES."""
    continue_as_new: int = 0
    """Bytes carried to the next run, when the turn ended the run (0: it did not)."""


class Script(BaseModel):
    """Sizes are of the payloads' data, the converter's and the codec's overhead taken off."""

    start: int
    """Bytes of the workflow's input."""
    query: int = 0
    """Bytes of the answer to the status query the driver sends after the start."""
    turns: list[Turn]
    """Turn 0 is the opening (no update); turn n follows the n-th update."""

    @property
    def updates(self) -> int:
        return len(self.turns) - 1

    def minimal(self) -> Script:
        """The same updates, activities, timers and continue-as-new, with no payload, no marker and no search attribute."""
        return Script(start=0, query=0, turns=[Turn(journal=[Activity(input=0, result=0) for _ in t.journal],
                                                    documents=[Activity(input=0, result=0) for _ in t.documents], timers=t.timers,
                                                    continue_as_new=1 if t.continue_as_new else 0) for t in self.turns])  # fmt: skip

    def counts(self) -> dict[str, int]:
        return {"updates": self.updates, "activities": sum(len(t.journal) + len(t.documents) for t in self.turns),
                "documents": sum(len(t.documents) for t in self.turns), "timers": sum(t.timers for t in self.turns), "markers": sum(len(t.patches) for t in self.turns),
                "upserts": sum(len(t.upserts) for t in self.turns), "continue-as-new": sum(1 for t in self.turns if t.continue_as_new)}  # fmt: skip

    def packed(self) -> str:
        """A compact form for the workflow's input (JSON lists of numbers)."""
        return json.dumps([self.start, self.query, [[t.update, t.reply, [[a.input, a.result] for a in t.journal],
                                                     [[a.input, a.result] for a in t.documents], t.timers, t.upserts, t.continue_as_new, t.patches]
                                                    for t in self.turns]], separators=(",", ":"))  # fmt: skip

    @classmethod
    def unpacked(cls, text: str) -> Script:
        start, query, turns = json.loads(text)
        return cls(start=start, query=query, turns=[
            Turn(update=u, reply=r, journal=[Activity(input=i, result=o) for i, o in j], documents=[Activity(input=i, result=o) for i, o in d],
                 timers=t, upserts=us, continue_as_new=c, patches=p) for u, r, j, d, t, us, c, p in turns])  # fmt: skip

    @classmethod
    def of(cls, runs: Iterable[Iterable[HistoryEvent]], documents_queue: str, overhead: int, query: int = 0) -> Script:
        """Read from the histories of every run of one of our cases, in order; `overhead`: the bytes
        the converter and the codec add to a payload (an empty string's encoded size)."""

        def net(payloads: Message) -> int:
            return max(0, payloads.ByteSize() - overhead)

        turns, start = [Turn()], 0
        for number, events in enumerate(runs):
            scheduled: dict[int, Activity] = {}
            for event in events:
                kind, turn = event.event_type, turns[-1]
                if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED and number == 0:
                    start = net(event.workflow_execution_started_event_attributes.input)
                elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
                    turns.append(Turn(update=net(event.workflow_execution_update_accepted_event_attributes.accepted_request.input.args)))
                elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
                    turn.reply += net(event.workflow_execution_update_completed_event_attributes.outcome.success)
                elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                    attributes = event.activity_task_scheduled_event_attributes
                    one = scheduled[event.event_id] = Activity(input=net(attributes.input), result=0)
                    (turn.documents if attributes.task_queue.name == documents_queue else turn.journal).append(one)
                elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
                    attributes = event.activity_task_completed_event_attributes
                    scheduled[attributes.scheduled_event_id].result = net(attributes.result)
                elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
                    turn.patches.append(_patch_id(event))
                elif kind == EventType.EVENT_TYPE_TIMER_STARTED:
                    turn.timers += 1
                elif kind == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
                    fields = event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
                    mask = sum(1 << bit for bit, name in enumerate(_NAMES) if name in fields)
                    if mask:  # TemporalChangeVersion alone comes with a patch marker
                        turn.upserts.append(mask)
                elif kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
                    turn.continue_as_new = max(1, net(event.workflow_execution_continued_as_new_event_attributes.input))
        return cls(start=start, query=query, turns=turns)


def _patch_id(event: HistoryEvent) -> str:
    details = event.marker_recorded_event_attributes.details.get("patch_id")
    try:
        return str(json.loads(details.payloads[0].data))
    except (AttributeError, IndexError, ValueError):
        return f"patch-{event.event_id}"


class MirrorInput(BaseModel):
    script: str
    """`Script.packed()`: a few hundred bytes, so that the input is no larger than ours."""
    documents_queue: str
    position: int = 0
    """The first turn this run plays (after a continue-as-new: the turn after the one that ended the last run)."""
    pad: str = ""
    """Brings the input to the size of ours (or of the state ours carries across continue-as-new)."""


SEARCH_ATTRIBUTES = {"EaPhase": "Keyword", "EaReferent": "Keyword", "EaStructure": "Keyword", "EaSituation": "Keyword",
                     "EaRoute": "Keyword", "EaNextReviewAt": "Datetime", "EaOpenRequests": "Int", "EaOverdue": "Bool"}  # fmt: skip
"""Ours (workflows/search_attributes.py), in a fixed order: an upsert is packed as a bit mask over them."""
_NAMES = list(SEARCH_ATTRIBUTES)
_VALUES = {"Keyword": lambda n: f"bench-{n}", "Datetime": lambda n: datetime(2027, 1, 1, tzinfo=timezone.utc) + timedelta(days=n),
           "Int": lambda n: n, "Bool": lambda n: n % 2 == 1}  # fmt: skip
"""A value that changes at each upsert, as ours do (ours upserts only what changed)."""
_KEYS = {"Keyword": SearchAttributeKey.for_keyword, "Datetime": SearchAttributeKey.for_datetime,
         "Int": SearchAttributeKey.for_int, "Bool": SearchAttributeKey.for_bool}  # fmt: skip


def _upsert(mask: int, n: int) -> list[SearchAttributeUpdate]:  # type: ignore[type-arg]
    names = [name for bit, name in enumerate(_NAMES) if mask >> bit & 1]
    return [_KEYS[SEARCH_ATTRIBUTES[name]](name).value_set(_VALUES[SEARCH_ATTRIBUTES[name]](n)) for name in names]  # type: ignore[operator]


@workflow.defn
class MirrorWorkflow:
    @workflow.init
    def __init__(self, input: MirrorInput) -> None:
        self.script = Script.unpacked(input.script)
        self.received = input.position - 1 if input.position else 0
        """The turn the last update opened."""
        self.queued: list[int] = [] if input.position else [0]
        self.upserts = 0

    @workflow.run
    async def run(self, input: MirrorInput) -> None:
        documents: set[asyncio.Task[str]] = set()
        last = max(0, input.position - 1)
        while True:
            if not self.queued:
                try:
                    await workflow.wait_condition(lambda: bool(self.queued), timeout=LONG_WAIT if self.script.turns[last].timers else None)
                except asyncio.TimeoutError:
                    continue
            last = self.queued.pop(0)
            turn = self.script.turns[last]
            for patch in turn.patches:
                workflow.patched(patch)
            for mask in turn.upserts:
                self.upserts += 1
                workflow.upsert_search_attributes(_upsert(mask, self.upserts))
            for one in turn.journal:
                await workflow.execute_activity(NOOP, blob(one.input, one.result), start_to_close_timeout=timedelta(seconds=30),
                                                retry_policy=JOURNAL_RETRY)  # fmt: skip
            for one in turn.documents:  # the options ours sets: they decide the server's timeout timers
                task = asyncio.create_task(workflow.execute_activity(NOOP, blob(one.input, one.result), task_queue=input.documents_queue,
                                                                     start_to_close_timeout=timedelta(seconds=30),
                                                                     schedule_to_close_timeout=RENDER_WITHIN, retry_policy=RENDER_RETRY))  # fmt: skip
                documents.add(task)
                task.add_done_callback(documents.discard)
            if turn.continue_as_new:
                await workflow.wait_condition(lambda: not documents)
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(MirrorInput(script=input.script, documents_queue=input.documents_queue, position=last + 1,
                                                     pad="c" * turn.continue_as_new))  # fmt: skip

    @workflow.update
    def step(self, data: str) -> str:
        self.received += 1
        self.queued.append(self.received)
        turns = self.script.turns
        return "a" * (turns[self.received].reply if self.received < len(turns) else 0)

    @workflow.query
    def status(self) -> str:
        return "s" * self.script.query
