"""`ea` commands that open, read and move cases: one per step of the lifecycle."""

from __future__ import annotations

import enum
import functools
import inspect
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import yaml
from pydantic.fields import FieldInfo
from sqlalchemy import Engine

from activities.registry import case_file, directory, evidence_files
from activities.registry.migrate import migrated_engine
from activities.registry.people import BeneficiaryIdentity, DuplicateBeneficiary, register_beneficiary, representative_refusal
from activities.registry.caseload import capacity_from_env
from starter import cases, output
from starter.annotations import plain
from starter.exits import EXIT_REFUSED, EXIT_USAGE, build, fail, run_async, settle
from starter.options import (
    ISO_DATE,
    as_date,
    case_argument,
    choice,
    force_reason_option,
    require_actor,
    day_option,
    json_option,
    parse_duration,
    pass_connection,
    show,
)
from starter.settings import Connection
from starter.waiting import opening_outcome, step_outcome, with_worker
from workflows.case import steps
from workflows.case.model import AdaptationStage, EvidenceKind, Funder, Proposer
from workflows.case.model import ActorRole, AskedBy, StepAcknowledgement, Phase, ClosureReason, ContactKind, ContractType, Intensity, IntensityReason, OpenCase, Party, Prescriber, RequestKind, ResponseOutcome, Situation, Step


# --- Opening and reading cases ----------------------------------------------------------------


@click.command("open")
@click.option("--case-id", help="Opaque id of the case (never a name); generated when omitted.")
@click.option("--structure", "structure_id", help="Id of the structure gestionnaire.")
@click.option("--birth-date", type=ISO_DATE, callback=as_date, help="Birth date (YYYY-MM-DD).")
@click.option("--situation", type=choice(Situation), help="rqth, esat or employee (D5213-89).")
@click.option("--employer", "employer_id", help="Id of the current employer (required for an employee).")
@click.option("--referent", "referent_id", help="Id of the référent emploi accompagné.")
@click.option("--asked-by", type=choice(AskedBy), help="Who asked for the support (default: person; employer for a worker in a job).")
@click.option("--beneficiary", "beneficiary_id", help="Id of a person already in the registry.")
@click.option("--first-name", help="The person's first name (kept in the registry only).")
@click.option("--last-name", help="The person's last name (kept in the registry only).")
@click.option("--email", help="The person's e-mail address (registry only).")
@click.option("--phone", help="The person's phone number (registry only).")
@click.option("--from-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A YAML or JSON file with the same fields (case_id, structure_id, birth_date, first_name, ...).")  # fmt: skip
@force_reason_option
@json_option
@pass_connection
def open_command(connection: Connection, from_file: Path | None, force_reason: str | None, as_json: bool, **flags: Any) -> None:
    """Open a case: it waits for the person's consent.

    The person's identity goes to the registry (DATABASE_URL); the case carries only an opaque id.
    A person already registered in the structure is refused, with their cases, unless they have none.
    A référent whose caseload is full is refused unless --force-reason says why.

    \b
    Example:
      ea open --structure struct-75 --first-name Élodie --last-name Dupont --birth-date 1990-05-17 \\
              --situation rqth --referent ref-12
      ea open --from-file case.yaml
    """
    fields = read_case_file(from_file) if from_file else {k: v for k, v in flags.items() if v is not None}
    fields.setdefault("case_id", uuid.uuid4().hex[:10].upper())
    actor = require_actor()
    identity = {name: fields.pop(name) for name in IDENTITY_FIELDS if name in fields}
    opening = build(OpenCase, **fields, actor=actor)
    person = build(BeneficiaryIdentity, **identity, structure_id=opening.structure_id, birth_date=opening.birth_date,
                   situation=opening.situation) if identity else None  # fmt: skip
    registry = migrated_engine()
    settle(lambda: cases.refuse_opening(registry, opening, date.today()))
    if person is not None:
        opening = opening.model_copy(update={"beneficiary_id": _registered(registry, person)})
    state = run_async(with_worker(connection, lambda c: cases.open_case_with_seat(
        c, connection.task_queue, registry, opening, force_reason, capacity_from_env()),
        opening_outcome(cases.workflow_id(opening.case_id), opening.case_id)))  # fmt: skip
    registry.dispose()
    show(state, as_json)


IDENTITY_FIELDS = ("first_name", "last_name", "email", "phone", "address", "rqth_reference", "esat_reference")


def _registered(registry: Engine, person: BeneficiaryIdentity) -> str:
    """The person's registry id: registered now, or already, without a case."""
    try:
        return register_beneficiary(registry, person)
    except DuplicateBeneficiary as duplicate:
        if duplicate.case_ids:
            hint = f"; `ea reopen {duplicate.case_ids[-1]}` if it is closed"
            fail(f"refused: {duplicate}{hint}", EXIT_REFUSED)
        return duplicate.beneficiary_id  # registered, but no case opened: carry on


def read_case_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        fail(f"{path}: not valid YAML or JSON ({error})".replace("\n", " "), EXIT_USAGE)
    if not isinstance(data, dict):
        fail(f"{path}: expected a mapping of fields, found {type(data).__name__}", EXIT_USAGE)
    if not all(isinstance(name, str) for name in data):
        fail(f"{path}: every field needs a name (case_id, structure_id, birth_date, ...)", EXIT_USAGE)
    return data


def step_rows() -> list[dict[str, Any]]:
    """Every step as `ea steps` prints it, straight from the declarations."""
    return [{"command": d.verb, "step": d.name, "phases": [p.value for p in d.allowed_in], "roles": sorted(d.roles),
             "document": d.document, "help": d.help} for d in steps.EVERY_STEP]  # fmt: skip


def steps_markdown() -> str:
    """The README's table of steps (a test keeps the README equal to it)."""
    lines = ["| command | possible in | who may take it | document | what it does |", "|---|---|---|---|---|"]
    everywhere = [phase.value for phase in Phase if phase is not Phase.CLOSED]
    lines += [f"| `ea {row['command']}` | {'any open phase' if row['phases'] == everywhere else ', '.join(row['phases'])} | {', '.join(row['roles'])} | {row['document'] or ''} | {row['help']} |"
              for row in step_rows()]  # fmt: skip
    return "\n".join(lines) + "\n"


@click.command("steps")
@json_option
@click.option("--markdown", is_flag=True, help="Print the Markdown table the README carries.")
def steps_command(as_json: bool, markdown: bool) -> None:
    """List every step: its command, the phases where it is possible, who may take it, its document.

    \b
    Example:
      ea steps --json
    """
    rows = step_rows()
    if as_json:
        output.emit_json({"steps": rows})
        return
    if markdown:
        click.echo(steps_markdown(), nl=False)
        return
    table = output.Table(title="Steps", title_justify="left")
    for column in ("command", "possible in", "who", "document"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["command"], ", ".join(row["phases"]), ", ".join(row["roles"]), row["document"] or "")
    output.console.print(table)


@click.command()
@case_argument
@force_reason_option
@json_option
@pass_connection
def reopen(connection: Connection, case_id: str, force_reason: str | None, as_json: bool) -> None:
    """Reopen a closed case for the same person: a new run that asks for consent again.

    The case's référent must have room in their caseload, unless --force-reason says why.

    \b
    Example:
      ea reopen C1A2B3
    """
    actor, registry = require_actor(), migrated_engine()
    state = run_async(with_worker(connection, lambda c: cases.reopen_case(
        c, connection.task_queue, case_id, actor, registry, force_reason, capacity_from_env()),
        opening_outcome(cases.workflow_id(case_id), case_id, "reopened")))  # fmt: skip
    registry.dispose()
    show(state, as_json)


# --- Steps: one command each, all through apply_step ------------------------------------------


STEP_COMMANDS: list[click.Command] = []


def objective_option(help: str) -> Callable[[Any], Any]:
    return click.option("--objective", "objectives", multiple=True, help=help)


def from_file_option(fields: str) -> Callable[[Any], Any]:
    return click.option("--from-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help=f"A YAML or JSON file with the fields ({fields}), instead of the flags.")  # fmt: skip
request_id_option = click.option(
    "--request-id", "update_id", help="An id for this step: sent again with the same id (a retry), it is recorded once.")


def _require_representative(representative_id: str, case_id: str) -> None:
    """A representative acts only once recorded in the registry, and only for the person they represent."""
    registry = migrated_engine()
    reason = representative_refusal(registry, representative_id, case_id)
    registry.dispose()
    if reason is not None:
        fail(f"refused: {reason}", EXIT_REFUSED)


def step_command(step: Step) -> Callable[[Callable[..., dict[str, Any]]], click.Command]:
    """Make the CLI command of a step from its declaration (verb, help, example) and a function
    that maps the command's options to the step's fields (and takes the case's id if it needs it)."""
    declaration = steps.BY_STEP[step]

    def decorate(to_fields: Callable[..., dict[str, Any]]) -> click.Command:
        wants_case = "case_id" in inspect.signature(to_fields).parameters

        @functools.wraps(to_fields)
        def command(connection: Connection, case_id: str, as_json: bool, update_id: str | None, **options: Any) -> None:
            actor = require_actor()
            if actor.role is ActorRole.LEGAL_REPRESENTATIVE:
                _require_representative(actor.id, case_id)
            data = build(declaration.input, **to_fields(**options, **({"case_id": case_id} if wants_case else {})), actor=actor)
            if directory.references(data):  # the registry is opened only for steps that name the directory
                registry = migrated_engine()
                settle(lambda: directory.require_known(registry, data))
                registry.dispose()
            request_id = update_id or uuid.uuid4().hex  # named, so that a step left unconfirmed can be sent again once
            outcome = step_outcome(cases.workflow_id(case_id), request_id, f"`ea {declaration.verb} {case_id}`",
                                   f"--request-id {request_id}")  # fmt: skip
            async def take(client: Any) -> Any:
                answer = await cases.apply_step(client, case_id, data, request_id=request_id)
                # --json prints the whole case after the step: a query, which the history does not keep.
                return await cases.case_status(client, case_id) if as_json and isinstance(answer, StepAcknowledgement) else answer

            show(run_async(with_worker(connection, take, outcome)), as_json)

        command.__doc__ = f"{declaration.help}\n\n\b\nExample:\n  {declaration.example}"
        made = click.command(declaration.verb)(case_argument(json_option(request_id_option(pass_connection(command)))))
        STEP_COMMANDS.append(made)
        return made

    return decorate


@step_command(Step.RECORD_PRESCRIPTION)
@click.option("--by", "prescriber", required=True, type=click.Choice(["cdaph", *[p.value for p in Prescriber]]),
              help="The CDAPH (a decision) or the service public de l'emploi (a prescription).")  # fmt: skip
@click.option("--reference", required=True, help="The decision's or the prescription's reference.")
@day_option(help="The date of the decision or prescription.")
@click.option("--situation", type=choice(Situation), help="The situation it states, if the case has none yet.")
@click.option("--derogation", help="Admit the person outside the standard criteria, saying why (a coordinator only).")
@objective_option("An objective the convention states, as TITLE or TITLE=YYYY-MM-DD (its due date); repeat for each.")
def prescribe(prescriber: str, reference: str, day: date, situation: str | None, derogation: str | None,
              objectives: tuple[str, ...]) -> dict[str, Any]:  # fmt: skip
    if prescriber == "cdaph":
        prescription = {"route": "cdaph", "decision_reference": reference, "decision_date": day}
    else:
        prescription = {"route": "spe", "prescriber": prescriber, "prescriber_reference": reference, "prescription_date": day}
    return {"prescription": prescription, "situation": situation, "derogation": derogation, "objectives": _objectives(objectives)}


@step_command(Step.SUBMIT_EVALUATION)
@day_option(help="The day the evaluation was completed.")
@click.option("--capacities", help="The person's capacities, as found with them.")
@click.option("--needs", help="The person's needs.")
@click.option("--constraints", help="Constraints related to the disability, as the person chooses to describe them.")
@click.option("--employer-needs", help="The employer's needs, when there is one.")
@click.option("--tool", "tools", multiple=True, help="A tool used (interview, work situation, test...); repeat for each.")
@from_file_option("completed_on, capacities, needs, constraints, employer_needs, tools")
def evaluation(day: date, from_file: Path | None, tools: tuple[str, ...], **findings: str | None) -> dict[str, Any]:
    """The health free text goes to the registry encrypted; the flags or the file, validated by the step's model."""
    if from_file is not None:
        fields = read_case_file(from_file)
        return {"completed_on": fields.pop("completed_on", day), "findings": fields.pop("findings", fields)}
    found = {name: value for name, value in findings.items() if value is not None} | ({"tools": list(tools)} if tools else {})
    return {"completed_on": day, "findings": found or None}


@step_command(Step.SUBMIT_PROJECT)
@day_option(help="The day the person agreed the project.")
@click.option("--job", "jobs", multiple=True, help="A target job as a ROME code (e.g. M1607); repeat for each.")
@click.option("--sector", "sectors", multiple=True, help="A sector aimed at; repeat for each.")
@click.option("--hours", type=float, help="Hours per week the person aims at.")
@click.option("--place", help="Where the person can work.")
@click.option("--mobility", help="How the person travels (licence, public transport, distance).")
@click.option("--step", "project_steps", multiple=True, help="An agreed step, as WHAT=YYYY-MM-DD (its date); repeat for each.")
@objective_option("An objective of the support plan, as TITLE or TITLE=YYYY-MM-DD (its due date); repeat for each.")
@from_file_option("agreed_on, content (target_jobs, sectors, conditions, steps), objectives")
def project(day: date, jobs: tuple[str, ...], sectors: tuple[str, ...], hours: float | None, place: str | None,
            mobility: str | None, project_steps: tuple[str, ...], objectives: tuple[str, ...], from_file: Path | None) -> dict[str, Any]:  # fmt: skip
    if from_file is not None:
        return {"agreed_on": day, **read_case_file(from_file)}
    conditions = {name: value for name, value in (("weekly_hours", hours), ("place", place), ("mobility", mobility)) if value}
    content = {"target_jobs": [job.upper() for job in jobs], "sectors": list(sectors), "conditions": conditions,
               "steps": [{"what": what, "by": by} for what, by in map(_dated, project_steps)]}  # fmt: skip
    given = jobs or sectors or conditions or project_steps
    return {"agreed_on": day, "content": content if given else None, "objectives": _objectives(objectives)}


@step_command(Step.COMPLETE_REVIEW)
@day_option(help="The day the review was held.")
@click.option("--objective", "objectives", multiple=True,
              help="An objective as the review found it, TITLE=STATUS (planned, in_progress, reached, abandoned); repeat for each.")  # fmt: skip
@click.option("--notes", help="The référent's notes (may hold health information: encrypted in the registry).")
def review(day: date, objectives: tuple[str, ...], notes: str | None) -> dict[str, Any]:
    reviewed = [{"title": title, "status": status} for title, status in map(functools.partial(_pair, what="TITLE=STATUS"), objectives)]
    return {"held_on": day, "objectives": reviewed, "notes": notes}


@step_command(Step.RECORD_ADAPTATION)
@click.argument("adaptation_id", required=False)
@click.option("--stage", required=True, type=choice(AdaptationStage), help="The stage reached (proposed for a new adaptation).")
@day_option()
@click.option("--description", help="What is adapted (hours, a tool, the workstation): to propose.")
@click.option("--proposed-by", type=choice(Proposer), help="Who proposed it (default: the référent, or the employer acting).")
@click.option("--opinion", help="The médecin du travail's opinion (opinion_given; encrypted in the registry).")
@click.option("--funder", type=click.Choice([Funder.AGEFIPH, Funder.FIPHFP, Funder.EMPLOYER]),
              help="Who pays (funded); default: Agefiph or FIPHFP from the employer's sector in the directory.")  # fmt: skip
def adaptation(case_id: str, adaptation_id: str | None, stage: str, day: date, description: str | None, proposed_by: str | None,
               opinion: str | None, funder: str | None) -> dict[str, Any]:  # fmt: skip
    """The employer's sector in the directory says who funds: Agefiph (private) or FIPHFP (public)."""
    if stage == AdaptationStage.FUNDED:
        registry = migrated_engine()
        employer_id = case_file.adaptation_employer(registry, case_id, adaptation_id)
        funder = funder or case_file.sector_funder(registry, employer_id)
        reason = case_file.funder_refusal(registry, employer_id, Funder(funder)) if funder else None
        registry.dispose()
        if reason is not None:
            fail(f"refused: {reason}", EXIT_REFUSED)
    return {"adaptation_id": adaptation_id, "stage": stage, "on": day, "description": description, "proposed_by": proposed_by,
            "opinion": opinion, "funder": funder}  # fmt: skip


@step_command(Step.RECORD_EVIDENCE)
@click.option("--kind", required=True, type=choice(EvidenceKind), help="rqth, cdaph_decision or esat_admission.")
@click.option("--from", "valid_from", required=True, type=ISO_DATE, callback=as_date, help="First day of validity (YYYY-MM-DD).")
@click.option("--until", "valid_until", type=ISO_DATE, callback=as_date, help="Last day of validity; omit for an RQTH granted for life.")
@click.option("--reference", help="The decision's reference.")
@click.option("--file", "scan", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A scan (PDF, PNG or JPEG, checked by content, size-limited), stored encrypted outside the database.")  # fmt: skip
def evidence(case_id: str, kind: str, valid_from: date, valid_until: date | None, reference: str | None, scan: Path | None) -> dict[str, Any]:
    file_id = None
    if scan is not None:
        registry = migrated_engine()
        try:
            file_id = evidence_files.store(registry, case_id, scan.read_bytes())
        except evidence_files.RejectedFile as rejected:
            fail(f"{scan}: {rejected}", EXIT_USAGE)
        finally:
            registry.dispose()
    return {"kind": kind, "valid_from": valid_from, "valid_until": valid_until, "reference": reference, "file_id": file_id}


@step_command(Step.LINK_PARTNER)
@click.argument("partner_id")
def partner(partner_id: str) -> dict[str, Any]:
    return {"partner_id": partner_id}


def _pair(text: str, what: str) -> tuple[str, str]:
    name, sep, value = text.rpartition("=")
    if not sep or not name.strip() or not value.strip():
        fail(f"{text!r}: expected {what}", EXIT_USAGE)
    return name.strip(), value.strip()


def _dated(text: str) -> tuple[str, str]:
    return _pair(text, "WHAT=YYYY-MM-DD")


def _objectives(texts: tuple[str, ...]) -> list[dict[str, Any]]:
    """TITLE, or TITLE=YYYY-MM-DD for one with a due date."""
    return [dict(zip(("title", "due_on"), _pair(text, "TITLE=YYYY-MM-DD"))) if "=" in text else {"title": text} for text in texts]


@step_command(Step.SIGN_CONVENTION)
@click.option("--party", required=True, type=choice(Party), help="Who signs the convention.")
@day_option()
def sign(party: str, day: date) -> dict[str, Any]:
    return {"party": party, "signed_on": day}


@step_command(Step.SIGN_AMENDMENT)
@click.option("--party", required=True, type=choice(Party), help="Who signs the amendment (each party signs for itself).")
@day_option()
@click.option("--number", type=click.IntRange(min=1), help="Which amendment (avenant n°); the oldest awaiting signatures when omitted.")
def sign_amendment(party: str, day: date, number: int | None) -> dict[str, Any]:
    return {"party": party, "signed_on": day, "number": number}


@step_command(Step.RECORD_HIRING)
@click.option("--employer", "employer_id", required=True, help="Id of the employer.")
@click.option("--contract", "contract_type", required=True, type=choice(ContractType), help="Type of contract.")
@day_option("--start", help="First day of the job.")
@click.option("--hours", "weekly_hours", type=float, help="Hours per week.")
@click.option("--alongside", is_flag=True, help="The person keeps their current job(s): a second part-time job, or work beside the ESAT.")
def hire(employer_id: str, contract_type: str, day: date, weekly_hours: float | None, alongside: bool) -> dict[str, Any]:
    return {"employer_id": employer_id, "contract_type": contract_type, "start_date": day, "weekly_hours": weekly_hours,
            "alongside": alongside}  # fmt: skip


@step_command(Step.ASSIGN_REFERENT)
@click.argument("referent_id")
@force_reason_option
def assign(referent_id: str, force_reason: str | None) -> dict[str, Any]:
    return {"referent_id": referent_id, "force_reason": force_reason}


@step_command(Step.SET_REVIEW_CADENCE)
@click.option("--job-search", callback=parse_duration, help="Review every ... in job search (e.g. 30d).")
@click.option("--in-job", callback=parse_duration, help="Review every ... in in-job support (e.g. 12w).")
@click.option("--level", type=click.Choice(["intensive", "light"]), help="Which intensity's cadence (default: the case's own).")
def cadence(job_search: timedelta | None, in_job: timedelta | None, level: str | None) -> dict[str, Any]:
    return {"job_search_review_every": job_search, "in_job_review_every": in_job, "level": level}


@step_command(Step.SET_INTENSITY)
@click.argument("level", type=choice(Intensity))
@click.option("--reason", required=True, type=click.Choice([r.value for r in IntensityReason if r != "phase_changed"]),
              help="Why support changes (recorded in the audit journal).")  # fmt: skip
def intensity(level: str, reason: str) -> dict[str, Any]:
    return {"level": level, "reason": reason}


@step_command(Step.RECORD_CONTACT)
@click.option("--kind", required=True, type=choice(ContactKind),
              help="interview, phone, workplace, employer, occupational_physician (médecin du travail), "
                   "or prospection (an employer contacted for a job seeker).")  # fmt: skip
@day_option()
@click.option("--employer", "employer_id", help="The employer met (required for employer and prospection).")
def contact(kind: str, day: date, employer_id: str | None) -> dict[str, Any]:
    return {"kind": kind, "on": day, "employer_id": employer_id}


@step_command(Step.SUBMIT_EMPLOYER_REQUEST)
@click.option("--employer", "employer_id", required=True, help="Id of the employer making the request.")
@click.option("--kind", required=True, type=choice(RequestKind), help="What the employer asks for.")
def request(employer_id: str, kind: str) -> dict[str, Any]:
    return {"employer_id": employer_id, "kind": kind}


@step_command(Step.REQUEST_SUPPORT)
@click.option("--kind", required=True, type=choice(RequestKind), help="What the person asks for.")
def person_request(kind: str) -> dict[str, Any]:
    return {"kind": kind}


@step_command(Step.RESPOND_TO_REQUEST)
@click.argument("request_id")
@click.option("--outcome", required=True, type=choice(ResponseOutcome), help="The référent's response.")
@click.option("--partner", "partner_id", help="The partner of the directory it is referred to (required with referred_to_partner).")
def respond(request_id: str, outcome: str, partner_id: str | None) -> dict[str, Any]:
    return {"request_id": request_id, "outcome": outcome, "partner_id": partner_id}


@step_command(Step.CLOSE)
@click.option("--reason", required=True, help="Why the case closes (a withdrawal of consent is `ea withdraw`, an erasure `ea erase`).",
              type=click.Choice([r.value for r in ClosureReason if r not in (ClosureReason.CONSENT_WITHDRAWN, ClosureReason.ERASURE_REQUESTED)]))  # fmt: skip
def close(reason: str) -> dict[str, Any]:
    return {"reason": reason}


def _generated_step(declaration: steps.StepDeclaration) -> None:
    """The command of a step nobody wrote a mapper for: one option per field of its input model,
    named after the field, typed and documented from it (a single date is `--on`, today by default)."""
    fields = {name: field for name, field in declaration.input.model_fields.items() if name != "actor" and not field.deprecated}
    dates = [name for name, field in fields.items() if plain(field.annotation) is date]
    options = [_option(name, field, single_date=dates == [name]) for name, field in fields.items()]

    def to_fields(**values: Any) -> dict[str, Any]:
        return {name: value for name, value in values.items() if value is not None}  # the model's defaults apply

    to_fields.__name__ = declaration.verb.replace("-", "_")
    step_command(declaration.step)(functools.reduce(lambda command, option: option(command), reversed(options), to_fields))


def _option(name: str, field: FieldInfo, *, single_date: bool) -> Callable[[Any], Any]:
    kind, required = plain(field.annotation), field.is_required()
    flag = "--" + name.removesuffix("_id").replace("_", "-")  # --employer, as the hand-written commands say
    help = field.description or name.replace("_", " ").capitalize() + "."
    if kind is date:
        return click.option("--on" if single_date else flag, name, type=ISO_DATE, callback=as_date, help=help,
                            default=str(date.today()) if required else None, show_default="today" if required else None)  # fmt: skip
    if kind is bool:
        return click.option(flag, name, is_flag=True, help=help)
    default = None if required or field.default is None else field.default
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return click.option(flag, name, type=choice(kind), required=required, default=default and default.value, show_default=True,
                            help=help)  # fmt: skip
    if kind in (str, int, float):
        return click.option(flag, name, type=kind, required=required, default=default, show_default=True, help=help)
    raise TypeError(f"{name}: no option for {kind!r}; write the command of this step by hand with @step_command")


for _declaration in steps.STEPS:
    if _declaration.verb not in {command.name for command in STEP_COMMANDS}:
        _generated_step(_declaration)


COMMANDS: list[click.Command] = [open_command, steps_command, reopen, *STEP_COMMANDS]
