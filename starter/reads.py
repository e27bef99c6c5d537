"""Reading a case, without importing the workflow, the case core's rules or the registry: what
`ea status` and `ea history` need, so that they start fast (starter/lazy.py). starter/cases.py
re-exports it beside the calls that change a case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from temporalio.service import RPCError, RPCStatusCode

from workflows.case.model import CaseState
from workflows.case.refusals import Refusal

if TYPE_CHECKING:
    from temporalio.client import Client

STATUS_QUERY = "status"
"""The name of AccompanimentWorkflow.status (tests/test_cli.py checks that they agree)."""


class CaseNotFound(Exception):
    pass


class CaseExists(Exception):
    pass


class StepRefused(Exception):
    """The workflow's validator refused the step; the message says which rule, in English for the
    terminal, and `reason` carries the rule's code for an edge that words it otherwise."""

    def __init__(self, message: str, reason: Refusal | None = None) -> None:
        super().__init__(message)
        self.reason = reason


def workflow_id(case_id: str) -> str:
    """Opaque by construction: the case id, never a name."""
    return f"case-{case_id}"


async def case_status(client: Client, case_id: str) -> CaseState:
    """The live state of an open case, or the final state of a closed one."""
    handle = client.get_workflow_handle(workflow_id(case_id))
    try:
        return await handle.query(STATUS_QUERY, result_type=CaseState)
    except RPCError as error:
        raise translated(error, case_id) from None


def translated(error: RPCError, case_id: str) -> Exception:
    if error.status is RPCStatusCode.NOT_FOUND:
        if "completed" in error.message.lower():
            return StepRefused(f"case {case_id} is closed; `ea reopen {case_id}` opens it again")
        return CaseNotFound(f"no case {case_id}")
    return error
