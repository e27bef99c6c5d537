"""`ea status` and `ea history`: reading one case, in a module of its own so that they import
only what a query needs (see starter/lazy.py)."""

from __future__ import annotations

import click

from starter import output, reads
from starter.exits import run_async
from starter.options import case_argument, json_option, pass_connection
from starter.settings import Connection
from starter.waiting import with_worker


@click.command()
@case_argument
@json_option
@pass_connection
def status(connection: Connection, case_id: str, as_json: bool) -> None:
    """Show a case: phase, référent, signatures, next review, open requests.

    \b
    Example:
      ea status C1A2B3 --json
    """
    state = run_async(with_worker(connection, lambda c: reads.case_status(c, case_id)))
    if as_json:
        output.emit_json(state)
    else:
        output.console.print(output.status_table(state))


@click.command()
@case_argument
@json_option
@pass_connection
def history(connection: Connection, case_id: str, as_json: bool) -> None:
    """Show a case's timeline: every change of phase, reminder and escalation.

    \b
    Example:
      ea history C1A2B3
    """
    state = run_async(with_worker(connection, lambda c: reads.case_status(c, case_id)))
    if as_json:
        output.emit_json({"transitions": [t.model_dump(mode="json") for t in state.transitions],
                          "alerts": [a.model_dump(mode="json") for a in state.alerts]})  # fmt: skip
    else:
        output.console.print(output.history_table(state))


COMMANDS: list[click.Command] = [status, history]
