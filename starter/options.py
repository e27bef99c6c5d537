"""The options and outputs every `ea` command shares: dates, durations, `--json`, who acts."""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from starter import output
from starter.settings import Connection
from workflows.case.model import Actor, CaseState, RequestAcknowledgement, StepAcknowledgement

T = TypeVar("T")

DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> timedelta | None:
    if value is None:
        return None
    match = DURATION.match(value.strip())
    if match is None:
        raise click.BadParameter(f"{value!r} is not a duration such as 30d, 12w, 36h")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def as_date(_ctx: click.Context, _param: click.Parameter, value: Any) -> date | None:
    return None if value is None else value.date()


ISO_DATE = click.DateTime(formats=["%Y-%m-%d"])


def day_option(name: str = "--on", help: str = "The date it happened (YYYY-MM-DD).") -> Callable[[T], T]:
    return click.option(
        name, "day", type=ISO_DATE, default=str(date.today()), show_default="today", callback=as_date, help=help
    )


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
force_reason_option = click.option(
    "--force-reason", help="Assign even beyond the référent's capacity; why (recorded in the audit journal)."
)
case_argument = click.argument("case_id")


def choice(enum: type) -> click.Choice:
    return click.Choice([member.value for member in enum])


def parse_actor(text: str | None) -> Actor | None:
    if not text:
        return None
    try:
        return Actor.parse(text)
    except ValidationError:
        raise click.BadParameter(f"{text!r} is not role:id, e.g. coordinator:coord-3 or referent:ref-12") from None


def require_actor() -> Actor:
    """Who acts, for a command that changes something: refused before anything is sent when unknown."""
    actor = current_actor()
    if actor is None:
        from starter.exits import EXIT_USAGE, fail

        fail("who acts? give --actor role:id (e.g. --actor referent:ref-12) or set EA_ACTOR", EXIT_USAGE)
    return actor


def current_actor() -> Actor | None:
    return click.get_current_context().meta.get("actor")


pass_connection = click.make_pass_decorator(Connection)


def show(result: CaseState | StepAcknowledgement | RequestAcknowledgement, as_json: bool) -> None:
    if as_json:
        output.emit_json(result)
    elif isinstance(result, RequestAcknowledgement):
        click.echo(f"request {result.request_id} recorded; response due by {output.when(result.deadline)}")
    else:
        click.echo(output.summary_line(result))


def require_file_for_pdf(fmt: str, output: Path | None) -> None:
    """Refused before anything is rendered: a PDF is never written to the terminal."""
    if fmt == "pdf" and output is None:
        from starter.exits import EXIT_USAGE, fail

        fail("a PDF goes to a file: add --output FILE", EXIT_USAGE)


def deliver(content: str | bytes, output: Path | None, *, newline: bool = True) -> None:
    """Write an exported document to `output`, or print it."""
    if output is None:
        click.echo(content, nl=newline)
        return
    output.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    click.echo(f"wrote {output}")


async def with_client(connection: Connection, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    return await work(await connection.connect())
