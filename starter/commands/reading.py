"""`ea status` and `ea history`: reading one case, in a module of its own so that they import
only what a query needs (see starter/lazy.py)."""

from __future__ import annotations

import click

from starter import output, reads
from starter.exits import EXIT_NOT_FOUND, fail, run_async
from starter.options import case_argument, json_option, pass_connection
from starter.settings import Connection
from starter.waiting import with_worker
from workflows.case.model import Phase


@click.command()
@case_argument
@json_option
@pass_connection
def status(connection: Connection, case_id: str, as_json: bool) -> None:
    """Show a case: phase, référent, signatures, next review, open requests, alerts.

    \b
    Example:
      ea status C1A2B3 --json
    """
    state = run_async(with_worker(connection, lambda c: reads.case_status(c, case_id)))
    if state.phase is Phase.CLOSED:  # the intensity it had is history, not support it receives
        state = state.model_copy(update={"intensity": None})
    if as_json:
        output.emit_json(state)
    else:
        output.console.print(output.status_table(state))


@click.command()
@case_argument
@json_option
def history(case_id: str, as_json: bool) -> None:
    """Show a case's timeline: every event with who acted and why, from the registry's journal.

    Steps, requests and answers, reviews, intensity changes, contacts, reminders, escalations and
    the closure's reason. Each event is written to the registry (DATABASE_URL) a moment after the
    step; the workflow's state keeps only phase moves and alerts, and no personal data.

    \b
    Example:
      ea history C1A2B3
    """
    from activities.registry.journal import Registry  # the registry only for this command (starter/lazy.py)
    from activities.registry.migrate import migrated_engine

    registry = migrated_engine()
    entries = Registry(registry).journal(case_id)
    registry.dispose()
    if not entries:
        fail(f"no case {case_id} in the registry's journal (DATABASE_URL)", EXIT_NOT_FOUND)
    if as_json:
        output.emit_json({"events": [entry.model_dump(mode="json", exclude={"snapshot"}) for entry in entries]})
    else:
        output.console.print(output.history_table(case_id, entries))


COMMANDS: list[click.Command] = [status, history]
