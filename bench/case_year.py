"""What one case costs in storage, measured: its Temporal history (events, bytes) and its registry
rows and bytes on PostgreSQL, for a first year (opening to in-job support, documents included) and
for a year in support (12 reviews, 6 contacts, 2 employer requests answered). docs/SCALING.md
extrapolates these figures to 100,000 cases over ten years.

    python -m bench.case_year               # 10 cases
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from temporalio.client import Client

from activities.registry.schema import Base
from starter.cases import workflow_id
from starter.scripted import TODAY, Cases
from tests.harness import fresh_database, postgres_cluster, registry_for, running_worker, temporal_environment
from workflows.case.model import ContactKind, Phase, ResponseOutcome, Situation, Step


async def year_in_support(cases: Cases, case_id: str) -> None:
    for month in range(12):
        await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)
        if month % 2 == 0:
            await cases.step(case_id, Step.RECORD_CONTACT, on=TODAY, kind=ContactKind.WORKPLACE)
        if month % 6 == 0:
            request = await cases.request(case_id, "emp-current")
            await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=request.request_id, outcome=ResponseOutcome.MEETING_SCHEDULED)


@dataclass
class Footprint:
    events: int
    history_bytes: int
    rows: dict[str, int]
    database_bytes: int

    def minus(self, before: Footprint) -> Footprint:
        return Footprint(self.events - before.events, self.history_bytes - before.history_bytes,
                         {t: n - before.rows.get(t, 0) for t, n in self.rows.items() if n - before.rows.get(t, 0)},
                         self.database_bytes - before.database_bytes)  # fmt: skip

    def per_case(self, count: int) -> str:
        rows = ", ".join(f"{table} {n / count:.1f}" for table, n in sorted(self.rows.items()))
        return (f"{self.events / count:.0f} events, {self.history_bytes / count / 1024:.1f} KiB of history; "
                f"{sum(self.rows.values()) / count:.0f} registry rows ({rows}); {self.database_bytes / count / 1024:.1f} KiB of database")  # fmt: skip


async def footprint(client: Client, engine: Engine, case_ids: list[str]) -> Footprint:
    """Every run of each case (continue-as-new included), every table, the whole database."""
    events = size = 0
    for case_id in case_ids:
        async for execution in client.list_workflows(f"WorkflowId = '{workflow_id(case_id)}'"):
            history = await client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
            events, size = events + len(history.events), size + sum(event.ByteSize() for event in history.events)
    with Session(engine) as session:
        rows = {table.name: session.scalar(select(func.count()).select_from(table)) or 0 for table in Base.metadata.sorted_tables}
        database = session.scalar(text("SELECT pg_database_size(current_database())")) or 0
    return Footprint(events, size, rows, database)


async def main(count: int) -> None:
    with postgres_cluster() as admin:
        registry = registry_for(fresh_database(admin))
        async with temporal_environment() as env, running_worker(env, registry) as task_queue:
            cases = Cases(env.client, task_queue, registry.engine)
            empty = await footprint(env.client, registry.engine, [])
            case_ids = [await cases.open(Situation.EMPLOYEE, employer_id="emp-current") for _ in range(count)]
            for case_id in case_ids:
                await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
                await year_in_support(cases, case_id)
            await asyncio.sleep(3)  # the last journal entries and documents are written
            first = await footprint(env.client, registry.engine, case_ids)
            for case_id in case_ids:
                await year_in_support(cases, case_id)
            await asyncio.sleep(3)
            second = await footprint(env.client, registry.engine, case_ids)
        registry.engine.dispose()
    print(f"first year, per case: {first.minus(empty).per_case(count)}")
    print(f"a further year in support, per case: {second.minus(first).per_case(count)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10)
    asyncio.run(main(parser.parse_args().cases))
