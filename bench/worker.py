"""The benchmark's workers, in processes of their own so that each one's CPU and memory is measured alone.

    python -m bench.worker cases             # `ea worker --role cases`, plus the baseline's workflow and no-op activity
    python -m bench.worker noop QUEUE        # the baseline's stand-in for the documents worker: no-ops on QUEUE

Ours renders its documents with `ea worker --role documents`, started by the bench as is.
Settings from the environment, as `ea worker` (TEMPORAL_ADDRESS, EA_TASK_QUEUE, DATABASE_URL, ...).
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

from temporalio.worker import Worker

import worker
from activities.registry.database import database_url_from_env
from bench.baseline import MirrorWorkflow, noop
from starter.settings import Connection


async def serve_noop(connection: Connection, task_queue: str) -> None:
    """No-op activities on `task_queue`, with the documents worker's threads and slots."""
    client = await connection.connect()
    stop = worker.stop_on_signals()
    with ThreadPoolExecutor(max_workers=worker.ACTIVITY_THREADS) as executor:
        async with Worker(client, task_queue=task_queue, activities=[noop], activity_executor=executor,
                          max_concurrent_activities=worker.ACTIVITY_THREADS):  # fmt: skip
            await stop.wait()


if __name__ == "__main__":
    role = sys.argv[1] if len(sys.argv) > 1 else "cases"
    if role == "noop":
        asyncio.run(serve_noop(Connection.from_env(), sys.argv[2]))
    else:
        asyncio.run(worker.serve(Connection.from_env(), database_url_from_env(), role="cases", extra_workflows=[MirrorWorkflow],
                                 extra_activities=[noop]))  # fmt: skip
