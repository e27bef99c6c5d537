"""Documents: the job coach's paperwork, rendered from templates/ and stored once per event.

Each template is written once; two Jinja environments render it as HTML (autoescaped, with a
print stylesheet) and as Markdown (escaped too: markdown.py). StrictUndefined: a missing field is
an error, never a blank in a signed document. The PDF is printed from the stored HTML (WeasyPrint)
the first time someone asks for it, then kept: a journey never waits for WeasyPrint, and what was
signed stays the HTML whose hash and template version the row keeps.

A document describes its event: what was true then comes from the journal entry (its fields and
the case's snapshot), so rendering later — after a retry, or a burst of steps — says the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError
from sqlalchemy import Connection, Engine, Insert, Row, Select, bindparam, select, update
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.documents.french import prep
from activities.documents.markdown import markdown_environment
from activities.registry.database import DIALECT_INSERTS, utc
from activities.registry.journal import journal_entry
from activities.registry.schema import Beneficiary, Document, JournalRow, LegalRepresentative, Organisation, Referent, Structure
from workflows.case import rome, rules
from workflows.case.events import DocumentRequest, JournalEntry
from workflows.case.model import Actor, ActorRole, Adaptation, Objective, Party, ProjectStep, SignatureEvidence, SupportRequest
from workflows.wording import LABELS_FR, french_date, french_duration

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
_SHARED = ("_signed.j2", "_layout.html.j2", "_layout.md.j2", "_format.html.j2", "_format.md.j2", "_acts.html.j2", "_acts.md.j2")


def _date_fr(value: date | datetime) -> str:
    """Dates from the registry, the case, or an event's fields."""
    return french_date(value.date() if isinstance(value, datetime) else value)


def _hours(value: float) -> str:
    return f"{value:g} heures".replace(".", ",")


def _request_line(request: SupportRequest) -> str:
    return f"{request.request_id} : {LABELS_FR['request'][request.kind]}, réponse due le {_date_fr(request.deadline)}"


def _objective_line(objective: Objective) -> str:
    due = f", échéance le {_date_fr(objective.due_on)}" if objective.due_on else ""
    reviewed = f", revu le {_date_fr(objective.reviewed_on)}" if objective.reviewed_on else ""
    return f"{objective.title} ({LABELS_FR['objective'][objective.status]}{due}{reviewed})"


def _project_step(step: ProjectStep) -> str:
    done = f", fait le {_date_fr(step.done_on)}" if step.done_on else ""
    return f"{step.what} (d'ici le {_date_fr(step.by)}{done})"


def _adaptation_line(adaptation: Adaptation) -> str:
    """What, proposed by whom, where it stands and since when, and who funds it: never the médecin's opinion."""
    since = _date_fr(adaptation.dates[adaptation.stage])
    funder = f", financé par {LABELS_FR['funder'][adaptation.funder]}" if adaptation.funder else ""
    return (f"{adaptation.description} : proposé par {LABELS_FR['proposer'][adaptation.proposed_by]}, "
            f"{LABELS_FR['adaptation'][adaptation.stage]} le {since}{funder}")  # fmt: skip


def jinja_environment() -> Environment:
    """Autoescaped: a value from the registry is text, never markup. Templates ship with the code:
    each is compiled once per process, its file never looked at again (no auto_reload)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.filters.update(date_fr=_date_fr, duration_fr=french_duration, hours=_hours, request_line=_request_line, prep=prep,
                               rome=rome.job, objective_line=_objective_line, project_step=_project_step,
                               adaptation_line=_adaptation_line, signature_line=_signature_line)  # fmt: skip
    return environment


@dataclass(frozen=True)
class Signed:
    """One party's signature, as the signed text's last page prints it."""

    party: str
    by: str
    at: datetime
    evidence: SignatureEvidence | None


def _signature_line(signed: Signed) -> str:
    how = (f"signature électronique, texte d'empreinte SHA-256 {signed.evidence.document_hash} (version {signed.evidence.document_version})"
           if signed.evidence else "signature sur papier, recueillie par la structure")  # fmt: skip
    return f"{signed.party.capitalize()} : {signed.by}, le {_date_fr(signed.at)} à {signed.at:%H:%M} UTC — {how}"


JOURNAL = JournalRow.__table__


def signatures_of(connection: Connection, entry: JournalEntry, names: dict[Party, str]) -> list[Signed]:
    """Every signature of the text this entry completes (the convention, or its amendment), from the journal."""
    kind, number = entry.kind, getattr(entry.event, "amendment", None)
    rows = connection.execute(select(JOURNAL).where(JOURNAL.c.case_id == entry.case_id, JOURNAL.c.kind == kind,
                                                    JOURNAL.c.seq <= entry.seq).order_by(JOURNAL.c.seq))  # fmt: skip
    found = []
    for row in rows:
        event = journal_entry(row).event
        if number is not None and getattr(event, "amendment", None) != number:
            continue
        party = Party(event.party)  # type: ignore[union-attr]
        found.append(Signed(LABELS_FR["party"][party], names.get(party, party.value), utc(row.at), event.evidence))  # type: ignore[union-attr]
    return found


def original_event(connection: Connection, entry: JournalEntry) -> Any:
    """The event whose text a signature completes — the prescription that made the convention, or
    the event that made amendment n° N — read from the journal, where it was written before any
    signature: the signed text says what that text said."""
    number = getattr(entry.event, "amendment", None)
    kinds = ("record_prescription",) if number is None else ("record_hiring", "amendment_proposed")
    rows = connection.execute(select(JOURNAL).where(JOURNAL.c.case_id == entry.case_id, JOURNAL.c.kind.in_(kinds),
                                                    JOURNAL.c.seq < entry.seq).order_by(JOURNAL.c.seq.desc()))  # fmt: skip
    for row in rows:
        event = journal_entry(row).event
        if number is None or getattr(event, "amendment", None) == number:
            return event
    raise DocumentDataMissing(f"the journal holds no event that made the text this signature completes ({entry.kind})")


@dataclass(frozen=True)
class Rendered:
    title: str
    html: str
    markdown: str
    version: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.html.encode("utf-8")).hexdigest()


class Renderer:
    """Turns a template and its context into HTML and Markdown, and stored HTML into PDF."""

    def __init__(self) -> None:
        self._formats = {
            "html": (jinja_environment(), "_layout.html.j2", "_format.html.j2"),
            "md": (markdown_environment(jinja_environment()), "_layout.md.j2", "_format.md.j2"),
        }
        self._versions: dict[str, str] = {}

    def version(self, template: str) -> str:
        """The template's own text and the shared layout, hashed: changes when the wording does
        (read with the template, once per process, like the compiled template itself)."""
        if template not in self._versions:
            digest = hashlib.sha256()
            for name in (f"{template}.j2", *_SHARED):
                digest.update((TEMPLATES / name).read_bytes())
            self._versions[template] = digest.hexdigest()[:12]
        return self._versions[template]

    def render(self, template: str, context: dict[str, Any]) -> Rendered:
        outputs = {}
        for fmt, (environment, layout, macros) in self._formats.items():
            compiled = environment.get_template(f"{template}.j2")
            outputs[fmt] = compiled.render(context, layout=layout, format=macros)
        environment, layout, macros = self._formats["md"]
        compiled = environment.get_template(f"{template}.j2")
        title = "".join(compiled.blocks["title"](compiled.new_context({**context, "layout": layout, "format": macros})))
        return Rendered(title.strip(), outputs["html"], outputs["md"], self.version(template))

    @staticmethod
    def pdf(html: str) -> bytes:
        from weasyprint import HTML  # heavy import: only where a PDF is made

        return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()


class DocumentDataMissing(Exception):
    """What a document must name is missing: from the registry (a référent's name, an employer's,
    ...) or from the request (the case as it stood at the event)."""


def _required(row: Any, what: str, fix: str) -> Any:
    if row is None:
        raise DocumentDataMissing(f"{what} is not in the registry ({fix})")
    return row




def _representative(row: Row[Any]) -> str:
    return f"{row.first_name} {row.last_name} ({LABELS_FR['measure'][row.measure]})"


def _who(actor: Actor | None, representatives: dict[str, Row[Any]]) -> str | None:
    """Who acted, as a document names them when it matters: the person's representative."""
    if actor is None or actor.role is not ActorRole.LEGAL_REPRESENTATIVE:
        return None
    known = representatives.get(actor.id)
    return "son représentant légal" + (f", {_representative(known)}" if known else "")


Named = type[Beneficiary | Structure | Referent | Organisation]
"""The rows a document names by id: the person and the directory's entries."""


def _by_id(table: Named) -> Select[Any]:
    columns = table.__table__
    return select(columns).where(columns.c.id == bindparam("id"))


_READS = {table: _by_id(table) for table in (Beneficiary, Structure, Referent, Organisation)}
"""A document's people and directory rows, read as plain rows (the templates name their columns):
the ORM's identity map and unit of work buy nothing in a read-only activity, and cost a third of it."""
_REPRESENTATIVES = (select(LegalRepresentative.__table__).where(LegalRepresentative.__table__.c.beneficiary_id == bindparam("id"))
                    .order_by(LegalRepresentative.__table__.c.registered_at))  # fmt: skip


def _read(connection: Connection, table: Named, key: str | None) -> Row[Any] | None:
    return connection.execute(_READS[table], {"id": key}).first() if key else None


class Documents:
    """The document activity and the reads the CLI needs, bound to one registry engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @cached_property
    def renderer(self) -> Renderer:
        """Made at the first rendering: the readers (a list, a document, its PDF) never need one."""
        return Renderer()

    @activity.defn
    def render_document(self, request: DocumentRequest) -> int:
        """Render and store the document of one event; again for the same event, store nothing (the
        store keeps the first: a retry renders again rather than look first, as retries are rare)."""
        with self.engine.connect() as connection:
            try:
                context = self.context(connection, request)
            except DocumentDataMissing as missing:
                made = self._find(connection, request.entry.case_id, request.entry.seq, request.template)
                if made is not None:  # made by an earlier attempt, before the data went missing
                    return made
                raise ApplicationError(str(missing), type="DocumentDataMissing", non_retryable=True) from None
        try:
            rendered = self.renderer.render(request.template, context)
        except (TemplateError, AttributeError, TypeError, KeyError, ValueError) as error:
            # The same template with the same data fails the same way: retrying cannot help.
            message = f"template {request.template} cannot be rendered: {type(error).__name__}: {error}"
            raise ApplicationError(message, type="DocumentTemplateError", non_retryable=True) from None
        return self.store(request, rendered)

    def store(self, request: DocumentRequest, rendered: Rendered) -> int:
        entry = request.entry
        row = {
            "case_id": entry.case_id, "seq": entry.seq, "template": request.template,
            "template_version": rendered.version, "title": rendered.title, "html": rendered.html,
            "markdown": rendered.markdown, "content_hash": rendered.content_hash,
            "created_at": datetime.now(timezone.utc),
        }  # fmt: skip
        with self.engine.begin() as connection:
            stored = connection.execute(self._storing, row).scalar()
            if stored is None:  # another attempt's
                stored = self._find(connection, entry.case_id, entry.seq, request.template)
        assert stored is not None
        return stored

    @cached_property
    def _storing(self) -> Insert:
        """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once and run by Core: the ORM's bulk
        insert path cost twice the CPU for the same row."""
        table = Document.__table__
        insert = DIALECT_INSERTS[self.engine.dialect.name](table)
        return insert.on_conflict_do_nothing(index_elements=["case_id", "seq", "template"]).returning(table.c.id)

    def context(self, connection: Connection, request: DocumentRequest) -> dict[str, Any]:
        """What a template may name: the case (from the workflow) and the people (from the registry)."""
        state, entry = request.case, request.entry
        at_event = entry.snapshot
        if at_event is None:  # the workflow sends every event with the case as it stood then
            raise DocumentDataMissing(f"event {entry.seq} of case {entry.case_id} carries no snapshot of its case")
        asked = state.request(getattr(entry.event, "request_id", ""))
        employer_id = asked.employer_id if asked and asked.employer_id else at_event.employer_id  # the one who asked
        referent_id = at_event.referent_id
        beneficiary = _required(_read(connection, Beneficiary, state.beneficiary_id), "the person",
                                "open the case with the person's identity, or --beneficiary")  # fmt: skip
        structure = _required(_read(connection, Structure, state.structure_id), f"structure {state.structure_id}",
                              f"ea directory structure {state.structure_id} --name ...")  # fmt: skip
        referent = _required(_read(connection, Referent, referent_id), f"référent {referent_id or '(none assigned)'}",
                             "ea assign, then ea directory referent ID --name ...")  # fmt: skip
        employer = None
        if employer_id is not None:
            employer = _required(_read(connection, Organisation, employer_id), f"employer {employer_id}",
                                 f"ea directory employer {employer_id} --name ... --siret ...")  # fmt: skip
        representatives = {r.id: r for r in connection.execute(_REPRESENTATIVES, {"id": beneficiary.id})}
        person = f"{beneficiary.first_name} {beneficiary.last_name}"
        if representatives:
            person += ", représenté(e) par " + " et ".join(map(_representative, representatives.values()))
        names = {Party.BENEFICIARY: person, Party.STRUCTURE: structure.name}
        if employer is not None:
            names[Party.EMPLOYER] = employer.name
        signed_text = request.template.endswith("_signed")
        return {
            "case": state,
            "entry": entry,
            "event": original_event(connection, entry) if signed_text else entry.event,
            "today": entry.at.date(),
            "labels": LABELS_FR,
            "beneficiary": beneficiary,
            "structure": structure,
            "referent": referent,
            "employer": employer,
            "request": asked,
            "amendment_number": getattr(entry.event, "amendment", None),
            "follow_up": rules.follow_up(state.settings),
            "consent_by": _who(state.consent_by, representatives),
            "author": referent.name if entry.actor and entry.actor.role is ActorRole.REFERENT else None,
            "signed": [(LABELS_FR["party"][party], day, _who(state.signed_by.get(party), representatives))
                       for party, day in state.signatures.items()],  # fmt: skip
            "signed_by": signatures_of(connection, entry, names) if signed_text else [],
            # Blocks to sign on paper: dated by hand, so a document never depends on who signed first.
            "signatures": [{"party": LABELS_FR["party"][party].capitalize(), "name": name} for party, name in names.items()],
        }

    def printed(self, document: Document) -> bytes:
        """The document as PDF: printed the first time someone asks, then kept, so every later copy
        is the same file (the first of two concurrent requests wins the row)."""
        if document.pdf is not None:
            return document.pdf
        pdf = Renderer.pdf(document.html)
        with Session(self.engine) as session, session.begin():
            session.execute(update(Document).where(Document.id == document.id, Document.pdf.is_(None)).values(pdf=pdf))
            kept = session.scalar(select(Document.pdf).where(Document.id == document.id))
        assert kept is not None
        return kept

    def list(self, case_id: str) -> list[Document]:
        with Session(self.engine) as session:
            query = select(Document).where(Document.case_id == case_id).order_by(Document.seq, Document.id)
            return list(session.scalars(query))

    def get(self, case_id: str, document_id: int) -> Document | None:
        with Session(self.engine) as session:
            document = session.get(Document, document_id)
            return document if document is not None and document.case_id == case_id else None

    @staticmethod
    def _find(connection: Connection, case_id: str, seq: int, template: str) -> int | None:
        query = select(Document.id).where(Document.case_id == case_id, Document.seq == seq, Document.template == template)
        return connection.scalars(query).first()
