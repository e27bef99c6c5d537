"""The benchmark's baseline: a workflow with the shape of a case and none of its domain.

Each update queues an event; the loop waits (with a timer, as a case waits for its next deadline),
writes the queued events with one no-op activity, and starts one no-op activity per document the
case would render. So one journey has the updates, activities and timers of a real one.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import activity, workflow

NOOP = "bench_noop"


@activity.defn(name=NOOP)
def noop(size: int) -> int:
    """A synchronous no-op on the worker's activity threads, like our registry activities."""
    return size


@workflow.defn
class BaselineWorkflow:
    @workflow.init
    def __init__(self, documents: list[bool]) -> None:
        self.documents = documents
        """For each update in order: does the case render a document after it?"""
        self.queued: list[int] = []
        self.received = 0

    @workflow.run
    async def run(self, documents: list[bool]) -> int:
        written, rendering = 0, []
        while written < len(documents):
            try:
                await workflow.wait_condition(lambda: bool(self.queued), timeout=timedelta(days=30))
            except asyncio.TimeoutError:
                continue
            batch, self.queued = self.queued, []
            await workflow.execute_activity(NOOP, len(batch), start_to_close_timeout=timedelta(seconds=30))
            rendering += [asyncio.create_task(workflow.execute_activity(NOOP, i, start_to_close_timeout=timedelta(seconds=30)))
                          for i in batch if self.documents[i]]  # fmt: skip
            written += len(batch)
        await asyncio.gather(*rendering)
        return written

    @workflow.update
    def step(self, name: str) -> int:
        self.queued.append(self.received)
        self.received += 1
        return self.received
