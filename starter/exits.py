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

from starter import reads, waiting
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
    except Exception as error:
        if not isinstance(error, KNOWN_ERRORS + _registry_refusals()):
            raise
        message, code = explain(error)
    except KeyboardInterrupt:  # outside a worker's wait, which says what is recorded (starter/waiting.py)
        message, code = "interrupted", EXIT_INTERRUPTED
    # Exit outside the except block: a chained exception would keep the Temporal client alive
    # until the interpreter's teardown, where its native runtime aborts the process.
    fail(message, code)


KNOWN_ERRORS = (reads.CaseNotFound, reads.StepRefused, reads.CaseExists, ServerUnreachable, ValidationError,
                KeyMissing, waiting.NoWorker, waiting.NotConfirmed, waiting.Interrupted)  # fmt: skip


def _registry_refusals() -> tuple[type[Exception], ...]:
    """CaseloadFull, when the registry's caseload module is loaded: only then can it have been
    raised, and importing it here would cost every command SQLAlchemy's import."""
    caseload = sys.modules.get("activities.registry.caseload")
    return (caseload.CaseloadFull,) if caseload is not None else ()


def explain(error: Exception) -> tuple[str, int]:
    match error:
        case reads.CaseNotFound():
            return str(error), EXIT_NOT_FOUND
        case reads.StepRefused() | reads.CaseExists():
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
    if isinstance(error, _registry_refusals()):
        return f"refused: {error}", EXIT_REFUSED
    raise error


def build(model: type[T], **fields: Any) -> T:
    try:
        return model(**fields)
    except ValidationError as error:
        message = validation_message(error)
    fail(message, EXIT_USAGE)
