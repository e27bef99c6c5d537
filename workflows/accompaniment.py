"""AccompanimentWorkflow: the thin Temporal shell around the pure case core.

One durable run per case, id `case-<case_id>`. It registers one update per step declaration:
the validator calls `steps.refuse` (a refused step never reaches the history) and the handler
calls `steps.apply`, which changes the state and returns the journal entries. The main loop
writes the journal in order (one activity, idempotent by case id and sequence), starts the
documents the events call for, fires the timers derived from the state, and continues-as-new
before the history grows large.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any, NoReturn

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.documents.rendering import Documents
    from activities.registry.journal import Registry
    from workflows import search_attributes
    from workflows.case import decisions, rules, steps
    from workflows.case.events import DocumentRequest, JournalBatch, JournalEntry
    from workflows.case.model import Actor, AssignReferent, CaseFacts, CaseState, Phase, RequestAcknowledgement, StepInput
    from workflows.case.refusals import Refusal, RefusalCode, refusal
    from workflows.contracts import CaseInput, SeatRequest, documents_queue
    from workflows.wording import case_summary

RENDER_WITHIN = timedelta(hours=1)
"""With no documents worker for an hour, a document becomes an alert: a case never waits on paperwork
to continue-as-new or to close."""
RENDER_RETRY = RetryPolicy(maximum_attempts=5, non_retryable_error_types=["DocumentDataMissing"])
DOCUMENTS_PATCH = "render-documents"
"""Histories recorded before documents existed replay without these activities."""

JOURNAL_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1))
"""No maximum attempts: a registry that is down delays the journal, it never loses an entry."""

SEAT_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=10),
                         non_retryable_error_types=["CaseloadFull"])  # fmt: skip
SIGNED_DOCUMENTS_PATCH = "signed-documents"
"""Histories recorded before signed texts were kept replay without rendering them."""
DOCUMENTS_QUEUE_PATCH = "documents-queue"
"""Histories recorded before documents had their own task queue replay with the case's queue."""
CASELOAD_PATCH = "referent-caseload"
"""Histories recorded before caseloads replay without their activity (the core's own behaviours
are named in `decisions.Since`)."""

RECENT_UPDATE_IDS = 200
"""How many steps' ids a case remembers across runs: far more than a client retries within."""

REFUSED = "StepRefused"
"""The error type of every refusal; its details are the refusal's code and parameters."""


def refused(reason: Refusal) -> ApplicationError:
    return ApplicationError(str(reason), reason.model_dump(mode="json"), type=REFUSED, non_retryable=True)


@workflow.defn
class AccompanimentWorkflow:
    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        self._outbox: list[JournalEntry] = list(input.journal_backlog)
        self._renders: set[asyncio.Task[None]] = set()
        self._published: dict[Any, Any] = {}
        for declaration in steps.STEPS:
            workflow.set_update_handler(declaration.name, self._handler(declaration), validator=self._validator(declaration))
        if input.opening is not None:
            self.state, entries = decisions.open_case(input.opening, workflow.now())
            self._outbox.extend(entries)
            return
        assert input.carried is not None  # CaseInput's validator guarantees one of the two
        self.state = input.carried
        self.state.runs += 1
        if input.reopen:
            decision = self._decision(input.actor)
            decisions.reopen_case(decision)
            self._outbox.extend(decision.entries)

    @workflow.run
    async def run(self, input: CaseInput) -> CaseState:
        while True:
            decision = self._decision(None)
            decisions.raise_due_alerts(decision)
            self._outbox.extend(decision.entries)
            self._publish()
            written = await self._write_journal_batch()
            if written and workflow.patched(DOCUMENTS_PATCH):
                self._render_documents(written)
            if self.state.phase is Phase.CLOSED:
                break
            if self._history_is_long():
                await self._continue_as_new()
            try:
                await workflow.wait_condition(lambda: bool(self._outbox), timeout=self._time_to_next_deadline())
            except asyncio.TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._drain_journal()
        await workflow.wait_condition(lambda: not self._renders)
        await self._drain_journal()
        return self.state

    @workflow.query
    def status(self) -> CaseState:
        return self.state

    # --- Steps: one update per declaration ---------------------------------------------------

    def _validator(self, declaration: steps.StepDeclaration) -> Callable[[StepInput], None]:
        def validate(data: StepInput) -> None:
            if self._seen():
                return  # a retry of a step already taken: answered, not judged again
            reason = steps.refuse(self.state, data, workflow.now().date())
            if reason is not None:
                raise refused(reason)

        validate.__annotations__ = {"data": declaration.input, "return": None}
        return validate

    def _handler(self, declaration: steps.StepDeclaration) -> Callable[[Any], Any]:
        """Synchronous, so a step is applied in the activation that delivers it; only the
        référent's assignment waits, for a seat in their caseload."""

        def handle(data: StepInput) -> Any:
            if self._seen():
                return self._answer_again(declaration)
            self._outbox.extend(steps.apply(self.state, data, workflow.now(), self._has))
            reply = declaration.reply(self.state)
            self._remember(reply)
            return reply

        async def seat_then_handle(data: AssignReferent) -> Any:
            if workflow.patched(CASELOAD_PATCH) and not self._seen():
                await self._take_seat(data)
            return handle(data)

        handler = seat_then_handle if declaration.input is AssignReferent else handle
        handler.__annotations__ = {"data": declaration.input, "return": declaration.result}
        return handler

    def _seen(self) -> bool:
        """Sent again with the id of a step already taken. Temporal answers a retry itself within a
        run; the ids the state carries do it across continue-as-new."""
        info = workflow.current_update_info()
        return info is not None and info.id in self.state.recent_update_ids

    def _remember(self, reply: Any) -> None:
        info = workflow.current_update_info()
        if info is None:
            return
        state = self.state
        state.recent_update_ids = [*state.recent_update_ids, info.id][-RECENT_UPDATE_IDS:]
        kept = {update_id: state.request_of_update[update_id] for update_id in state.recent_update_ids if update_id in state.request_of_update}
        if isinstance(reply, RequestAcknowledgement):
            kept[info.id] = reply.request_id
        state.request_of_update = kept

    def _answer_again(self, declaration: steps.StepDeclaration) -> Any:
        """A retried step gets the answer it got the first time: its own request, for a request."""
        info = workflow.current_update_info()
        request = self.state.request(self.state.request_of_update.get(info.id, "")) if info else None
        if request is not None:
            return RequestAcknowledgement.of(request)
        return declaration.reply(self.state)

    def _decision(self, actor: Actor | None) -> decisions.Decision:
        return decisions.Decision(self.state, workflow.now(), actor, self._has)

    @staticmethod
    def _has(behaviour: decisions.Since) -> bool:
        return workflow.patched(behaviour.value)

    async def _take_seat(self, data: AssignReferent) -> None:
        """A place in the référent's caseload, taken atomically in the registry (or refused when full)."""
        assert data.actor is not None  # the validator refused otherwise
        seat = SeatRequest(case_id=self.state.case_id, referent_id=data.referent_id, actor=data.actor, force_reason=data.force_reason)
        try:
            await workflow.execute_activity_method(Registry.reserve_referent_seat, seat, start_to_close_timeout=timedelta(seconds=10),
                                            schedule_to_close_timeout=timedelta(minutes=1), retry_policy=SEAT_RETRY)  # fmt: skip
        except ActivityError as failed:
            cause = failed.cause
            if isinstance(cause, ApplicationError) and cause.type == "CaseloadFull":
                raise refused(refusal(RefusalCode.CASELOAD_FULL, detail=cause.message)) from None
            raise refused(refusal(RefusalCode.REGISTRY_UNAVAILABLE)) from None
        if self.state.phase is Phase.CLOSED:
            raise refused(refusal(RefusalCode.CLOSED_MEANWHILE))

    # --- The machinery ---------------------------------------------------------------------

    def _time_to_next_deadline(self) -> timedelta | None:
        upcoming = [deadline.at for deadline in rules.deadlines(self.state)]
        if not upcoming:
            return None
        return max(min(upcoming) - workflow.now(), timedelta(milliseconds=1))

    def _publish(self) -> None:
        """Search attributes for operators' queries (only what changed) and the UI's summary line."""
        values = search_attributes.case_values(self.state)
        changed = {key: value for key, value in values.items() if self._published.get(key, ...) != value}
        if changed:
            workflow.upsert_search_attributes(search_attributes.updates(changed))
            self._published = values
        workflow.set_current_details(case_summary(self.state))

    async def _write_journal_batch(self) -> list[JournalEntry]:
        """Write what is queued now; entries queued meanwhile wait for the next turn of the loop,
        so that a steady stream of updates never starves publishing or continue-as-new."""
        if not self._outbox:
            return []
        batch = list(self._outbox)
        await workflow.execute_activity_method(
            Registry.append_to_journal,
            JournalBatch(entries=batch),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=JOURNAL_RETRY,
        )
        del self._outbox[: len(batch)]
        return batch

    async def _drain_journal(self) -> None:
        while self._outbox:
            written = await self._write_journal_batch()
            if workflow.patched(DOCUMENTS_PATCH):
                self._render_documents(written)

    def _render_documents(self, entries: list[JournalEntry]) -> None:
        """Start the paperwork of these events beside the main loop, which never waits on a PDF."""
        for entry in entries:
            template = steps.document_for(entry)
            if template in steps.SIGNED_DOCUMENTS.values() and not workflow.patched(SIGNED_DOCUMENTS_PATCH):
                continue
            if template is not None:
                facts = CaseFacts.of(self.state, getattr(entry.event, "request_id", None))
                task = asyncio.create_task(self._render(template, entry, facts))
                self._renders.add(task)
                task.add_done_callback(self._renders.discard)

    async def _render(self, template: str, entry: JournalEntry, facts: CaseFacts) -> None:
        """One document; one that cannot be made becomes an alert on the case, never a stuck case."""
        try:
            own_queue = documents_queue(workflow.info().task_queue) if workflow.patched(DOCUMENTS_QUEUE_PATCH) else None
            await workflow.execute_activity_method(
                Documents.render_document,
                DocumentRequest(template=template, entry=entry, case=facts),
                task_queue=own_queue,
                start_to_close_timeout=timedelta(seconds=30),  # a document renders in about a second
                schedule_to_close_timeout=RENDER_WITHIN,
                retry_policy=RENDER_RETRY,
            )
        except ActivityError as failed:
            cause = failed.cause.message if isinstance(failed.cause, ApplicationError) else str(failed.cause)
            decision = self._decision(None)
            decisions.document_failed(decision, template, entry, cause)
            self._outbox.extend(decision.entries)

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return info.is_continue_as_new_suggested() or info.get_current_history_length() >= self.state.settings.history_limit

    async def _continue_as_new(self) -> NoReturn:
        # Unwritten journal entries travel with the state: draining them first could wait
        # forever on a case that keeps receiving updates. Documents under way finish first.
        await workflow.wait_condition(lambda: not self._renders)
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(CaseInput(carried=self.state, journal_backlog=self._outbox))
