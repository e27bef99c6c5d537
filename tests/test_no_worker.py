"""With the server up and no worker, no command hangs or half-succeeds: each says in one line
that no worker polls the task queue, sends nothing and exits 7; a worker that stops answering
leaves a step unconfirmed after --wait, and the command says whether it is recorded; Ctrl-C says
the same. Sent again with its request id once a worker is back, the step is recorded once."""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.registry.journal import Registry
from starter.cases import workflow_id
from starter.exits import EXIT_INTERRUPTED, EXIT_NO_WORKER
from starter.scripted import new_case_id
from tests.builders import eventually
from tests.cli_runner import Ea
from tests.harness import running_worker
from workflows.case import steps

EXAMPLE_CASE = "C1A2B3"


def every_command(case: str) -> list[list[str]]:
    """Each command a worker must answer, as its own help's example writes it."""
    examples = [shlex.split(declaration.example)[1:] for declaration in steps.STEPS]
    return [[case if word == EXAMPLE_CASE else word for word in example] for example in examples] + [
        ["open", "--case-id", case, "--structure", "struct-75", "--birth-date", "1990-05-17", "--situation", "rqth"],
        ["status", case], ["reopen", case],
    ]  # fmt: skip
"""`ea history` is not among them: it reads the registry's journal."""


async def exists(client: Client, case: str) -> bool:
    try:
        await client.get_workflow_handle(workflow_id(case)).describe()
    except RPCError:
        return False
    return True


async def test_with_no_worker_every_command_says_so_at_once_and_sends_nothing(env: WorkflowEnvironment, registry: Registry) -> None:
    queue = f"nobody-{uuid.uuid4().hex[:8]}"
    cli = Ea(env.client.service_client.config.target_host, queue, str(registry.engine.url))
    await cli.known(structures=("struct-75",), referents=("ref-12",), employers=("emp-4412",))  # the examples' ids
    await cli.ok("directory", "partner", "mdph-33", "--name", "MDPH de la Gironde", "--kind", "mdph")
    case = new_case_id()
    for command in every_command(case):
        started = time.monotonic()
        result = await cli(*command)
        assert result.exit_code == EXIT_NO_WORKER, (command, result.output)
        assert result.stderr.splitlines() == [
            f"ea: no worker polls task queue {queue} at {cli.prefix[1]}: nothing was sent; start one with `ea worker` (or `make run`)"]
        assert time.monotonic() - started < 5, command
    assert not await exists(env.client, case), "`ea open` created nothing"


@pytest.fixture
async def stopped_worker(env: WorkflowEnvironment, registry: Registry) -> tuple[Ea, str]:
    """A case opened while a worker ran, whose worker then stopped: the server still lists its
    poller for a while, so only the wait can tell that nobody answers."""
    async with running_worker(env, registry) as queue:
        cli = Ea(env.client.service_client.config.target_host, queue, str(registry.engine.url))
        await cli.known(structures=("struct-75", "s1"))
        case = new_case_id()
        await cli.ok("open", "--case-id", case, "--structure", "struct-75", "--birth-date", "1990-05-17", "--situation", "rqth")
    return cli, case


async def test_a_step_nobody_answers_is_unconfirmed_then_recorded_once(stopped_worker: tuple[Ea, str], env: WorkflowEnvironment,
                                                                        registry: Registry) -> None:  # fmt: skip
    cli, case = stopped_worker
    unanswered = await cli("--wait", "1", "--actor", "beneficiary:B1", "consent", case, "--request-id", "consent-1")
    assert unanswered.exit_code == EXIT_NO_WORKER, unanswered.output
    [line] = unanswered.stderr.splitlines()
    assert line.startswith(f"ea: no worker answered within 1 s (task queue {cli.prefix[3]}: last poll")
    assert f"`ea consent {case}` is not recorded" in line and "--request-id consent-1 (recorded once)" in line

    opened = new_case_id()
    unread = await cli("--wait", "1", "open", "--case-id", opened, "--structure", "s1", "--birth-date", "1990-05-17")
    assert unread.exit_code == EXIT_NO_WORKER and f"case {opened} is opened (recorded)" in unread.stderr

    async with running_worker(env, registry, cli.prefix[3]):  # the worker is back on the cases' task queue
        await cli.ok("--actor", "beneficiary:B1", "consent", case, "--request-id", "consent-1")

        async def consents() -> list[str]:  # the journal is written a moment after the step
            return [e for e in (await cli.json("history", case))["events"] if e["event"]["type"] == "give_consent"]

        assert len(await eventually(consents)) == 1


async def test_ctrl_c_says_whether_the_step_is_recorded(stopped_worker: tuple[Ea, str]) -> None:
    cli, case = stopped_worker
    ea = Path(sys.executable).parent / "ea"
    process = await asyncio.create_subprocess_exec(
        str(ea), *cli.prefix, "--wait", "60", "--actor", "beneficiary:B1", "consent", case,
        env={**os.environ, **cli.env}, stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)  # fmt: skip
    await asyncio.sleep(8)  # past the start-up and the check for a worker, into the wait (3 s were too few on a loaded machine)
    process.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == EXIT_INTERRUPTED, stderr
    [line] = stderr.decode().splitlines()
    assert line.startswith(f"ea: interrupted; `ea consent {case}` is not recorded") and "--request-id" in line
