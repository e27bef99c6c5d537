"""The directory: structures, référents and employers that documents and reports name.

Kept by coordinators (`ea directory ...`); each call creates the entry or updates it.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from activities.registry.schema import Organisation, Referent, Structure
from workflows.case.model import OpaqueId

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


class ReferentEntry(Entry):
    structure_id: OpaqueId | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    capacity: Annotated[int, Field(ge=1, le=200)] | None = None


class EmployerEntry(Entry):
    siret: Annotated[str, Field(pattern=r"^\d{14}$")] | None = None
    address: Annotated[str, Field(max_length=300)] | None = None


_TABLES: dict[type[Entry], Any] = {StructureEntry: Structure, ReferentEntry: Referent, EmployerEntry: Organisation}


def upsert(engine: Engine, entry: Entry) -> None:
    table = _TABLES[type(entry)]
    fields = entry.model_dump(exclude_none=True)
    if table is Organisation:
        fields["kind"] = "employer"
    with Session(engine) as session, session.begin():
        row = session.get(table, entry.id)
        if row is None:
            session.add(table(**fields))
        else:
            for name, value in fields.items():
                setattr(row, name, value)
