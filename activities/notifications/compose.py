"""A message written from the registry: who receives it (name, address), and its French text and
HTML from templates/mail/. Nothing about health, no birth date, no situation: a message says what
is due, by when, and whom to contact; the details are in the case.

Each message carries a Message-ID derived from its outbox key, and the same key in
`X-EA-Idempotency-Key`: if the at-least-once window of the sender (sender.py) ever sends it
twice, the copies are recognisably one message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.notifications.settings import MailSettings
from activities.registry.database import utc
from activities.registry.schema import Beneficiary, Case, JournalRow, LegalRepresentative, Notification, Organisation, Referent, Structure, SupportRequest
from workflows.case.events import upcast
from workflows.wording import LABELS_FR, french_date, french_duration

MAIL_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "mail"
IDEMPOTENCY_HEADER = "X-EA-Idempotency-Key"


class NoAddress(Exception):
    """The registry has no e-mail address for the recipient: the text says what to add."""


@dataclass(frozen=True)
class Recipient:
    name: str
    address: str


def recipient(session: Session, who: str) -> Recipient:
    """`role:id` → a name and an address from the registry."""
    role, _, ident = who.partition(":")
    name, address, fix = None, None, ""
    if role == "referent" and (referent := session.get(Referent, ident)) is not None:
        name, address, fix = referent.name, referent.email, f"ea directory referent {ident} --email ..."
    elif role == "coordinator" and (structure := session.get(Structure, ident)) is not None:
        name = structure.coordinator_name or f"Coordination, {structure.name}"
        address, fix = structure.coordinator_email, f"ea directory structure {ident} --coordinator-email ..."
    elif role == "employer" and (employer := session.get(Organisation, ident)) is not None:
        name, address, fix = employer.name, employer.email, f"ea directory employer {ident} --email ..."
    elif role == "beneficiary" and (person := session.get(Beneficiary, ident)) is not None:
        name, address, fix = f"{person.first_name} {person.last_name}", person.email, "the person's e-mail in the registry"
    elif role == "legal_representative" and (representative := session.get(LegalRepresentative, ident)) is not None:
        name, address = f"{representative.first_name} {representative.last_name}", representative.email
        fix = f"ea representative {ident} ... --email ..."
    if name is None:
        raise NoAddress(f"{who} is not in the registry")
    if not address:
        raise NoAddress(f"no e-mail address for {who} ({fix})")
    return Recipient(name, address)


class Writer:
    """Renders messages: a Jinja environment for the text (and subject), another, autoescaped, for the HTML."""

    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        zone = ZoneInfo(settings.time_zone)
        filters = {"date_fr": lambda value: french_date(_local(value, zone)), "duration_fr": french_duration,
                   "moment_fr": lambda value: _moment_fr(value, zone)}  # fmt: skip
        self.text = Environment(loader=FileSystemLoader(MAIL_TEMPLATES), undefined=StrictUndefined, autoescape=False,
                                trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)  # fmt: skip
        self.html = Environment(loader=FileSystemLoader(MAIL_TEMPLATES), undefined=StrictUndefined, autoescape=True,
                                trim_blocks=True, lstrip_blocks=True)  # fmt: skip
        for environment in (self.text, self.html):
            environment.filters.update(filters)

    def write(self, template: str, to: Recipient, context: dict[str, Any], key: str) -> EmailMessage:
        """One message from `templates/mail/<template>.txt.j2`: its `subject` block, its body as
        text, and the same paragraphs in the HTML layout."""
        context = {**context, "recipient": to, "labels": LABELS_FR}
        compiled = self.text.get_template(f"{template}.txt.j2")
        subject = " ".join("".join(compiled.blocks["subject"](compiled.new_context(context))).split())
        text = compiled.render(context)
        paragraphs = [p.strip().splitlines() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
        html = self.html.get_template("_layout.html.j2").render(subject=subject, paragraphs=paragraphs, link=context.get("link"))
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = formataddr((to.name, to.address))
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now().astimezone())
        message["Message-ID"] = message_id(key, self.settings)
        message[IDEMPOTENCY_HEADER] = key
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message


def message_id(key: str, settings: MailSettings) -> str:
    """The same for every attempt at the same message."""
    domain = settings.sender.rpartition("@")[2].strip("> ") or "localhost"
    return f"<{key}@{domain}>"


def _local(value: date | datetime, zone: ZoneInfo) -> date:
    return utc(value).astimezone(zone).date() if isinstance(value, datetime) else value


def _moment_fr(value: datetime, zone: ZoneInfo) -> str:
    local = utc(value).astimezone(zone)
    return f"{french_date(local.date())} à {local.hour} h {local.minute:02d}"


def outbox_key(row: Notification) -> str:
    """The outbox's unique key as text: ea.CASE.SEQ.ROLE-ID.KIND (characters a Message-ID allows)."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", f"ea.{row.case_id}.{row.seq}.{row.recipient.replace(':', '-')}.{row.kind}")


STAFF_RECIPIENTS = ("referent:", "coordinator:")


def _link(settings: MailSettings, recipient: str, case_id: str) -> str | None:
    """Staff go straight to the case in the staff application; the person and the employer to
    their own space, where they sign in by a link of their own (the case's id tells them nothing)."""
    if not settings.app_url:
        return None
    base = settings.app_url.rstrip("/")
    return f"{base}/dossiers/{case_id}" if recipient.startswith(STAFF_RECIPIENTS) else f"{base}/espace"


def message_context(session: Session, row: Notification, settings: MailSettings) -> dict[str, Any]:
    """What a template may print about the case: never the person's health, situation or birth date."""
    case = session.get(Case, row.case_id)
    assert case is not None  # a notification is queued with its case's row
    journal = session.scalars(select(JournalRow).where(JournalRow.case_id == row.case_id, JournalRow.seq == row.seq)).one()
    event = upcast(journal.kind, journal.detail or {})
    person = session.get(Beneficiary, case.beneficiary_id) if case.beneficiary_id else None
    request_id = getattr(event, "request_id", None)
    request = session.scalars(select(SupportRequest).where(SupportRequest.case_id == case.id,
                                                            SupportRequest.request_id == request_id)).first() if request_id else None  # fmt: skip
    employer_id = getattr(event, "employer_id", None) or (request.employer_id if request else None) or case.employer_id
    return {
        "case_id": case.id,
        "recipient_role": row.recipient.partition(":")[0],
        "event": event,
        "at": journal.at,
        "person": f"{person.first_name} {person.last_name}" if person else f"la personne du dossier {case.id}",
        "structure": session.get(Structure, case.structure_id),
        "referent": session.get(Referent, case.referent_id) if case.referent_id else None,
        "employer": session.get(Organisation, employer_id) if employer_id else None,
        "request": request,
        "escalate_after": settings.escalate_after,
        "link": _link(settings, row.recipient, case.id),
    }
