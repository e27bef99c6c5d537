"""`ea` commands for operators: lists from visibility, cluster setup, the server and the worker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy import make_url

import worker
from activities.registry.database import database_url_from_env
from activities.notifications.settings import BadMailSettings, MailSettings, mail_settings_from_env
from activities.registry.evidence_files import reseal_files
from activities.registry.migrate import migrated_engine
from activities.registry.sealed import reseal
from starter import devserver, mail_catcher, operators, output
from starter.calendar_server import CalendarServer
from starter.mail_catcher import mail_dir
from starter.codec_server import CodecServer, codec_token, codec_token_file, ui_origins
from starter.devserver import DevServer
from workflows.encryption import keyring_from_env, keys_file
from starter.exits import EXIT_USAGE, fail, run_async
from starter.options import (
    choice,
    json_option,
    pass_connection,
    with_client,
)
from starter.settings import ACCESS_VARIABLES, Connection
from starter.telemetry import METRICS_VARIABLE, metrics_address_from_env
from starter.waiting import until_polled
from workflows.case.model import Phase
from workflows.contracts import documents_queue


@click.command("list")
@click.option("--phase", type=choice(Phase), help="Only cases in this phase.")
@click.option("--referent", "referent_id", help="Only this référent's cases.")
@click.option("--structure", "structure_id", help="Only this structure's cases.")
@click.option("--overdue", is_flag=True, help="Only cases with a review or an employer request past its deadline.")
@click.option("--review-due", is_flag=True, help="Only cases whose next review date has come.")
@click.option("--open-requests", is_flag=True, help="Only cases with employer requests awaiting a response.")
@click.option("--all", "include_closed", is_flag=True, help="Closed cases too.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000), help="At most this many.")
@json_option
@pass_connection
def list_command(connection: Connection, as_json: bool, limit: int, phase: str | None, **filters: Any) -> None:
    """List cases from Temporal's visibility (our search attributes; no personal data).

    \b
    Example:
      ea list --structure struct-75 --overdue
      ea list --phase in_job_support --referent ref-12 --json
    """
    wanted = operators.CaseFilters(phase=Phase(phase) if phase else None, **filters)
    listings = run_async(with_client(connection, lambda c: operators.list_cases(c, wanted, limit)))
    if as_json:
        output.emit_json({"query": wanted.query(), "cases": [listing.as_json() for listing in listings]})
        return
    table = output.Table(title=f"{len(listings)} case(s)", title_justify="left", caption=wanted.query())
    table.add_column("case", no_wrap=True)  # copied into the next command: never shortened
    for column in ("phase", "référent", "structure", "next review", "requests", "overdue"):
        table.add_column(column)
    for c in listings:
        table.add_row(c.case_id, c.phase or "—", c.referent_id or "—", c.structure_id or "—", output.when(c.next_review_at),
                      str(c.open_requests or 0), "yes" if c.overdue else "")  # fmt: skip
    output.console.print(table)


@click.group()
def admin() -> None:
    """Operators' tasks on a Temporal cluster.

    \b
    Example:
      ea --address temporal.internal:7233 --namespace ea-prod admin setup
    """


@admin.command("setup")
@json_option
@pass_connection
def admin_setup(connection: Connection, as_json: bool) -> None:
    """Register our search attributes and the schedules (retention, funders' report, notifications,
    digest) on any cluster.

    Idempotent: what exists is kept (a schedule an operator paused or tuned stays as it is); an
    attribute of ours that exists with another type is refused. `make run` does it on the dev server.

    \b
    Example:
      ea --address temporal.internal:7233 --namespace ea-prod admin setup
    """
    async def setup(client: Any) -> tuple[dict[str, str], dict[str, str]]:
        attributes = await operators.setup_search_attributes(client, connection.namespace)
        return attributes, await operators.ensure_schedules(client, connection.task_queue)

    done, schedules = run_async(with_client(connection, setup))
    if as_json:
        output.emit_json({"namespace": connection.namespace, "search_attributes": done, "schedules": schedules})
    else:
        for name, state in (done | schedules).items():
            click.echo(f"{name}: {state}")


# --- Services: the embedded server and the worker ---------------------------------------------


@click.command()
@click.option("--port", default=7233, show_default=True, help="gRPC port of the dev server.")
@click.option("--ui-port", default=8233, show_default=True, help="Port of the Temporal Web UI.")
@click.option("--codec-port", default=8234, show_default=True, help="Port of the codec server the UI decodes with.")
@click.option("--calendar-port", default=8235, envvar="EA_CALENDAR_PORT", show_default=True,
              help="Port of the référents' calendar feeds (env EA_CALENDAR_PORT).")  # fmt: skip
@click.option("--web-port", default=8000, envvar="EA_WEB_PORT", show_default=True,
              help="Port of the staff web application (env EA_WEB_PORT).")
@click.option("--ui-codec/--no-ui-codec", default=True, show_default=True,
              help="Point the UI at the codec server. The dev UI sends no header, so the codec token goes in the "
                   "endpoint URL, which other users of this machine can read (`ps`, the UI's settings): on a shared "
                   "machine, --no-ui-codec and decode with `temporal workflow show --codec-auth`.")  # fmt: skip
@pass_connection
def run(connection: Connection, port: int, ui_port: int, codec_port: int, calendar_port: int, web_port: int, ui_codec: bool) -> None:
    """Start the embedded Temporal dev server, the codec server, the workers and the staff web application (Ctrl-C stops all).

    \b
    State is kept in var/ (temporal.db, registry.db, keys.json, codec-token; the directory is
    the owner's only), so the next `ea run` finds every case where it was. Web UI:
    http://localhost:8233 (or http://127.0.0.1:8233), where payloads are decoded by the codec
    server on http://127.0.0.1:8234 (its token is in var/codec-token). Unless EA_SMTP_HOST names
    a mail server, a local SMTP catcher on 127.0.0.1:8025 keeps the notifications in var/mail/
    (`ea mail list`); référents' calendar feeds are served on 127.0.0.1:8235; the staff
    application on http://localhost:8000 (`ea user add` creates its first account).

    \b
    Example:
      ea run
    """
    worker.configure_logging()
    os.environ.setdefault("EA_APP_URL", f"http://localhost:{web_port}")  # messages link to the application it serves
    mail = _mail_settings()
    catcher = None if os.environ.get("EA_SMTP_HOST") else mail_catcher.catcher(mail_dir(), mail.port, mail.host)
    if catcher is not None:
        catcher.start()
    calendar = CalendarServer(migrated_engine(), mail.calendar_names, port=calendar_port)
    calendar.start_in_background()
    codec = CodecServer(keyring_from_env(), codec_token(), ui_origins(ui_port), port=codec_port)
    codec.start_in_background()
    server = DevServer(port=port, ui_port=ui_port, namespace=connection.namespace,
                       ui_codec_endpoint=f"{codec.url}/{codec.token}" if ui_codec else None)  # fmt: skip
    embedded = Connection(address=server.address, namespace=server.namespace, task_queue=connection.task_queue)
    process = server.start()
    try:
        asyncio.run(_serve_with(server, process, embedded, codec, _mail_row(catcher, mail), calendar, web_port))
    except KeyboardInterrupt:
        pass
    finally:
        for http in (codec, calendar):
            http.shutdown()
            http.server_close()
        if catcher is not None:
            catcher.stop()
        devserver.stop(process)
        click.echo("ea: dev server stopped", err=True)


def _mail_settings() -> MailSettings:
    """Checked before anything starts: a wrong setting is one line and exit 2."""
    try:
        return mail_settings_from_env()
    except BadMailSettings as bad:
        fail(str(bad), EXIT_USAGE)


def _mail_row(catcher: Any, mail: MailSettings) -> str:
    if catcher is None:
        return f"to {mail.host}:{mail.port} ({mail.security})"
    return f"caught on {mail.host}:{mail.port}, kept in {mail_dir()}/ (ea mail list)"


async def _serve_with(server: DevServer, process: Any, connection: Connection, codec: CodecServer, mail_row: str,
                      calendar: CalendarServer, web_port: int) -> None:  # fmt: skip
    await server.wait_until_ready(process)
    client = await connection.connect()
    await operators.ensure_schedules(client, connection.task_queue)
    database_url = database_url_from_env()
    renderer = _process(connection, database_url, "worker", "--role", "documents")
    web = _process(connection, database_url, "web", "--port", str(web_port))
    try:
        serving = asyncio.create_task(worker.serve(connection, database_url, role="cases", metrics_address=metrics_address_from_env()))
        polled = asyncio.create_task(until_polled(client, connection))  # "ready" once a command would find the worker
        await asyncio.wait({serving, polled}, return_when=asyncio.FIRST_COMPLETED)
        if polled.done() and polled.exception() is None:
            click.echo(_serving(server, codec, connection, database_url, renderer.pid, mail_row, calendar, web_port), err=True)
        await serving
    finally:
        for process in (renderer, web):
            process.send_signal(signal.SIGTERM)
        for process in (renderer, web):
            process.wait(timeout=15)


def _process(connection: Connection, database_url: str, *command: str) -> subprocess.Popen[bytes]:
    """An `ea` command in a process of its own — the documents worker (a PDF never holds the cases'
    workflow tasks), the staff application. It reaches the embedded server as this process does
    (no cluster credentials), and leaves the metrics endpoint to the case worker."""
    inherited = {name: value for name, value in os.environ.items() if name not in (*ACCESS_VARIABLES, METRICS_VARIABLE)}
    environment = {**inherited, "TEMPORAL_ADDRESS": connection.address, "TEMPORAL_NAMESPACE": connection.namespace,
                   "EA_TASK_QUEUE": connection.task_queue, "DATABASE_URL": database_url}  # fmt: skip
    ea = Path(sys.executable).parent / "ea"
    return subprocess.Popen([str(ea), *command], env=environment, start_new_session=True)


def _serving(server: DevServer, codec: CodecServer, connection: Connection, database_url: str, renderer: int, mail_row: str,
             calendar: CalendarServer, web_port: int) -> str:  # fmt: skip
    """The block that ends the start-up: what serves where, and how to stop."""
    registry = make_url(database_url).render_as_string(hide_password=True)
    rows = [
        ("staff web app", f"http://localhost:{web_port} (first account: ea user add EMAIL --role admin --name NAME)"),
        ("Temporal gRPC", server.address),
        ("Temporal Web UI", server.ui_url),
        ("codec server", f"{codec.url} (token in {codec_token_file()})"),
        ("worker", f"task queue {connection.task_queue}"),
        ("documents worker", f"task queue {documents_queue(connection.task_queue)} (process {renderer})"),
        ("registry", registry),
        ("e-mail", mail_row),
        ("calendar feeds", f"{calendar.url}/calendar/<token>.ics (ea calendar token REFERENT)"),
        ("stop", f"Ctrl-C (stops the worker, the servers and Temporal; state stays in {server.db_file.parent}/)"),
    ]
    return "ea: ready\n" + "\n".join(f"  {name:<16} {value}" for name, value in rows)


@click.command()
@click.option("--port", default=7233, show_default=True, help="gRPC port.")
@click.option("--ui-port", default=8233, show_default=True, help="Port of the Temporal Web UI.")
@pass_connection
def server(connection: Connection, port: int, ui_port: int) -> None:
    """Start only the embedded Temporal dev server (with our search attributes), in the foreground.

    \b
    Example:
      ea server --port 7233
    """
    command = DevServer(port=port, ui_port=ui_port, namespace=connection.namespace).command()  # its var/ made private
    os.execv(command[0], command)


@click.command("worker")
@click.option("--role", type=click.Choice(worker.ROLES), default="all", show_default=True,
              help="cases: the workflows and registry activities; documents: rendering, on the queue's documents "
                   "queue; all: both in this process. Run each role as many times as the load asks.")  # fmt: skip
@click.option("--metrics-address", envvar=METRICS_VARIABLE, metavar="HOST:PORT",
              help=f"Serve the Temporal SDK's metrics for Prometheus on http://HOST:PORT/metrics (env {METRICS_VARIABLE}).")
@pass_connection
def worker_command(connection: Connection, role: str, metrics_address: str | None) -> None:
    """Run a worker for the cases' task queue (DATABASE_URL selects the registry).

    \b
    Example:
      TEMPORAL_ADDRESS=temporal.internal:7233 ea worker --role cases --metrics-address 0.0.0.0:9464
      TEMPORAL_ADDRESS=temporal.internal:7233 ea worker --role documents
    """
    worker.configure_logging()
    _mail_settings()
    run_async(worker.serve(connection, database_url_from_env(), role=role, metrics_address=metrics_address))


@click.command("codec-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8234, show_default=True, help="Port to listen on.")
@click.option("--ui-origin", "origins", multiple=True,
              help="An origin the Temporal UI is served from, allowed by CORS (repeat for several; default: "
                   "http://localhost:8233, http://127.0.0.1:8233 and those of EA_CODEC_ORIGINS).")  # fmt: skip
def codec_server(host: str, port: int, origins: tuple[str, ...]) -> None:
    """Serve /encode and /decode for operators holding the token (EA_CODEC_TOKEN or var/codec-token).

    \b
    Example:
      ea codec-server --port 8234 --ui-origin https://temporal.example.org
      temporal workflow show -w case-C1A2B3 --codec-endpoint http://127.0.0.1:8234 \\
               --codec-auth "Bearer $(cat var/codec-token)"
    """
    worker.configure_logging()
    origins = origins or ui_origins(8233)
    server = CodecServer(keyring_from_env(), codec_token(), origins, host=host, port=port)
    click.echo(f"ea: codec server on {server.url} for {', '.join(origins)}", err=True)
    server.serve_until_interrupted()


@click.group()
def keys() -> None:
    """The encryption keys of case payloads (EA_ENCRYPTION_KEYS, or the key file EA_KEYS_FILE / var/keys.json).

    \b
    Example:
      ea keys rotate
    """


@keys.command("list")
@json_option
def keys_list(as_json: bool) -> None:
    """Show the key ids (never the keys) and which one encrypts.

    \b
    Example:
      ea keys list
    """
    keyring = keyring_from_env()
    if as_json:
        output.emit_json({"current": keyring.current, "ids": sorted(keyring.keys)})
    else:
        for key_id in sorted(keyring.keys):
            click.echo(f"{key_id}{'  (encrypts)' if key_id == keyring.current else ''}")


@keys.command("rotate")
@click.option("--id", "new_id", help="Id of the new key (default: k<n+1>).")
def keys_rotate(new_id: str | None) -> None:
    """Add a new key that encrypts from now on; older keys keep decrypting old histories.

    Restart workers and CLIs afterwards. With EA_ENCRYPTION_KEYS, prints the new value to set.

    \b
    Example:
      ea keys rotate --id k2
    """
    keyring = keyring_from_env()
    rotated = keyring.rotated(new_id or f"k{len(keyring.keys) + 1}")
    if os.environ.get("EA_ENCRYPTION_KEYS"):
        click.echo(f"EA_ENCRYPTION_KEYS={rotated.to_env()}")
        return
    rotated.save(keys_file())
    click.echo(f"{keys_file()}: {rotated.current} now encrypts; {', '.join(sorted(keyring.keys))} still decrypt")
    _reseal()


@keys.command("reseal")
def keys_reseal() -> None:
    """Encrypt the registry's sealed data (health free text, documents, scans) again with the current key.

    `ea keys rotate` does it with a key file; with EA_ENCRYPTION_KEYS, set the new value, then run this.

    \b
    Example:
      ea keys reseal
    """
    _reseal()


def _reseal() -> None:
    engine = migrated_engine()
    rows = reseal(engine)
    engine.dispose()
    click.echo(f"registry: {rows} value(s) and {reseal_files()} scan(s) sealed again with {keyring_from_env().current}")


COMMANDS: list[click.Command] = [list_command, admin, run, server, worker_command, codec_server, keys]
