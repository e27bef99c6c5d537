"""`ea web` serves the staff application; `ea user` manages the accounts that sign in to it."""

from __future__ import annotations

import sys
from datetime import datetime, timezone

import click

from starter import output
from starter.exits import EXIT_REFUSED, EXIT_USAGE, fail
from starter.options import json_option, pass_connection
from starter.settings import Connection

ROLES = ("admin", "coordinator", "referent")


@click.command("web")
@click.option("--host", envvar="EA_WEB_HOST", default="127.0.0.1", show_default=True, help="Address to listen on (env EA_WEB_HOST).")
@click.option("--port", envvar="EA_WEB_PORT", default=8000, show_default=True, type=int, help="Port (env EA_WEB_PORT).")
@pass_connection
def web_command(connection: Connection, host: str, port: int) -> None:
    """Serve the staff application for référents, coordinators and admins (in French).

    It reaches cases through the Temporal server (TEMPORAL_ADDRESS) and reads the registry
    (DATABASE_URL), like every other command; `ea run` starts it for you. Behind TLS, set
    EA_WEB_SECURE=1 (cookies only over HTTPS). An identity provider: EA_OIDC_ISSUER,
    EA_OIDC_CLIENT_ID, EA_OIDC_CLIENT_SECRET.

    \b
    Example:
      ea web --port 8000
    """
    import uvicorn

    from activities.registry.caseload import capacity_from_env
    from activities.registry.migrate import migrated_engine
    from web.app import create_app
    from web.settings import WebSettings
    from web.state import Web

    settings = WebSettings.from_env()
    settings = WebSettings(**{**settings.__dict__, "host": host, "port": port})
    web = Web(registry=migrated_engine(), connect=connection.connect, task_queue=connection.task_queue, settings=settings,
              capacity=capacity_from_env())  # fmt: skip
    click.echo(f"ea: staff application on {settings.address}", err=True)
    # No access log: a URL names a case, and a log line is no place for the cases people open.
    uvicorn.run(create_app(web), host=host, port=port, access_log=False, log_level="warning", proxy_headers=settings.secure_cookies)


@click.group()
def user() -> None:
    """Staff accounts for the web application: add, list, disable.

    \b
    Example (the first admin of a platform):
      ea user add admin@plateforme.fr --name "Camille Admin" --role admin
    """


def _now() -> datetime:
    return datetime.now(timezone.utc)


@user.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The name shown in the application and in the access log.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="admin: accounts and directory; coordinator: every case of "
              "the structure; referent: the cases they follow.")  # fmt: skip
@click.option("--structure", "structure_id", help="The coordinator's structure (a référent's comes from the directory).")
@click.option("--referent", "referent_id", help="For a référent: their id in the directory (`ea directory referent`).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking for it.")
@click.option("--no-password", is_flag=True, help="The account signs in only through the identity provider (OIDC).")
@json_option
def user_add(email: str, name: str, role: str, structure_id: str | None, referent_id: str | None, password_stdin: bool,
             no_password: bool, as_json: bool) -> None:  # fmt: skip
    """Create an account; asks for its password (12 characters at least) unless told otherwise.

    \b
    Example:
      ea user add c.martin@plateforme.fr --name "Claire Martin" --role referent --referent ref-12
      ea user add j.durand@plateforme.fr --name "Jean Durand" --role coordinator --structure struct-75
    """
    from activities.registry import accounts
    from activities.registry.migrate import migrated_engine

    if password_stdin and no_password:
        fail("--password-stdin and --no-password say opposite things: choose one", EXIT_USAGE)
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif not no_password:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    engine = migrated_engine()
    try:
        member = accounts.add_account(engine, email=email, name=name, role=accounts.StaffRole(role), password=password, now=_now(),
                                      structure_id=structure_id, referent_id=referent_id)  # fmt: skip
    except accounts.AccountRefused as refused:
        fail(f"refused: {refused}", EXIT_REFUSED)
    finally:
        engine.dispose()
    if as_json:
        output.emit_json({"account": {"id": member.id, "email": member.email, "role": member.role.value,
                                      "structure_id": member.structure_id, "referent_id": member.referent_id}})  # fmt: skip
    else:
        click.echo(f"account {member.id} created: {member.email} ({member.role.value}); sign in at the staff application (ea web)")


@user.command("list")
@json_option
def user_list(as_json: bool) -> None:
    """Every account, its role and structure, and whether it may sign in.

    \b
    Example:
      ea user list --json
    """
    from activities.registry import accounts
    from activities.registry.migrate import migrated_engine

    engine = migrated_engine()
    rows = [{"id": m.id, "email": m.email, "name": m.name, "role": m.role.value, "structure_id": m.structure_id,
             "referent_id": m.referent_id, "active": active} for m, active in accounts.list_accounts(engine)]  # fmt: skip
    engine.dispose()
    if as_json:
        output.emit_json({"accounts": rows})
        return
    table = output.Table(title=f"{len(rows)} account(s)", title_justify="left")
    for column in ("email", "name", "role", "structure", "référent", "active"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["email"], row["name"], row["role"], row["structure_id"] or "—", row["referent_id"] or "—",
                      "yes" if row["active"] else "disabled")  # fmt: skip
    output.console.print(table)


@user.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Stop an account from signing in; its open sessions end at once.

    \b
    Example:
      ea user disable c.martin@plateforme.fr
    """
    from activities.registry import accounts
    from activities.registry.migrate import migrated_engine

    engine = migrated_engine()
    try:
        member = accounts.disable_account(engine, email, _now())
    except accounts.AccountRefused as refused:
        fail(f"refused: {refused}", EXIT_REFUSED)
    finally:
        engine.dispose()
    click.echo(f"account {member.email} disabled; its sessions are closed")


COMMANDS: list[click.Command] = [web_command, user]
