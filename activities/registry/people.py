"""The people of the registry: registering a beneficiary, and finding a duplicate before it exists.

Identity and contact are personal data: this module is the door through which they enter the
registry, and nothing here is handed to a workflow but the opaque id it returns.
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from activities.registry.schema import Beneficiary, Case, LegalRepresentative
from workflows.case.dates import birth_date_refusal
from workflows.case.model import OpaqueId, Situation

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]
"""Printable: a control character (a NUL from a spreadsheet) is refused, not stored and printed."""


def _plausible(birth_date: date) -> date:
    """The core's rule, on the registry's calendar: nobody is registered with an impossible birth date."""
    reason = birth_date_refusal(birth_date, date.today())
    if reason is not None:
        raise ValueError(f"{birth_date} cannot be true: not after today, nor more than {reason.params['oldest_age']} years before")
    return birth_date


class BeneficiaryIdentity(BaseModel):
    """What a coordinator records about the person; validated before anything is written."""

    model_config = ConfigDict(extra="forbid")

    structure_id: OpaqueId
    first_name: Name
    last_name: Name
    birth_date: Annotated[date, AfterValidator(_plausible)]
    email: EmailStr | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 .()-]{6,30}$")] | None = None
    address: Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x09\x0b-\x1f\x7f]+$")] | None = None
    situation: Situation | None = None
    rqth_reference: Annotated[str, Field(max_length=64)] | None = None
    esat_reference: Annotated[str, Field(max_length=64)] | None = None


class ProtectiveMeasure(StrEnum):
    """The measures of the Code civil under which someone else consents and signs for the person."""

    TUTELLE = "tutelle"
    CURATELLE = "curatelle"
    CURATELLE_RENFORCEE = "curatelle_renforcee"
    HABILITATION_FAMILIALE = "habilitation_familiale"
    MANDAT_DE_PROTECTION_FUTURE = "mandat_de_protection_future"
    SAUVEGARDE_DE_JUSTICE = "sauvegarde_de_justice"


class RepresentativeIdentity(BaseModel):
    """The person's legal representative, as the coordinator records them from the court's decision."""

    model_config = ConfigDict(extra="forbid")

    id: OpaqueId
    beneficiary_id: OpaqueId
    first_name: Name
    last_name: Name
    measure: ProtectiveMeasure
    email: EmailStr | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 .()-]{6,30}$")] | None = None
    address: Annotated[str, Field(max_length=500)] | None = None


class DuplicateBeneficiary(Exception):
    """The same person (same names, folded, and birth date) is already registered in the structure."""

    def __init__(self, beneficiary_id: str, case_ids: list[str]) -> None:
        cases = f" (cases: {', '.join(case_ids)})" if case_ids else ""
        super().__init__(f"this person is already registered as {beneficiary_id}{cases}")
        self.beneficiary_id = beneficiary_id
        self.case_ids = case_ids


def identity_key(first_name: str, last_name: str) -> str:
    """« Élodie  DUPONT-Martin » and « elodie dupont martin » are the same key."""

    def fold(name: str) -> str:
        decomposed = unicodedata.normalize("NFKD", name.casefold())
        letters = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
        return " ".join(letters.split())

    return f"{fold(last_name)}|{fold(first_name)}"


def register_beneficiary(engine: Engine, identity: BeneficiaryIdentity) -> str:
    """Store the person and return their opaque id; a duplicate is reported, never stored twice."""
    key = identity_key(identity.first_name, identity.last_name)
    with Session(engine) as session:
        existing = _find(session, identity.structure_id, key, identity.birth_date)
        if existing is not None:
            raise DuplicateBeneficiary(existing, _cases_of(session, existing))
        beneficiary_id = f"B{uuid.uuid4().hex[:12].upper()}"
        session.add(
            Beneficiary(
                id=beneficiary_id,
                identity_key=key,
                registered_at=datetime.now(timezone.utc),
                **identity.model_dump(mode="python"),
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            existing = _find(session, identity.structure_id, key, identity.birth_date)
            if existing is None:
                raise
            raise DuplicateBeneficiary(existing, _cases_of(session, existing)) from None  # registered meanwhile
    return beneficiary_id


def _find(session: Session, structure_id: str, key: str, birth_date: date) -> str | None:
    query = select(Beneficiary.id).where(
        Beneficiary.structure_id == structure_id, Beneficiary.identity_key == key, Beneficiary.birth_date == birth_date
    )
    return session.scalars(query).first()


def _cases_of(session: Session, beneficiary_id: str) -> list[str]:
    return list(session.scalars(select(Case.id).where(Case.beneficiary_id == beneficiary_id).order_by(Case.opened_at)))


class PersonUnknown(Exception):
    pass


def register_representative(engine: Engine, identity: RepresentativeIdentity) -> None:
    """Record (or correct) the representative of a registered person."""
    with Session(engine) as session, session.begin():
        if session.get(Beneficiary, identity.beneficiary_id) is None:
            raise PersonUnknown(f"no person {identity.beneficiary_id} in the registry")
        row = session.get(LegalRepresentative, identity.id)
        fields = identity.model_dump(mode="python")
        if row is None:
            session.add(LegalRepresentative(**fields, registered_at=datetime.now(timezone.utc)))
        else:
            for name, value in fields.items():
                setattr(row, name, value)


def representative_refusal(engine: Engine, representative_id: str, case_id: str) -> str | None:
    """Why this id may not act as the legal representative of the person this case is about, or None."""
    with Session(engine) as session:
        representative = session.get(LegalRepresentative, representative_id)
        case = session.get(Case, case_id)
    if representative is None:
        return (f"{representative_id} is not a legal representative in the registry: "
                f"`ea representative {representative_id} --person ID --first-name ... --last-name ... --measure ...` records one")  # fmt: skip
    if case is not None and case.beneficiary_id != representative.beneficiary_id:
        return f"{representative_id} is not the legal representative of the person this case is about"
    return None
