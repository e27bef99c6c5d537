"""`ea` commands on notifications: what was sent about a case, the local catcher's mailbox, and
the référents' calendar feeds."""

from __future__ import annotations

import os

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.notifications.calendar import UnknownReferent, issue_token, revoke_token
from activities.notifications.settings import mail_settings_from_env
from activities.registry.migrate import migrated_engine
from activities.registry.schema import Case, Notification
from starter import output
from starter.calendar_server import CalendarServer
from starter.exits import EXIT_NOT_FOUND, fail
from starter.mail_catcher import mail_dir, stored
from starter.options import case_argument, json_option

CALENDAR_PORT = int(os.environ.get("EA_CALENDAR_PORT", "8235"))


@click.command("notifications")
@case_argument
@json_option
def notifications(case_id: str, as_json: bool) -> None:
    """What was sent about a case: to whom, when, and its status (pending, sent, failed, ...).

    \b
    A failed message (no address, or the SMTP server refused it after every attempt) is also an
    alert in the case's journal: tell that person another way.
    Example:
      ea notifications C1A2B3
      ea notifications C1A2B3 --json
    """
    engine = migrated_engine()
    with Session(engine) as session:
        if session.get(Case, case_id) is None:
            fail(f"no case {case_id} in the registry", EXIT_NOT_FOUND)
        rows = list(session.scalars(select(Notification).where(Notification.case_id == case_id).order_by(Notification.id)))
    engine.dispose()
    listed = [{"id": r.id, "event": r.seq, "kind": r.kind, "recipient": r.recipient, "address": r.address, "status": r.status,
               "attempts": r.attempts, "queued_at": r.created_at, "sent_at": r.sent_at, "subject": r.subject,
               "error": r.last_error} for r in rows]  # fmt: skip
    if as_json:
        output.emit_json({"case": case_id, "notifications": listed})
        return
    table = output.Table(title=f"{len(listed)} notification(s) for case {case_id}", title_justify="left")
    for column in ("id", "event", "kind", "to", "status", "attempts", "when", "note"):
        table.add_column(column)
    for row in listed:
        when = output.when(row["sent_at"] or row["queued_at"])
        to = f"{row['recipient']}" + (f" <{row['address']}>" if row["address"] else "")
        table.add_row(str(row["id"]), str(row["event"]), row["kind"], to, row["status"], str(row["attempts"]), when,
                      row["error"] or row["subject"] or "")  # fmt: skip
    output.console.print(table)


@click.group()
def mail() -> None:
    """The messages the local SMTP catcher of `ea run` kept (EA_MAIL_DIR, by default var/mail/).

    \b
    Example:
      ea mail list
      ea mail show 3
    """


@mail.command("list")
@json_option
def mail_list(as_json: bool) -> None:
    """List the caught messages, oldest first.

    \b
    Example:
      ea mail list --json
    """
    messages = [m.summary() for m in stored(mail_dir())]
    if as_json:
        output.emit_json({"directory": str(mail_dir()), "messages": messages})
        return
    table = output.Table(title=f"{len(messages)} message(s) in {mail_dir()}", title_justify="left")
    for column in ("number", "date", "to", "subject"):
        table.add_column(column, no_wrap=column == "number")
    for message in messages:
        table.add_row(message["number"], message["date"], message["to"], message["subject"])
    output.console.print(table)


@mail.command("show")
@click.argument("number", type=click.IntRange(1))
@click.option("--html", is_flag=True, help="The HTML part instead of the plain text.")
@json_option
def mail_show(number: int, html: bool, as_json: bool) -> None:
    """Print one caught message: its headers and its text (or HTML).

    \b
    Example:
      ea mail show 1
      ea mail show 1 --html
    """
    messages = stored(mail_dir())
    if number > len(messages):
        fail(f"no message {number}: {len(messages)} in {mail_dir()}", EXIT_NOT_FOUND)
    message = messages[number - 1]
    body = message.body("html" if html else "plain")
    if as_json:
        output.emit_json({**message.summary(), "body": body})
        return
    for name in ("From", "To", "Date", "Subject", "Message-ID"):
        click.echo(f"{name}: {message.message[name]}")
    click.echo()
    click.echo(body)


@click.group()
def calendar() -> None:
    """The référents' calendar feeds (.ics): reviews due and request deadlines, at a secret URL.

    \b
    Example:
      ea calendar token ref-12
      ea calendar revoke ref-12
    """


@calendar.command("token")
@click.argument("referent_id")
@click.option("--base-url", envvar="EA_CALENDAR_URL", default=f"http://127.0.0.1:{CALENDAR_PORT}", show_default=True,
              help="Where the feed is served (env EA_CALENDAR_URL).")  # fmt: skip
@json_option
def calendar_token(referent_id: str, base_url: str, as_json: bool) -> None:
    """Give a référent a new feed URL (its secret is shown once; the previous URL stops working).

    \b
    Example:
      ea calendar token ref-12
    """
    engine = migrated_engine()
    try:
        token = issue_token(engine, referent_id)
    except UnknownReferent as unknown:
        fail(str(unknown), EXIT_NOT_FOUND)
    finally:
        engine.dispose()
    url = f"{base_url.rstrip('/')}/calendar/{token}.ics"
    if as_json:
        output.emit_json({"referent": referent_id, "url": url})
    else:
        click.echo(f"{referent_id}: subscribe to {url}")


@calendar.command("revoke")
@click.argument("referent_id")
def calendar_revoke(referent_id: str) -> None:
    """Revoke a référent's feed URL: it answers 404 from now on.

    \b
    Example:
      ea calendar revoke ref-12
    """
    engine = migrated_engine()
    try:
        revoke_token(engine, referent_id)
    except UnknownReferent as unknown:
        fail(str(unknown), EXIT_NOT_FOUND)
    finally:
        engine.dispose()
    click.echo(f"{referent_id}: calendar feed revoked")


@calendar.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=CALENDAR_PORT, show_default=True, help="Port to listen on (env EA_CALENDAR_PORT).")
def calendar_serve(host: str, port: int) -> None:
    """Serve the feeds at /calendar/<token>.ics (`ea run` does it on 127.0.0.1:8235).

    \b
    Example:
      ea calendar serve --port 8235
    """
    server = CalendarServer(migrated_engine(), mail_settings_from_env().calendar_names, host=host, port=port)
    click.echo(f"ea: calendar feeds on {server.url}/calendar/<token>.ics", err=True)
    server.serve_until_interrupted()


COMMANDS: list[click.Command] = [notifications, mail, calendar]
