"""A deliberately non-deterministic change, for the replay test to catch.

In a module of its own: the workflow sandbox re-imports the module that defines a workflow, so it
imports nothing but workflow code.
"""

from __future__ import annotations

from temporalio import workflow

from workflows.accompaniment import AccompanimentWorkflow
from workflows.contracts import CaseInput
from workflows.case.model import CaseState


@workflow.defn(name="AccompanimentWorkflow")
class TimerBeforeJournal(AccompanimentWorkflow):
    """The change the guard must catch: a timer added before an existing activity."""

    @workflow.init
    def __init__(self, input: CaseInput) -> None:
        super().__init__(input)

    @workflow.run
    async def run(self, input: CaseInput) -> CaseState:
        return await super().run(input)

    async def _write_journal_batch(self) -> None:
        await workflow.sleep(1)
        await super()._write_journal_batch()
