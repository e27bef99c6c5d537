"""The directory: structures, référents, employers and prescribers, read by all staff and kept by
admins and coordinators (a coordinator for their own structure's référents), with forms made
from the directory's own models, as `ea directory` takes them."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry import directory
from activities.registry.accounts import StaffMember, StaffRole
from activities.registry.directory import EmployerEntry, ReferentEntry, StructureEntry
from activities.registry.schema import Organisation, Referent, Structure
from web.forms import CaseChoices, fields_of, read_model
from web.render import page
from web.session import Forbidden, Signed, checked_form, signed_in
from web.state import Web
from web.words import input_errors

router = APIRouter()

KINDS: dict[str, tuple[type[BaseModel], str, frozenset[StaffRole]]] = {
    "referent": (ReferentEntry, "Ajouter ou modifier un référent", frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR})),
    "employer": (EmployerEntry, "Ajouter ou modifier un employeur", frozenset({StaffRole.ADMIN, StaffRole.COORDINATOR})),
    "structure": (StructureEntry, "Ajouter ou modifier une structure", frozenset({StaffRole.ADMIN})),
}
"""Each kind of entry: its model, the form's title, who keeps it."""


def _directory_page(request: Request, signed: Signed, attempt: dict[str, object] | None = None, status: int = 200) -> Response:
    web: Web = request.app.state.web
    member = signed.member
    with Session(web.registry) as session:
        structures = list(session.scalars(select(Structure).order_by(Structure.name)))
        referents = list(session.scalars(select(Referent).order_by(Referent.name)))
        organisations = list(session.scalars(select(Organisation).order_by(Organisation.kind, Organisation.name)))
    if member.structure_id:  # staff see their own structure's people; employers and prescribers are shared
        structures = [s for s in structures if s.id == member.structure_id]
        referents = [r for r in referents if r.structure_id == member.structure_id]
    choices = CaseChoices(structures=tuple((s.id, s.name) for s in structures))
    forms = [(kind, title, _fields(model, choices, member)) for kind, (model, title, roles) in KINDS.items() if member.role in roles]
    return page(request, "directory.html", signed, status=status, structures=structures, referents=referents,
                organisations=organisations, forms=forms, attempt=attempt, done=request.query_params.get("fait"))  # fmt: skip


def _fields(model: type[BaseModel], choices: CaseChoices, member: StaffMember) -> list:  # type: ignore[type-arg]
    fields = fields_of(model, choices)
    if member.role is StaffRole.COORDINATOR:  # their référents are in their structure: not a choice
        fields = [f for f in fields if f.name != "structure_id"]
    return fields


@router.get("/annuaire")
def directory_page(request: Request, signed: Signed = Depends(signed_in)) -> Response:
    return _directory_page(request, signed)


@router.post("/annuaire/{kind}")
async def keep_entry(request: Request, kind: str, signed: Signed = Depends(signed_in)) -> Response:
    web: Web = request.app.state.web
    form = await checked_form(request, signed.session)
    if kind not in KINDS or signed.member.role not in KINDS[kind][2]:
        raise Forbidden()
    model = KINDS[kind][0]
    values = {name: str(value) for name, value in form.items() if name != "csrf"}
    fixed = {"structure_id": signed.member.structure_id} if signed.member.role is StaffRole.COORDINATOR and kind == "referent" else {}
    try:
        entry = read_model(model, values, **fixed)
        await asyncio.to_thread(directory.upsert, web.registry, entry)  # type: ignore[arg-type]
    except ValidationError as error:
        return _directory_page(request, signed, {"kind": kind, "values": values, "errors": input_errors(error)}, 422)
    except directory.DirectoryConflict:
        return _directory_page(request, signed, {"kind": kind, "values": values,
                                                 "errors": {"siret": "Ce SIRET est déjà celui d'un autre employeur."}}, 409)  # fmt: skip
    except directory.UnknownReference:
        return _directory_page(request, signed, {"kind": kind, "values": values,
                                                 "errors": {"structure_id": "Cette structure n'est pas dans l'annuaire."}}, 422)  # fmt: skip
    return RedirectResponse(f"/annuaire?fait={kind}", status_code=303)
