"""Garbage at every entry point (property-based, with hypothesis): every update and the CLI's file
parsers refuse it with a clear message, and no workflow task ever fails."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from starter.cases import refusal_message, workflow_id
from starter.cli import ea
from starter.scripted import Cases
from tests.cli_runner import Ea
from workflows.case.steps import BY_STEP
from workflows.case.model import Phase, Situation, Step

pytestmark = pytest.mark.fault

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
ACTOR = st.fixed_dictionaries({"role": st.sampled_from(["coordinator", "referent", "employer", "x"]), "id": st.text(max_size=12)})


def near_valid(step: Step) -> st.SearchStrategy[dict[str, Any]]:
    """The step's own field names with random values (and sometimes a well-formed actor): the
    garbage that passes a first glance and reaches the deeper checks."""
    fields = {name: JSON for name in BY_STEP[step].input.model_fields if name != "actor"}
    return st.fixed_dictionaries({}, optional={**fields, "actor": ACTOR | JSON})


GARBAGE = st.sampled_from(sorted(BY_STEP)).flatmap(lambda step: st.tuples(st.just(step), near_valid(step) | JSON))


async def send(handle: WorkflowHandle, step: Step, payload: Any) -> str | None:
    """The refusal's message, or None when the garbage happened to be a valid step."""
    try:
        await handle.execute_update(step.value, payload)
    except WorkflowUpdateFailedError as failed:
        return refusal_message(failed.cause)
    return None


async def test_garbage_at_every_update_is_refused_clearly_and_no_workflow_task_fails(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-garbage")
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    handle = cases.client.get_workflow_handle(workflow_id(case_id))
    before = await cases.status(case_id)
    loop = asyncio.get_running_loop()
    accepted: list[tuple[Step, Any]] = []

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(GARBAGE)
    def refused(example: tuple[Step, Any]) -> None:
        step, payload = example
        message = asyncio.run_coroutine_threadsafe(send(handle, step, payload), loop).result(timeout=30)
        if message is None:
            accepted.append(example)
            return
        assert message.strip() and "\n" not in message, f"{step}: not one clear line: {message!r}"
        assert "Traceback" not in message and "NoneType" not in message and "object has no attribute" not in message

    await asyncio.to_thread(refused)
    assert not accepted, f"garbage accepted as a valid step: {accepted}"
    after = await cases.status(case_id)
    assert after == before, "nothing changed"
    history = await handle.fetch_history()
    failed = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED]
    assert not failed, "a workflow task failed"


def run_ea(env: dict[str, str], *args: str) -> Any:
    return CliRunner(env=env).invoke(ea, list(args))


@pytest.mark.parametrize("command", ["open", "import"])
async def test_garbage_files_are_refused_with_one_line_and_an_exit_code(cli: Ea, command: str) -> None:
    directory = Path(tempfile.mkdtemp(prefix="ea-garbage-"))

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.binary(max_size=300) | st.text(max_size=300).map(lambda text: text.encode("utf-8")))
    def refused(content: bytes) -> None:
        path = directory / ("case.yaml" if command == "open" else "cases.csv")
        path.write_bytes(content)
        args = [*cli.prefix, "open", "--from-file", str(path)] if command == "open" else [*cli.prefix, "import", str(path)]
        result = run_ea(cli.env, *args)
        assert result.exit_code in (2, 6), f"exit {result.exit_code} for {content!r}: {result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert "Traceback" not in result.output
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines and lines[0].startswith("ea: ") or result.exit_code == 6, result.stderr

    await asyncio.to_thread(refused)


def test_an_unknown_case_is_named(cli: Ea) -> None:
    result = run_ea(cli.env, *cli.prefix, "status", "NO-SUCH-CASE")
    assert result.exit_code == 3 and "no case NO-SUCH-CASE" in result.stderr
