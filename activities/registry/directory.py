"""The directory: structures, référents and employers that documents and reports name.

Kept by coordinators (`ea directory ...`); each call creates the entry or updates it. Every id a
case or an entry names is checked here before anything is written (`require_known`): a phantom
référent would otherwise hold seats in `ea referent list` and make every document fail later.
"""

from __future__ import annotations

import difflib
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as siret_number

from activities.registry.schema import Organisation, Referent, Structure
from workflows.case.model import OpaqueId, PartnerKind

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9 .()-]{6,30}$")]


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: OpaqueId
    name: Text


class StructureEntry(Entry):
    department: Annotated[str, Field(pattern=r"^(\d{2,3}|2[AB])$")] | None = None
    address: Annotated[str, Field(max_length=300)] | None = None
    phone: Phone | None = None
    coordinator_name: Text | None = None
    coordinator_email: EmailStr | None = None
    """Where escalations go (a review or a request left overdue)."""


class ReferentEntry(Entry):
    structure_id: OpaqueId | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    capacity: Annotated[int, Field(ge=1, le=200)] | None = None
    notify: Literal["each", "digest"] | None = None
    """One e-mail per reminder, or one daily digest."""


def _siret(value: str) -> str:
    """14 digits whose SIREN (the first 9) and whole number pass their Luhn keys; spaces allowed."""
    try:
        return siret_number.validate(value)
    except StdnumError as error:
        raise ValueError(f"{value!r} is not a valid SIRET: {error}") from None


class EmployerEntry(Entry):
    siret: Annotated[str, AfterValidator(_siret)] | None = None
    address: Annotated[str, Field(max_length=300)] | None = None
    email: EmailStr | None = None
    sector: Literal["public", "private"] | None = None
    """Public employers' adaptations are funded by the FIPHFP, private ones' by the Agefiph."""
    sites: list[Text] | None = None
    """Its sites (establishments) where people work."""


class PartnerEntry(Entry):
    """A partner of the platform: the SPE counsellor, an ESAT, the MDPH, a training body, the médecin du travail's service."""

    partner_kind: PartnerKind
    siret: Annotated[str, AfterValidator(_siret)] | None = None
    address: Annotated[str, Field(max_length=300)] | None = None
    email: EmailStr | None = None


_TABLES: dict[type[Entry], Any] = {StructureEntry: Structure, ReferentEntry: Referent, EmployerEntry: Organisation,
                                   PartnerEntry: Organisation}  # fmt: skip
_KINDS: dict[type[Entry], str] = {EmployerEntry: "employer", PartnerEntry: "partner"}
"""What an organisation of the directory is."""


class DirectoryConflict(Exception):
    """The entry would break a rule of the registry; the message names the record already there."""


def upsert(engine: Engine, entry: Entry) -> None:
    """Create or update the entry; DirectoryConflict when another entry holds what must be unique."""
    require_known(engine, entry)
    table = _TABLES[type(entry)]
    fields = entry.model_dump(mode="json", exclude_none=True)
    if type(entry) in _KINDS:
        fields["kind"] = _KINDS[type(entry)]
    with Session(engine) as session:
        _refuse_conflicts(session, entry)
        row = session.get(table, entry.id)
        if row is None:
            session.add(table(**fields))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            _refuse_conflicts(session, entry)  # written meanwhile by someone else
            raise


def _refuse_conflicts(session: Session, entry: Entry) -> None:
    siret = getattr(entry, "siret", None)
    if siret is None:
        return
    holder = session.scalars(select(Organisation).where(Organisation.siret == siret, Organisation.id != entry.id)).first()
    if holder is not None:
        raise DirectoryConflict(f"SIRET {siret} is already the employer {holder.id} ({holder.name}): "
                                f"one SIRET names one employer; use {holder.id}, or correct the number")  # fmt: skip


# --- References: the ids a case or an entry names --------------------------------------------

REFERENCES: dict[str, tuple[str, Any, str]] = {
    "structure_id": ("structure", Structure, "structure ID --name NAME"),
    "referent_id": ("référent", Referent, "referent ID --name NAME"),
    "employer_id": ("employer", Organisation, "employer ID --name NAME"),
    "partner_id": ("partner", Organisation, "partner ID --name NAME --kind KIND"),
}
"""Each field that names the directory: what it is, its table, and how to add one."""


class UnknownReference(Exception):
    """An id that is not in the directory; the message gives close matches and how to add it."""


def references(data: BaseModel) -> dict[str, str]:
    """The directory ids a model names, by field (a step's input, an opening, an entry)."""
    return {name: value for name in REFERENCES if isinstance(value := getattr(data, name, None), str)}


def require_known(engine: Engine, *models: BaseModel) -> None:
    """Every id these models name is in the directory, or UnknownReference says which are not."""
    named = list(dict.fromkeys((name, value) for data in models for name, value in references(data).items()))
    if not named:
        return
    problems = []
    with Session(engine) as session:
        for name, value in named:
            what, table, add = REFERENCES[name]
            if session.get(table, value) is not None:
                continue
            close = difflib.get_close_matches(value, session.scalars(select(table.id)).all(), n=3)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            problems.append(f"{what} {value} is not in the directory: {hint}add it with `ea directory {add.replace('ID', value)}`")
    if problems:
        raise UnknownReference("; ".join(problems))
