"""The journal's and the documents' activities alone: their CPU a journey, on the inputs a real journey sent.

One journey of ours runs on a dev server with a worker in this process, as `bench.journeys` drives
it but each step sent once the last one's work is done (so that each step's journal entries make
one batch, whatever the machine's speed), and its history gives the inputs of its
`append_to_journal` and `render_document` activities.
Those inputs, copied for new cases and new people, are then passed to the activities' methods in
the journey's order against a fresh SQLite registry, and the CPU time of each kind is summed: with
no Temporal, no other process and no other thread in the way, the measure to compare two versions
of the activities (run it in a worktree of each).

    python -m bench.activities [--journeys 150]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from temporalio.api.enums.v1 import EventType, TaskQueueType
from temporalio.client import Client

import worker
from activities.documents.rendering import Documents
from activities.registry.database import make_engine
from activities.registry.journal import Registry
from activities.registry.people import BeneficiaryIdentity, register_beneficiary
from bench.journeys import Platform, documents_drained, our_journey, until_nothing_under_way
from starter.cases import workflow_id
from starter.devserver import DevServer, free_port, stop
from starter.scripted import ADULT, Cases, in_directory
from starter.settings import Connection
from starter.waiting import until_polled
from workflows.case.events import DocumentRequest, JournalBatch
from workflows.case.model import Situation
from workflows.encryption import Keyring, encrypted_converter

Recorded = list[tuple[str, dict[str, Any]]]
"""(activity, its input as JSON), in the order the journey scheduled them."""
MEASURED = {"append_to_journal": JournalBatch, "render_document": DocumentRequest}
WARM_UP = 10
"""Journeys played before the measure: the templates compiled, the statements cached."""


def known(registry: Engine) -> None:
    in_directory(registry, structure_id="struct-bench", referent_id="ref-bench", employer_id="emp-bench")


async def recorded_journey(directory: Path) -> Recorded:
    """The activities' inputs of one journey of ours, decoded (the codec's encryption undone)."""
    keys = Keyring.generate("bench")
    os.environ["EA_ENCRYPTION_KEYS"] = keys.to_env()
    server = DevServer(port=free_port(), ui_port=free_port(), db_file=directory / "temporal.db")
    process = server.start()
    url = f"sqlite:///{directory / 'recording.db'}"
    try:
        await server.wait_until_ready(process)
        finished = asyncio.Event()
        serving = asyncio.create_task(worker.serve(Connection(address=server.address, task_queue="bench"), url, finished))
        client = await Client.connect(server.address, data_converter=encrypted_converter(keys))
        await until_polled(client, Connection(task_queue="bench"), 60, 1, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
        platform = Platform(client, "bench", Cases(client, "bench", make_engine(url)), os.getpid())
        known(platform.cases.registry)
        case_id = await our_journey(platform, 0, [], settled=lambda case_id: until_nothing_under_way(client, [workflow_id(case_id)]))
        await documents_drained(platform, [case_id])
        await until_nothing_under_way(client, [workflow_id(case_id)])
        history = await client.get_workflow_handle(workflow_id(case_id)).fetch_history()
        codec = client.data_converter.payload_codec
        assert codec is not None
        recorded = []
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                scheduled = event.activity_task_scheduled_event_attributes
                if scheduled.activity_type.name in MEASURED:
                    payload = (await codec.decode(list(scheduled.input.payloads)))[0]
                    recorded.append((scheduled.activity_type.name, json.loads(payload.data)))
        finished.set()
        await serving
        return recorded
    finally:
        stop(process)


def copies(recorded: Recorded, count: int, engine: Engine) -> list[list[tuple[str, Any]]]:
    """The journey for `count` new cases, each with a person of its own registered."""
    opening = recorded[0][1]["entries"][0]
    case_id, person_id = opening["case_id"], opening["event"]["beneficiary_id"]
    text = json.dumps(recorded)
    journeys = []
    for _ in range(count):
        identity = BeneficiaryIdentity(structure_id="struct-bench", first_name="Camille", last_name=f"Martin {uuid.uuid4().hex[:8]}",
                                       birth_date=ADULT, situation=Situation.RQTH)  # fmt: skip
        copy = text.replace(case_id, f"T{uuid.uuid4().hex[:12]}").replace(person_id, register_beneficiary(engine, identity))
        journeys.append([(name, MEASURED[name].model_validate(data)) for name, data in json.loads(copy)])
    return journeys


def measure(recorded: Recorded, count: int, directory: Path) -> dict[str, float]:
    """CPU seconds a journey, by activity, the inputs validated beforehand (as the SDK does)."""
    engine = make_engine(f"sqlite:///{directory / 'measured.db'}")
    registry = Registry(engine)
    registry.migrate()
    known(engine)
    run: dict[str, Callable[[Any], Any]] = {"append_to_journal": registry.append_to_journal,
                                            "render_document": Documents(engine).render_document}  # fmt: skip
    journeys = copies(recorded, WARM_UP + count, engine)
    spent = dict.fromkeys(MEASURED, 0.0)
    for number, journey in enumerate(journeys):
        for name, argument in journey:
            began = time.process_time()
            run[name](argument)
            if number >= WARM_UP:
                spent[name] += time.process_time() - began
    return {name: seconds / count for name, seconds in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journeys", type=int, default=150, help="journeys measured (after 10 to warm up)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ea-bench-activities-") as directory:
        recorded = asyncio.run(recorded_journey(Path(directory)))
        per_journey = measure(recorded, args.journeys, Path(directory))
    counts = {name: sum(1 for each, _ in recorded if each == name) for name in MEASURED}
    for name, seconds in per_journey.items():
        print(f"{name}: {seconds * 1000:.1f} ms of CPU a journey ({counts[name]} calls; {args.journeys} journeys, SQLite)")


if __name__ == "__main__":
    main()
