"""`ea` commands on the registry: the directory, documents, migrations and bulk import."""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress
from sqlalchemy.orm import Session

from activities.registry import directory as directory_entries
from activities.registry.caseload import capacity_from_env, referent_loads
from activities.documents.rendering import Documents
from activities.registry.database import utc
from activities.registry.migrate import migrated_engine
from activities.registry.queries import CaseFilter, requests_past_deadline, reviews_due
from activities.registry.people import PersonUnknown, ProtectiveMeasure, RepresentativeIdentity, register_representative
from activities.registry.retention import anonymise, delete_executions, open_cases
from starter import bulk, cases, output
from starter.exits import EXIT_NOT_FOUND, EXIT_SOME_ROWS_FAILED, EXIT_USAGE, build, fail, run_async, settle
from starter.options import (
    case_argument,
    choice,
    deliver,
    json_option,
    pass_connection,
    require_actor,
    require_file_for_pdf,
    with_client,
)
from starter.settings import Connection
from starter.waiting import said, with_worker
from workflows.case.model import PartnerKind
from workflows.contracts import Anonymisation


@click.group()
def directory() -> None:
    """Keep the directory of structures, référents and employers that documents name.

    \b
    Example:
      ea directory referent ref-12 --name "Karim Benali" --email k.benali@plateforme.fr
    """


def _save(model: type[directory_entries.Entry], fields: dict[str, Any]) -> None:
    """A repeated option given no time (an empty tuple) says nothing, like an option left out."""
    entry = build(model, **{name: list(value) if isinstance(value, tuple) else value for name, value in fields.items()
                            if value is not None and value != ()})  # fmt: skip
    engine = migrated_engine()
    settle(lambda: directory_entries.upsert(engine, entry))
    engine.dispose()
    click.echo(f"{entry.id}: {entry.name}")


@directory.command("structure")
@click.argument("id")
@click.option("--name", required=True, help="Name of the structure gestionnaire.")
@click.option("--department", help="Département number, e.g. 33 or 2A.")
@click.option("--address", help="Postal address, printed on documents.")
@click.option("--phone", help="Phone number, printed on letters.")
@click.option("--coordinator-name", help="The coordinator who receives escalations.")
@click.option("--coordinator-email", help="Where escalations go: reviews and requests left overdue.")
def directory_structure(**fields: Any) -> None:
    """Add or update a structure gestionnaire.

    \b
    Example:
      ea directory structure struct-33 --name "Plateforme EA Gironde" --department 33 --coordinator-email coordination@ea33.fr
    """
    _save(directory_entries.StructureEntry, fields)


@directory.command("referent")
@click.argument("id")
@click.option("--name", required=True, help="The référent's name, printed on documents.")
@click.option("--structure", "structure_id", help="Id of their structure (already in the directory).")
@click.option("--email", help="How beneficiaries and employers reach them.")
@click.option("--phone", help="Phone number.")
@click.option("--capacity", type=int, help="Active people they can follow (default: EA_REFERENT_CAPACITY, 20).")
@click.option("--notify", type=click.Choice(["each", "digest"]),
              help="One e-mail per reminder (each, the default), or one daily digest.")  # fmt: skip
def directory_referent(**fields: Any) -> None:
    """Add or update a référent emploi accompagné.

    \b
    Example:
      ea directory referent ref-12 --name "Karim Benali" --structure struct-33 --email k.benali@ea33.fr --notify digest
    """
    _save(directory_entries.ReferentEntry, fields)


@directory.command("employer")
@click.argument("id")
@click.option("--name", required=True, help="The employer's name.")
@click.option("--siret", help="SIRET number (14 digits, checked with its Luhn key).")
@click.option("--address", help="Postal address.")
@click.option("--email", help="Where the employer hears of its requests and of what it signs.")
@click.option("--sector", type=click.Choice(["public", "private"]),
              help="Public or private: decides who funds adaptations (FIPHFP or Agefiph).")  # fmt: skip
@click.option("--site", "sites", multiple=True, help="A site (establishment) where people work; repeat for each.")
def directory_employer(**fields: Any) -> None:
    """Add or update an employer.

    \b
    Example:
      ea directory employer emp-4412 --name "Boulangerie Aubry" --siret 12345678200010 --sector private --site "Bordeaux Chartrons"
    """
    _save(directory_entries.EmployerEntry, fields)


@directory.command("partner")
@click.argument("id")
@click.option("--name", required=True, help="The partner's name.")
@click.option("--kind", "partner_kind", required=True, type=choice(PartnerKind),
              help="spe_counsellor, esat, mdph, training_body or occupational_health (the médecin du travail's service).")  # fmt: skip
@click.option("--siret", help="SIRET number, if it has one (checked with its Luhn key).")
@click.option("--address", help="Postal address.")
@click.option("--email", help="E-mail address.")
def directory_partner(**fields: Any) -> None:
    """Add or update a partner a case can be linked or referred to.

    \b
    Example:
      ea directory partner mdph-33 --name "MDPH de la Gironde" --kind mdph
    """
    _save(directory_entries.PartnerEntry, fields)


@click.group()
def referent() -> None:
    """Référents' caseloads: who follows how many people, how closely, and what is late.

    \b
    Example:
      ea referent list --structure struct-33
    """


@referent.command("list")
@click.option("--structure", "structure_id", help="Only this structure's référents.")
@json_option
def referent_list(structure_id: str | None, as_json: bool) -> None:
    """Each référent's load against their capacity, intensity of support, reviews due and overdue cases.

    \b
    Example:
      ea referent list --json
    """
    engine = migrated_engine()
    with Session(engine) as session:
        loads = referent_loads(session, capacity_from_env(), datetime.now(timezone.utc), structure_id)
    engine.dispose()
    if as_json:
        output.emit_json({"referents": [asdict(load) | {"over_capacity": load.over_capacity} for load in loads]})
        return
    table = output.Table(title=f"{len(loads)} référent(s)", title_justify="left")
    table.add_column("référent", no_wrap=True)  # copied into the next command: never shortened
    for column in ("name", "structure", "load", "forced", "intensive", "light", "dormant", "reviews due", "overdue"):
        table.add_column(column, justify="left" if column in ("name", "structure") else "right")
    for load in loads:
        style = "bold red" if load.over_capacity else ("yellow" if load.active == load.capacity else "")
        table.add_row(load.referent_id, load.name or "—", load.structure_id or "—", f"[{style}]{load.active}/{load.capacity}[/]" if style
                      else f"{load.active}/{load.capacity}", str(load.forced or ""), str(load.intensive), str(load.light),
                      str(load.dormant), str(load.reviews_due or ""), str(load.overdue or ""))  # fmt: skip
    output.console.print(table)


@click.command()
@click.argument("representative_id")
@click.option("--person", "beneficiary_id", help="The person they represent (their id in the registry).")
@click.option("--case", "case_id", help="Or: a case of the person they represent.")
@click.option("--first-name", required=True, help="The representative's first name.")
@click.option("--last-name", required=True, help="The representative's last name (or the association's name).")
@click.option("--measure", required=True, type=choice(ProtectiveMeasure), help="The protective measure the court decided.")
@click.option("--email", help="E-mail address.")
@click.option("--phone", help="Phone number.")
@click.option("--address", help="Postal address.")
@pass_connection
def representative(connection: Connection, **fields: Any) -> None:
    """Record a person's legal representative and name them on the person's open cases: they then
    consent and sign for the person (`--actor legal_representative:ID`), and documents name them.

    \b
    Example:
      ea representative rep-7 --case C1A2B3 --first-name Jeanne --last-name Morel --measure tutelle
    """
    if not (fields["beneficiary_id"] or fields["case_id"]):
        fail("whom do they represent? --person ID or --case ID", EXIT_USAGE)
    case_id = fields.pop("case_id")
    if case_id:  # the case itself says whose it is: the registry may not have projected a case just opened
        fields["beneficiary_id"] = run_async(with_worker(connection, lambda c: cases.case_status(c, case_id))).beneficiary_id
        if fields["beneficiary_id"] is None:
            fail(f"case {case_id} has no person in the registry (open it with their identity, or --beneficiary)", EXIT_NOT_FOUND)
    engine = migrated_engine()
    try:
        identity = build(RepresentativeIdentity, id=fields.pop("representative_id"), **{k: v for k, v in fields.items() if v is not None})
        register_representative(engine, identity)
        still_open = sorted({*open_cases(engine, identity.beneficiary_id), *([case_id] if case_id else [])})
    except PersonUnknown as unknown:
        fail(str(unknown), EXIT_NOT_FOUND)
    finally:
        engine.dispose()
    actor = require_actor()
    run_async(with_worker(connection, lambda c: cases.name_representative(c, still_open, identity.id, actor)))
    named = f"; named on case(s) {', '.join(still_open)}" if still_open else ""
    click.echo(f"{identity.id}: legal representative of {identity.beneficiary_id} ({identity.measure}){named}")


@click.command("due")
@click.option("--structure", "structure_id", help="Only this structure's cases.")
@click.option("--referent", "referent_id", help="Only this référent's cases.")
@json_option
def due(structure_id: str | None, referent_id: str | None, as_json: bool) -> None:
    """What is due now: reviews whose date has come (overdue first) and requests past their deadline.

    \b
    Example:
      ea due --referent ref-12
      ea due --structure struct-75 --json
    """
    now = datetime.now(timezone.utc)
    where = CaseFilter(structure_id=structure_id, referent_id=referent_id)
    engine = migrated_engine()
    with Session(engine) as session:
        reviews = [{"case": c.id, "referent": c.referent_id, "phase": c.phase, "due": utc(c.next_review_due) if c.next_review_due else None, "overdue": c.overdue}
                   for c in reviews_due(session, now, where)]  # fmt: skip
        requests = [{"case": r.case_id, "referent": c.referent_id, "request": r.request_id, "kind": r.kind,
                     "from": r.employer_id or r.origin, "deadline": utc(r.deadline), "escalated": r.escalated}
                    for r, c in requests_past_deadline(session, now, where)]  # fmt: skip
    engine.dispose()
    if as_json:
        output.emit_json({"reviews": reviews, "requests": requests})
        return
    for title, rows, moment in ((f"{len(reviews)} review(s) due", reviews, "due"),
                                (f"{len(requests)} request(s) past their deadline", requests, "deadline")):  # fmt: skip
        table = output.Table(title=title, title_justify="left")
        for column in rows[0] if rows else ("case",):
            table.add_column(column, no_wrap=column == "case")
        for row in rows:
            table.add_row(*[output.when(v) if k == moment else ("yes" if v is True else "" if v is False else str(v or "—"))
                            for k, v in row.items()])  # fmt: skip
        output.console.print(table)


@click.group()
def documents() -> None:
    """List and export a case's documents (convention, amendments, reports, letters).

    \b
    Example:
      ea documents list C1A2B3
      ea documents export C1A2B3 4 --format pdf --output convention.pdf
    """


def _documents() -> Documents:
    engine = migrated_engine()
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
             "created_at": d.created_at.isoformat(), "formats": ["html", "md", "pdf"],
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
    require_file_for_pdf(fmt, output)
    content = _documents().printed(document) if fmt == "pdf" else {"html": document.html, "md": document.markdown}[fmt]
    deliver(content, output, newline=False)


@click.command("migrate")
def migrate_command() -> None:
    """Bring the registry database (DATABASE_URL) to the newest schema; keeps every row.

    \b
    Example:
      DATABASE_URL=postgresql+psycopg://ea@db/ea ea migrate
    """
    engine = migrated_engine()
    engine.dispose()
    click.echo("registry schema is up to date")


@click.command("import")
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
    engine = migrated_engine()
    actor = require_actor()
    with Progress(transient=True, disable=as_json, console=output.Console(stderr=True)) as progress:
        task = progress.add_task(f"importing {len(rows)} rows", total=len(rows))

        async def work(client: Any) -> list[bulk.RowResult]:
            return await bulk.import_rows(client, connection.task_queue, engine, rows, actor, lambda: progress.advance(task))

        left = "rows opened so far stay opened; running the file again opens nothing twice"
        results = run_async(with_worker(connection, work, said(left), bounded=False))
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


@click.command()
@click.argument("beneficiary_id")
@click.option("--yes", is_flag=True, help="Confirm: this cannot be undone.")
@json_option
@pass_connection
def erase(connection: Connection, beneficiary_id: str, yes: bool, as_json: bool) -> None:
    """Erase a person's identity on their request, and delete their cases from Temporal.

    A case still open is closed first (reason erasure_requested), as any closure: its journal
    entry, its référent's place freed, its closing date. Anonymised statistics stay (year of birth,
    situation, dates, outcomes); documents are deleted; the audit journal records who erased, when
    and why, not what.

    \b
    Example:
      ea --actor coordinator:coord-3 erase B1A2B3C4D5E6 --yes
    """
    actor = require_actor()
    if not yes:
        fail("erasure cannot be undone: add --yes to confirm", EXIT_USAGE)
    engine = migrated_engine()
    try:
        still_open = open_cases(engine, beneficiary_id)
        run_async(with_client(connection, lambda c: cases.close_for_erasure(c, still_open, actor)))
        case_ids = anonymise(engine, Anonymisation(beneficiary_id=beneficiary_id, actor=actor, reason="request"))
    except PersonUnknown as unknown:
        fail(str(unknown), EXIT_NOT_FOUND)
    finally:
        engine.dispose()
    deleted = run_async(with_client(connection, lambda c: delete_executions(c, case_ids)))
    if as_json:
        output.emit_json({"beneficiary_id": beneficiary_id, "cases": case_ids, "closed_first": still_open,
                          "executions_deleted": deleted})  # fmt: skip
    else:
        closed = f" ({len(still_open)} closed first)" if still_open else ""
        click.echo(f"{beneficiary_id}: identity erased; {len(case_ids)} case(s){closed}, {deleted} workflow run(s) deleted")


COMMANDS: list[click.Command] = [due, directory, representative, referent, documents, migrate_command, import_command, erase]
