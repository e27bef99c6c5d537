"""`ea`: the coordinators' command line for emploi accompagné cases.

Exit codes: 0 done · 1 unexpected error · 2 usage or invalid input · 3 case not found ·
4 step refused (the message says which rule) · 5 Temporal server unreachable ·
6 bulk import: some rows failed (the report says which).
"""

from __future__ import annotations

import asyncio
import functools
import os
import re
import sys
import uuid
from collections.abc import Callable, Coroutine
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import yaml
from pydantic import ValidationError
from rich.progress import Progress

import worker
from activities import directory as directory_entries
from activities.database import database_url_from_env, make_engine
from activities.documents import Documents, Renderer
from activities.migrate import migrate
from activities.people import BeneficiaryIdentity, DuplicateBeneficiary, register_beneficiary
from starter import bulk, cases, devserver, operators, output
from starter.devserver import DevServer
from starter.settings import DEFAULT_TASK_QUEUE, Connection, ServerUnreachable
from workflows.domain import (
    STEP_INPUTS,
    Actor,
    CaseState,
    ClosureReason,
    ContractType,
    Model,
    OpenCase,
    Party,
    Phase,
    Prescriber,
    RequestAcknowledgement,
    RequestKind,
    ResponseOutcome,
    Situation,
    Step,
)
from workflows.lifecycle import TRANSITIONS

EXIT_UNEXPECTED, EXIT_USAGE, EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_UNREACHABLE, EXIT_SOME_ROWS_FAILED = 1, 2, 3, 4, 5, 6

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
    # Exit outside the except block: a chained exception would keep the Temporal client alive
    # until the interpreter's teardown, where its native runtime aborts the process.
    fail(message, code)


KNOWN_ERRORS = (cases.CaseNotFound, cases.StepRefused, cases.CaseExists, ServerUnreachable, ValidationError)


def explain(error: Exception) -> tuple[str, int]:
    match error:
        case cases.CaseNotFound():
            return str(error), EXIT_NOT_FOUND
        case cases.StepRefused() | cases.CaseExists():
            return f"refused: {error}", EXIT_REFUSED
        case ServerUnreachable():
            return str(error), EXIT_UNREACHABLE
        case ValidationError():
            return validation_message(error), EXIT_USAGE
    raise error


def build(model: type[T], **fields: Any) -> T:
    try:
        return model(**fields)
    except ValidationError as error:
        message = validation_message(error)
    fail(message, EXIT_USAGE)


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
case_argument = click.argument("case_id")


def choice(enum: type) -> click.Choice:
    return click.Choice([member.value for member in enum])


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--address", envvar="TEMPORAL_ADDRESS", default="localhost:7233", show_default=True,
              help="Temporal server (env TEMPORAL_ADDRESS).")  # fmt: skip
@click.option("--namespace", envvar="TEMPORAL_NAMESPACE", default="default", show_default=True,
              help="Temporal namespace (env TEMPORAL_NAMESPACE).")  # fmt: skip
@click.option("--task-queue", envvar="EA_TASK_QUEUE", default=DEFAULT_TASK_QUEUE, show_default=True,
              help="Task queue of the workers (env EA_TASK_QUEUE).")  # fmt: skip
@click.option("--actor", envvar="EA_ACTOR", callback=lambda _c, _p, v: parse_actor(v),
              help="Who acts, as role:id (coordinator, referent, employer, beneficiary), e.g. referent:ref-12. "
                   "Recorded in the audit journal (env EA_ACTOR).")  # fmt: skip
@click.version_option(package_name="emploi-accompagne")
@click.pass_context
def ea(ctx: click.Context, address: str, namespace: str, task_queue: str, actor: Actor | None) -> None:
    """Open and drive emploi accompagné cases.

    \b
    Example, from opening to support:
      ea open --structure struct-75 --birth-date 1990-05-17 --situation rqth
      ea consent C1A2B3
      ea prescribe C1A2B3 --by cdaph --reference CDAPH-2026-042
      ea sign C1A2B3 --party beneficiary ; ea sign C1A2B3 --party structure
      ea status C1A2B3
    """
    ctx.obj = Connection(address=address, namespace=namespace, task_queue=task_queue)
    ctx.meta["actor"] = actor


def parse_actor(text: str | None) -> Actor | None:
    if not text:
        return None
    try:
        return Actor.parse(text)
    except ValidationError:
        raise click.BadParameter(f"{text!r} is not role:id, e.g. coordinator:coord-3 or referent:ref-12") from None


def current_actor() -> Actor | None:
    return click.get_current_context().meta.get("actor")


pass_connection = click.make_pass_decorator(Connection)


# --- Opening and reading cases ----------------------------------------------------------------


@ea.command("open")
@click.option("--case-id", help="Opaque id of the case (never a name); generated when omitted.")
@click.option("--structure", "structure_id", help="Id of the structure gestionnaire.")
@click.option("--birth-date", type=ISO_DATE, callback=as_date, help="Birth date (YYYY-MM-DD).")
@click.option("--situation", type=choice(Situation), help="rqth, esat or employee (D5213-89).")
@click.option("--employer", "employer_id", help="Id of the current employer (required for an employee).")
@click.option("--referent", "referent_id", help="Id of the référent emploi accompagné.")
@click.option("--beneficiary", "beneficiary_id", help="Id of a person already in the registry.")
@click.option("--first-name", help="The person's first name (kept in the registry only).")
@click.option("--last-name", help="The person's last name (kept in the registry only).")
@click.option("--email", help="The person's e-mail address (registry only).")
@click.option("--phone", help="The person's phone number (registry only).")
@click.option("--from-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A YAML or JSON file with the same fields (case_id, structure_id, birth_date, first_name, ...).")  # fmt: skip
@json_option
@pass_connection
def open_command(connection: Connection, from_file: Path | None, as_json: bool, **flags: Any) -> None:
    """Open a case: it waits for the person's consent.

    The person's identity goes to the registry (DATABASE_URL); the case carries only an opaque id.
    A person already registered in the structure is refused, with their cases, unless they have none.

    \b
    Example:
      ea open --structure struct-75 --first-name Élodie --last-name Dupont --birth-date 1990-05-17 \\
              --situation rqth --referent ref-12
      ea open --from-file case.yaml
    """
    fields = read_case_file(from_file) if from_file else {k: v for k, v in flags.items() if v is not None}
    fields.setdefault("case_id", uuid.uuid4().hex[:10].upper())
    opening = build(OpenCase, **_with_beneficiary(fields), actor=current_actor())
    state = run_async(_with_client(connection, lambda c: cases.open_case(c, connection.task_queue, opening)))
    show(state, as_json)


IDENTITY_FIELDS = ("first_name", "last_name", "email", "phone", "address", "rqth_reference", "esat_reference")


def _with_beneficiary(fields: dict[str, Any]) -> dict[str, Any]:
    """Register the person named in `fields` and replace their identity with the opaque id."""
    identity = {name: fields.pop(name) for name in IDENTITY_FIELDS if name in fields}
    if not identity:
        return fields
    person = build(BeneficiaryIdentity, **identity, **{k: fields.get(k) for k in ("structure_id", "birth_date", "situation")})
    engine = make_engine(database_url_from_env())
    migrate(engine)
    try:
        fields["beneficiary_id"] = register_beneficiary(engine, person)
    except DuplicateBeneficiary as duplicate:
        if duplicate.case_ids:
            hint = f"; `ea reopen {duplicate.case_ids[-1]}` if it is closed"
            fail(f"refused: {duplicate}{hint}", EXIT_REFUSED)
        fields["beneficiary_id"] = duplicate.beneficiary_id  # registered, but no case opened: carry on
    finally:
        engine.dispose()
    return fields


@ea.group()
def directory() -> None:
    """Keep the directory of structures, référents and employers that documents name.

    \b
    Example:
      ea directory referent ref-12 --name "Karim Benali" --email k.benali@plateforme.fr
    """


def _save(model: type[directory_entries.Entry], fields: dict[str, Any]) -> None:
    entry = build(model, **{name: value for name, value in fields.items() if value is not None})
    engine = make_engine(database_url_from_env())
    migrate(engine)
    directory_entries.upsert(engine, entry)
    engine.dispose()
    click.echo(f"{entry.id}: {entry.name}")


@directory.command("structure")
@click.argument("id")
@click.option("--name", required=True, help="Name of the structure gestionnaire.")
@click.option("--department", help="Département number, e.g. 33 or 2A.")
@click.option("--address", help="Postal address, printed on documents.")
@click.option("--phone", help="Phone number, printed on letters.")
def directory_structure(**fields: Any) -> None:
    """Add or update a structure gestionnaire.

    \b
    Example:
      ea directory structure struct-33 --name "Plateforme EA Gironde" --department 33
    """
    _save(directory_entries.StructureEntry, fields)


@directory.command("referent")
@click.argument("id")
@click.option("--name", required=True, help="The référent's name, printed on documents.")
@click.option("--structure", "structure_id", help="Id of their structure.")
@click.option("--email", help="How beneficiaries and employers reach them.")
@click.option("--phone", help="Phone number.")
def directory_referent(**fields: Any) -> None:
    """Add or update a référent emploi accompagné.

    \b
    Example:
      ea directory referent ref-12 --name "Karim Benali" --structure struct-33 --email k.benali@ea33.fr
    """
    _save(directory_entries.ReferentEntry, fields)


@directory.command("employer")
@click.argument("id")
@click.option("--name", required=True, help="The employer's name.")
@click.option("--siret", help="SIRET number (14 digits).")
@click.option("--address", help="Postal address.")
def directory_employer(**fields: Any) -> None:
    """Add or update an employer.

    \b
    Example:
      ea directory employer emp-4412 --name "Boulangerie Aubry" --siret 12345678900012
    """
    _save(directory_entries.EmployerEntry, fields)


@ea.group()
def documents() -> None:
    """List and export a case's documents (convention, amendments, reports, letters).

    \b
    Example:
      ea documents list C1A2B3
      ea documents export C1A2B3 4 --format pdf --output convention.pdf
    """


def _documents() -> Documents:
    engine = make_engine(database_url_from_env())
    migrate(engine)
    return Documents(engine)


@documents.command("list")
@case_argument
@json_option
def documents_list(case_id: str, as_json: bool) -> None:
    """List a case's documents, oldest first.

    \b
    Example:
      ea documents list C1A2B3 --json
    """
    rows = [{"id": d.id, "template": d.template, "title": d.title, "event": d.seq, "version": d.template_version,
             "created_at": d.created_at.isoformat(), "formats": ["html", "md"] + (["pdf"] if d.pdf else []),
             "sha256": d.content_hash} for d in _documents().list(case_id)]  # fmt: skip
    if as_json:
        output.emit_json({"documents": rows})
        return
    if not rows:
        click.echo(f"case {case_id} has no document yet")
        return
    table = output.Table(title=f"Case {case_id}: documents", title_justify="left")
    for column in ("id", "title", "event", "formats", "created"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["id"]), row["title"], str(row["event"]), ", ".join(row["formats"]), row["created_at"][:16])
    output.console.print(table)


@documents.command("export")
@case_argument
@click.argument("document_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["html", "md", "pdf"]), default="html", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write to this file instead of printing (required for pdf).")  # fmt: skip
def documents_export(case_id: str, document_id: int, fmt: str, output: Path | None) -> None:
    """Print a document, or write it to a file.

    \b
    Example:
      ea documents export C1A2B3 4 --format md
      ea documents export C1A2B3 4 --format pdf --output convention.pdf
    """
    document = _documents().get(case_id, document_id)
    if document is None:
        fail(f"case {case_id} has no document {document_id}; `ea documents list {case_id}` lists them", EXIT_NOT_FOUND)
    content: str | bytes | None = {"html": document.html, "md": document.markdown, "pdf": document.pdf}[fmt]
    if content is None:
        content = Renderer.pdf(document.html)  # a document not signed on paper, printed as PDF on demand
    if output is not None:
        output.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        click.echo(f"wrote {output}")
    elif isinstance(content, bytes):
        fail("a PDF goes to a file: add --output FILE", EXIT_USAGE)
    else:
        click.echo(content, nl=False)


@ea.command("migrate")
def migrate_command() -> None:
    """Bring the registry database (DATABASE_URL) to the newest schema; keeps every row.

    \b
    Example:
      DATABASE_URL=postgresql+psycopg://ea@db/ea ea migrate
    """
    engine = make_engine(database_url_from_env())
    migrate(engine)
    engine.dispose()
    click.echo("registry schema is up to date")


def read_case_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        fail(f"{path}: not valid YAML or JSON ({error})".replace("\n", " "), EXIT_USAGE)
    if not isinstance(data, dict):
        fail(f"{path}: expected a mapping of fields, found {type(data).__name__}", EXIT_USAGE)
    return data


@ea.command()
@case_argument
@json_option
@pass_connection
def status(connection: Connection, case_id: str, as_json: bool) -> None:
    """Show a case: phase, référent, signatures, next review, open requests.

    \b
    Example:
      ea status C1A2B3 --json
    """
    state = run_async(_with_client(connection, lambda c: cases.case_status(c, case_id)))
    if as_json:
        output.emit_json(state)
    else:
        output.console.print(output.status_table(state))


@ea.command()
@case_argument
@json_option
@pass_connection
def history(connection: Connection, case_id: str, as_json: bool) -> None:
    """Show a case's timeline: every change of phase, reminder and escalation.

    \b
    Example:
      ea history C1A2B3
    """
    state = run_async(_with_client(connection, lambda c: cases.case_status(c, case_id)))
    if as_json:
        output.emit_json({"transitions": [t.model_dump(mode="json") for t in state.transitions],
                          "alerts": [a.model_dump(mode="json") for a in state.alerts]})  # fmt: skip
    else:
        output.console.print(output.history_table(state))


@ea.command("list")
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
    listings = run_async(_with_client(connection, lambda c: operators.list_cases(c, wanted, limit)))
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


@ea.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@pass_connection
def import_command(connection: Connection, csv_file: Path, as_json: bool) -> None:
    """Open many cases from a CSV file (UTF-8; comma, semicolon or tab separated).

    Columns: case_id, structure_id, birth_date, first_name, last_name (required); situation,
    employer_id, referent_id, email, phone, address, rqth_reference, esat_reference. Running the
    same file again opens nothing twice. Exit code 6 when any row failed.

    \b
    Example:
      ea import cases-2026.csv
    """
    try:
        rows = bulk.read_rows(csv_file)
    except bulk.MalformedFile as malformed:
        message = str(malformed)
    else:
        message = ""
    if message:
        fail(message, EXIT_USAGE)
    engine = make_engine(database_url_from_env())
    migrate(engine)
    actor = current_actor()
    with Progress(transient=True, disable=as_json, console=output.Console(stderr=True)) as progress:
        task = progress.add_task(f"importing {len(rows)} rows", total=len(rows))

        async def work(client: Any) -> list[bulk.RowResult]:
            return await bulk.import_rows(client, connection.task_queue, engine, rows, actor, lambda: progress.advance(task))

        results = run_async(_with_client(connection, work))
    engine.dispose()
    counts = {outcome: sum(1 for r in results if r.outcome == outcome) for outcome in ("opened", "already_open", "failed")}
    if as_json:
        output.emit_json({"counts": counts, "rows": [r.__dict__ for r in results]})
    else:
        click.echo(f"{counts['opened']} opened, {counts['already_open']} already open, {counts['failed']} failed")
        for result in (r for r in results if r.outcome == "failed"):
            click.echo(f"line {result.line} (case {result.case_id}): {result.message}", err=True)
    if counts["failed"]:
        sys.exit(EXIT_SOME_ROWS_FAILED)


@ea.group()
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
    """Register our search attributes on the namespace (`make run` does it on the dev server).

    \b
    Example:
      ea --address temporal.internal:7233 --namespace ea-prod admin setup
    """
    done = run_async(_with_client(connection, lambda c: operators.setup_search_attributes(c, connection.namespace)))
    if as_json:
        output.emit_json({"namespace": connection.namespace, "search_attributes": done})
    else:
        for name, state in done.items():
            click.echo(f"{name}: {state}")


@ea.command()
@json_option
def steps(as_json: bool) -> None:
    """List which step is possible in which phase (the transition table).

    \b
    Example:
      ea steps
    """
    rows = [{"phase": phase.value, "step": step.value, "to": target.value} for (phase, step), target in TRANSITIONS.items()]
    if as_json:
        output.emit_json({"transitions": rows})
        return
    table = output.Table(title="Transitions", title_justify="left")
    for column in ("phase", "step", "to"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["phase"], row["step"], row["to"])
    output.console.print(table)


@ea.command()
@case_argument
@json_option
@pass_connection
def reopen(connection: Connection, case_id: str, as_json: bool) -> None:
    """Reopen a closed case for the same person: a new run that asks for consent again.

    \b
    Example:
      ea reopen C1A2B3
    """
    state = run_async(_with_client(connection, lambda c: cases.reopen_case(c, connection.task_queue, case_id)))
    show(state, as_json)


# --- Steps: one command each, all through apply_step ------------------------------------------


def step_command(name: str, step: Step, example: str) -> Callable[[Callable[..., dict[str, Any]]], click.Command]:
    """Make a CLI command for a workflow step from a function that maps its options to fields."""

    def decorate(to_fields: Callable[..., dict[str, Any]]) -> click.Command:
        @functools.wraps(to_fields)
        def command(connection: Connection, case_id: str, as_json: bool, **options: Any) -> None:
            data = build(STEP_INPUTS[step], **to_fields(**options), actor=current_actor())
            result = run_async(_with_client(connection, lambda c: cases.apply_step(c, case_id, step, data)))
            show(result, as_json)

        command.__doc__ = f"{(to_fields.__doc__ or '').strip()}\n\n\b\nExample:\n  {example}"
        return ea.command(name)(case_argument(json_option(pass_connection(command))))

    return decorate


@step_command("consent", Step.GIVE_CONSENT, "ea consent C1A2B3 --on 2027-01-04")
@day_option()
@click.option("--legal-representative", is_flag=True, help="Given by the person's legal representative.")
def consent(day: date, legal_representative: bool) -> dict[str, Any]:
    """Record the person's consent: nothing happens without it."""
    return {"given_on": day, "by_legal_representative": legal_representative}


@step_command("prescribe", Step.RECORD_PRESCRIPTION, "ea prescribe C1A2B3 --by cap_emploi --reference CE-2027-118")
@click.option("--by", "prescriber", required=True, type=click.Choice(["cdaph", *[p.value for p in Prescriber]]),
              help="The CDAPH (a decision) or the service public de l'emploi (a prescription).")  # fmt: skip
@click.option("--reference", required=True, help="The decision's or the prescription's reference.")
@day_option(help="The date of the decision or prescription.")
@click.option("--situation", type=choice(Situation), help="The situation it states, if the case has none yet.")
def prescribe(prescriber: str, reference: str, day: date, situation: str | None) -> dict[str, Any]:
    """Record the CDAPH decision or the SPE prescription (checks eligibility)."""
    if prescriber == "cdaph":
        prescription = {"route": "cdaph", "decision_reference": reference, "decision_date": day}
    else:
        prescription = {"route": "spe", "prescriber": prescriber, "prescriber_reference": reference, "prescription_date": day}
    return {"prescription": prescription, "situation": situation}


@step_command("sign", Step.SIGN_CONVENTION, "ea sign C1A2B3 --party employer --on 2027-01-10")
@click.option("--party", required=True, type=choice(Party), help="Who signs the convention.")
@day_option()
def sign(party: str, day: date) -> dict[str, Any]:
    """Record one party's signature of the convention individuelle d'accompagnement."""
    return {"party": party, "signed_on": day}


@step_command("hire", Step.RECORD_HIRING, "ea hire C1A2B3 --employer emp-4412 --contract cdi --hours 24")
@click.option("--employer", "employer_id", required=True, help="Id of the employer.")
@click.option("--contract", "contract_type", required=True, type=choice(ContractType), help="Type of contract.")
@day_option("--start", help="First day of the job.")
@click.option("--hours", "weekly_hours", type=float, help="Hours per week.")
def hire(employer_id: str, contract_type: str, day: date, weekly_hours: float | None) -> dict[str, Any]:
    """Record a hiring: support moves into the job (the employer joins the convention)."""
    return {"employer_id": employer_id, "contract_type": contract_type, "start_date": day, "weekly_hours": weekly_hours}


@step_command("assign", Step.ASSIGN_REFERENT, "ea assign C1A2B3 ref-12")
@click.argument("referent_id")
def assign(referent_id: str) -> dict[str, Any]:
    """Assign or change the référent emploi accompagné."""
    return {"referent_id": referent_id}


@step_command("cadence", Step.SET_REVIEW_CADENCE, "ea cadence C1A2B3 --in-job 60d")
@click.option("--job-search", callback=parse_duration, help="Review every ... in job search (e.g. 30d).")
@click.option("--in-job", callback=parse_duration, help="Review every ... in in-job support (e.g. 12w).")
def cadence(job_search: timedelta | None, in_job: timedelta | None) -> dict[str, Any]:
    """Set the review cadence of the convention."""
    return {"job_search_review_every": job_search, "in_job_review_every": in_job}


@step_command("request", Step.SUBMIT_EMPLOYER_REQUEST, "ea request C1A2B3 --employer emp-4412 --kind mediation")
@click.option("--employer", "employer_id", required=True, help="Id of the employer making the request.")
@click.option("--kind", required=True, type=choice(RequestKind), help="What the employer asks for.")
def request(employer_id: str, kind: str) -> dict[str, Any]:
    """Record an employer's request; the référent must answer before its deadline."""
    return {"employer_id": employer_id, "kind": kind}


@step_command("respond", Step.RESPOND_TO_REQUEST, "ea respond C1A2B3 req-1 --outcome meeting_scheduled")
@click.argument("request_id")
@click.option("--outcome", required=True, type=choice(ResponseOutcome), help="The référent's response.")
def respond(request_id: str, outcome: str) -> dict[str, Any]:
    """Record the référent's response to an employer request."""
    return {"request_id": request_id, "outcome": outcome}


@step_command("close", Step.CLOSE, "ea close C1A2B3 --reason goals_reached")
@click.option("--reason", required=True, type=click.Choice([r.value for r in ClosureReason if r != "consent_withdrawn"]),
              help="Why the case closes (a withdrawal of consent is `ea withdraw`).")  # fmt: skip
def close(reason: str) -> dict[str, Any]:
    """Close the case (it can be reopened later)."""
    return {"reason": reason}


# --- Services: the embedded server and the worker ---------------------------------------------


@ea.command()
@click.option("--port", default=7233, show_default=True, help="gRPC port of the dev server.")
@click.option("--ui-port", default=8233, show_default=True, help="Port of the Temporal Web UI.")
@pass_connection
def run(connection: Connection, port: int, ui_port: int) -> None:
    """Start the embedded Temporal dev server and a worker, in the foreground (Ctrl-C stops both).

    \b
    State is kept in var/temporal.db (Temporal) and var/registry.db (journal), so the next
    `ea run` finds every case where it was. Web UI: http://localhost:8233
    Example:
      ea run
    """
    server = DevServer(port=port, ui_port=ui_port, namespace=connection.namespace)
    embedded = Connection(address=server.address, namespace=server.namespace, task_queue=connection.task_queue)
    worker.configure_logging()
    process = server.start()
    try:
        asyncio.run(_serve_with(server, process, embedded))
    except KeyboardInterrupt:
        pass
    finally:
        devserver.stop(process)
        click.echo("ea: dev server stopped", err=True)


async def _serve_with(server: DevServer, process: Any, connection: Connection) -> None:
    await server.wait_until_ready(process)
    click.echo(f"ea: Temporal dev server on {server.address}, Web UI on {server.ui_url}", err=True)
    await worker.serve(connection, database_url_from_env())


@ea.command()
@click.option("--port", default=7233, show_default=True, help="gRPC port.")
@click.option("--ui-port", default=8233, show_default=True, help="Port of the Temporal Web UI.")
@pass_connection
def server(connection: Connection, port: int, ui_port: int) -> None:
    """Start only the embedded Temporal dev server (with our search attributes), in the foreground.

    \b
    Example:
      ea server --port 7233
    """
    command = DevServer(port=port, ui_port=ui_port, namespace=connection.namespace).command()
    Path(command[command.index("--db-filename") + 1]).parent.mkdir(parents=True, exist_ok=True)
    os.execv(command[0], command)


@ea.command("worker")
@pass_connection
def worker_command(connection: Connection) -> None:
    """Run a worker for the cases' task queue (DATABASE_URL selects the registry).

    \b
    Example:
      TEMPORAL_ADDRESS=temporal.internal:7233 ea worker
    """
    worker.configure_logging()
    run_async(worker.serve(connection, database_url_from_env()))


DATED_STEPS: list[tuple[str, Step, str, str, str]] = [
    ("withdraw", Step.WITHDRAW_CONSENT, "withdrawn_on", "ea withdraw C1A2B3",
     "Record that the person withdrew consent: the case closes at once."),
    ("evaluation", Step.SUBMIT_EVALUATION, "completed_on", "ea evaluation C1A2B3",
     "Record that the evaluation of the person's situation is done."),
    ("project", Step.SUBMIT_PROJECT, "agreed_on", "ea project C1A2B3",
     "Record that the professional project is agreed."),
    ("job-loss", Step.RECORD_JOB_LOSS, "ended_on", "ea job-loss C1A2B3 --on 2027-06-30",
     "Record the end of the job: back to job search, without a new prescription."),
    ("change-of-post", Step.RECORD_CHANGE_OF_POST, "effective_on", "ea change-of-post C1A2B3",
     "Record a change of post: back to evaluation."),
    ("review", Step.COMPLETE_REVIEW, "held_on", "ea review C1A2B3 --on 2027-03-03",
     "Record a periodic review as held: the next one is scheduled at the case's cadence."),
]  # fmt: skip
"""Steps whose only input is the date they happened on: (command, step, field, example, help)."""


def _dated_step(name: str, step: Step, field: str, example: str, help: str) -> None:
    def to_fields(day: date) -> dict[str, Any]:
        return {field: day}

    to_fields.__doc__ = help
    to_fields.__name__ = name.replace("-", "_")
    step_command(name, step, example)(day_option()(to_fields))


for _dated in DATED_STEPS:
    _dated_step(*_dated)


def show(result: CaseState | RequestAcknowledgement, as_json: bool) -> None:
    if as_json:
        output.emit_json(result)
    elif isinstance(result, RequestAcknowledgement):
        click.echo(f"request {result.request_id} recorded; response due by {output.when(result.deadline)}")
    else:
        click.echo(output.summary_line(result))


async def _with_client(connection: Connection, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    return await work(await connection.connect())


def main() -> None:
    code = 0
    try:
        ea()
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else EXIT_UNEXPECTED)
    except Exception as error:  # the last resort: one line, never a traceback
        click.echo(f"ea: unexpected error: {error}", err=True)
        code = EXIT_UNEXPECTED
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip the interpreter's teardown: the Temporal client's native threads can abort it
    # (temporalio/sdk-python#300). All work is finished and flushed by now.
    os._exit(code)
