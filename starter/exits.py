"""How `ea` fails: one line on stderr and a documented exit code, never a traceback.

0 done · 1 unexpected error · 2 usage or invalid input (or an id not in the directory) · 3 case not found · 4 step refused (the
message says which rule, or the record it conflicts with) · 5 Temporal server unreachable · 6 bulk import: some rows failed ·
7 no worker answered (none polls the task queue, or none within --wait; the message says whether
the step is recorded) · 130 interrupted by Ctrl-C (the message says the same).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError

from starter import reads, waiting
from workflows.encryption import KeyMissing
from starter.settings import AccessMisconfigured, ServerUnreachable

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
    return settle(lambda: asyncio.run(coroutine))


def settle(call: Callable[[], T]) -> T:
    """Call `call`, turning the errors a person can act on into one line and an exit code."""
    try:
        return call()
    except Exception as error:
        if not isinstance(error, KNOWN_ERRORS + tuple(_registry_errors())):
            raise
        message, code = explain(error)
    except KeyboardInterrupt:  # outside a worker's wait, which says what is recorded (starter/waiting.py)
        message, code = "interrupted", EXIT_INTERRUPTED
    # Exit outside the except block: a chained exception would keep the Temporal client alive
    # until the interpreter's teardown, where its native runtime aborts the process.
    fail(message, code)


KNOWN_ERRORS = (reads.CaseNotFound, reads.StepRefused, reads.CaseExists, ServerUnreachable, ValidationError,
                KeyMissing, AccessMisconfigured, waiting.NoWorker, waiting.NotConfirmed, waiting.Interrupted)  # fmt: skip


REGISTRY_ERRORS: dict[tuple[str, str], int] = {
    ("activities.registry.caseload", "CaseloadFull"): EXIT_REFUSED,
    ("activities.registry.directory", "DirectoryConflict"): EXIT_REFUSED,
    ("activities.registry.directory", "UnknownReference"): EXIT_USAGE,
    ("sqlalchemy.exc", "IntegrityError"): EXIT_REFUSED,
    ("starter.operators", "SearchAttributeConflict"): EXIT_REFUSED,
}
"""The registry's refusals and the cluster setup's (module, class), and their exit codes."""


def _registry_errors() -> dict[type[Exception], int]:
    """The registry's refusals whose module is loaded: only then can one have been raised, and
    importing them here would cost every command SQLAlchemy's import."""
    return {getattr(sys.modules[module], name): code for (module, name), code in REGISTRY_ERRORS.items() if module in sys.modules}


def _registry_message(error: Exception, code: int) -> str:
    orig = getattr(error, "orig", None)
    if orig is not None:  # a database rule no check foresaw: name it, never the row's values
        return f"refused: the registry already holds a record that conflicts with this one ({str(orig).splitlines()[0]})"
    return f"refused: {error}" if code == EXIT_REFUSED else str(error)


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
        case AccessMisconfigured():
            return f"cluster access: {error}", EXIT_USAGE
        case waiting.NoWorker() | waiting.NotConfirmed():
            return str(error), EXIT_NO_WORKER
        case waiting.Interrupted():
            return str(error), EXIT_INTERRUPTED
    for kind, code in _registry_errors().items():
        if isinstance(error, kind):
            return _registry_message(error, code), code
    raise error


def build(model: type[T], **fields: Any) -> T:
    try:
        return model(**fields)
    except ValidationError as error:
        message = validation_message(error)
    fail(message, EXIT_USAGE)
