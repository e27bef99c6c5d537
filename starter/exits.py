"""How `ea` fails: one line on stderr and a documented exit code, never a traceback.

0 done · 1 unexpected error · 2 usage or invalid input · 3 case not found · 4 step refused (the
message says which rule) · 5 Temporal server unreachable · 6 bulk import: some rows failed ·
7 no worker answered (none polls the task queue, or none within --wait; the message says whether
the step is recorded) · 130 interrupted by Ctrl-C (the message says the same).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError

from activities.registry.caseload import CaseloadFull
from starter import cases, waiting
from workflows.encryption import KeyMissing
from starter.settings import ServerUnreachable

EXIT_UNEXPECTED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_SOME_ROWS_FAILED = 1, 2, 3, 4, 5, 6
EXIT_NO_WORKER, EXIT_INTERRUPTED = 7, 130

T = TypeVar("T")


def fail(message: str, code: int) -> NoReturn:
    click.echo(f"ea: {message}", err=True)
    sys.exit(code)


def validation_message(error: ValidationError) -> str:
    """One line a person can act on: which field, what is wrong with it."""
    problems = [
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg'].removeprefix('Value error, ')}" for e in error.errors()
    ]
    return "invalid input: " + "; ".join(problems)


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one command's work, turning the errors a person can act on into an exit code."""
    try:
        return asyncio.run(coroutine)
    except KNOWN_ERRORS as error:
        message, code = explain(error)
    except KeyboardInterrupt:  # outside a worker's wait, which says what is recorded (starter/waiting.py)
        message, code = "interrupted", EXIT_INTERRUPTED
    # Exit outside the except block: a chained exception would keep the Temporal client alive
    # until the interpreter's teardown, where its native runtime aborts the process.
    fail(message, code)


KNOWN_ERRORS = (cases.CaseNotFound, cases.StepRefused, cases.CaseExists, CaseloadFull, ServerUnreachable, ValidationError,
                KeyMissing, waiting.NoWorker, waiting.NotConfirmed, waiting.Interrupted)  # fmt: skip


def explain(error: Exception) -> tuple[str, int]:
    match error:
        case cases.CaseNotFound():
            return str(error), EXIT_NOT_FOUND
        case cases.StepRefused() | cases.CaseExists() | CaseloadFull():
            return f"refused: {error}", EXIT_REFUSED
        case ServerUnreachable():
            return str(error), EXIT_UNREACHABLE
        case ValidationError():
            return validation_message(error), EXIT_USAGE
        case KeyMissing():
            return f"encryption: {error}", EXIT_USAGE
        case waiting.NoWorker() | waiting.NotConfirmed():
            return str(error), EXIT_NO_WORKER
        case waiting.Interrupted():
            return str(error), EXIT_INTERRUPTED
    raise error


def build(model: type[T], **fields: Any) -> T:
    try:
        return model(**fields)
    except ValidationError as error:
        message = validation_message(error)
    fail(message, EXIT_USAGE)
