"""`ea` run in-process as a coordinator would, for the tests."""

from __future__ import annotations

import asyncio
import json

from click.testing import CliRunner, Result

from starter.cli import ea
from tests.harness import TEST_KEYS


class Ea:
    """Runs `ea` as a coordinator would, pointed at the test server and worker."""

    def __init__(self, address: str, task_queue: str, database_url: str = "sqlite://") -> None:
        self.prefix = ["--address", address, "--task-queue", task_queue]
        self.env = {"DATABASE_URL": database_url, "EA_ACTOR": "coordinator:coord-test",
                    "EA_ENCRYPTION_KEYS": TEST_KEYS.to_env()}  # fmt: skip

    async def __call__(self, *args: str) -> Result:
        return await asyncio.to_thread(CliRunner(env=self.env).invoke, ea, [*self.prefix, *args])

    async def ok(self, *args: str) -> str:
        result = await self(*args)
        assert result.exit_code == 0, result.output
        return result.stdout

    async def fails(self, *args: str) -> str:
        """A command refused or rejected: its error message."""
        result = await self(*args)
        assert result.exit_code != 0, result.output
        return result.stderr

    async def json(self, *args: str) -> dict:
        return json.loads(await self.ok(*args, "--json"))

    async def known(self, structures: tuple[str, ...] = (), referents: tuple[str, ...] = (), employers: tuple[str, ...] = ()) -> None:
        """Put these ids in the directory, as a coordinator does before opening cases that name them."""
        for kind, ids in (("structure", structures), ("referent", referents), ("employer", employers)):
            for each in ids:
                await self.ok("directory", kind, each, "--name", f"{kind.capitalize()} {each}")
