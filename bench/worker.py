"""The benchmark's worker: the service's own worker (`ea worker`), plus the baseline workflow,
in a process of its own so that its memory is measured alone.

    TEMPORAL_ADDRESS=... EA_TASK_QUEUE=... DATABASE_URL=... python -m bench.worker
"""

from __future__ import annotations

import asyncio

import worker
from activities.registry.database import database_url_from_env
from bench.baseline import BaselineWorkflow, noop
from starter.settings import Connection

if __name__ == "__main__":
    asyncio.run(worker.serve(Connection.from_env(), database_url_from_env(), extra_workflows=[BaselineWorkflow],
                             extra_activities=[noop]))  # fmt: skip
