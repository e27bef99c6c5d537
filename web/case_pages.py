"""A case: its status, timeline, open requests and documents, and a form for each step the
signed-in member may take now; the step sent through the same client helper as `ea`."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.documents.rendering import Documents
from activities.registry import accounts, directory
from activities.registry.accounts import StaffRole
from activities.registry.journal import journal_entry
from activities.registry.schema import Beneficiary, Document, JournalRow, Organisation, Referent
from starter.reads import StepRefused
from web.forms import CaseChoices, StepForm, form_for, read_step
from web.render import page
from web.scope import CaseHidden, actor_of, visible_case
from web.session import Signed, checked_form, requires
from web.state import Web
from web.words import input_errors, label, refusal_text
from workflows.case import decisions, steps
from workflows.case.model import CaseState, RequestStatus, Step
from workflows.case.refusals import RefusalCode

router = APIRouter()
FORBIDDEN = frozenset({RefusalCode.ROLE_NOT_ALLOWED, RefusalCode.NOT_THE_CASES_REFERENT, RefusalCode.NOT_A_SIGNATORY})
"""Refusals about who acts (403), not about the case's state or the input (409)."""
STAFF = requires(StaffRole.REFERENT, StaffRole.COORDINATOR)


@dataclass
class Attempt:
    """A form sent back to its author: what they typed, and what was wrong with it."""

    step: str
    values: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)
    refusal: str = ""


def _file(web: Web, state: CaseState) -> dict[str, Any]:
    """What the registry knows of the case for its page: the person, the timeline, the documents, the choices."""
    with Session(web.registry) as session:
        person = session.get(Beneficiary, state.beneficiary_id) if state.beneficiary_id else None
        rows = session.scalars(select(JournalRow).where(JournalRow.case_id == state.case_id).order_by(JournalRow.at.desc(), JournalRow.seq.desc()))
        timeline = [journal_entry(row) for row in rows]
        documents = list(session.execute(select(Document.id, Document.title, Document.template, Document.created_at)
                                         .where(Document.case_id == state.case_id).order_by(Document.seq, Document.id)))  # fmt: skip
        employers = session.execute(select(Organisation.id, Organisation.name).where(Organisation.kind == "employer").order_by(Organisation.name))
        referents = session.execute(select(Referent.id, Referent.name).where(Referent.structure_id == state.structure_id).order_by(Referent.name))
        names = {row.id: row.name for row in session.scalars(select(Referent).where(Referent.id == state.referent_id))} if state.referent_id else {}
        choices = CaseChoices(
            requests=tuple((r.request_id, f"{r.request_id} — {label(r.kind)}") for r in state.requests if r.status is RequestStatus.OPEN),
            employers=tuple((row.id, row.name) for row in employers),
            referents=tuple((row.id, row.name) for row in referents),
            today=web.now().date(),
        )  # fmt: skip
        return {"person": person, "timeline": timeline, "documents": documents, "choices": choices,
                "referent_name": names.get(state.referent_id or "", state.referent_id)}  # fmt: skip


async def _case_page(request: Request, signed: Signed, state: CaseState, attempt: Attempt | None = None, status: int = 200) -> Response:
    web: Web = request.app.state.web
    file = await asyncio.to_thread(_file, web, state)
    await asyncio.to_thread(accounts.log_access, web.registry, signed.member, state.case_id, state.structure_id, "case", web.now())
    actor = actor_of(signed.member)
    forms: list[StepForm] = [form_for(declaration, file["choices"]) for declaration in steps.open_to(state, actor)] if actor else []
    return page(request, "case.html", signed, status=status, state=state, forms=forms, attempt=attempt,
                update_id=uuid.uuid4().hex, open_requests=[r for r in state.requests if r.status is RequestStatus.OPEN],
                done=request.query_params.get("fait"), **file)  # fmt: skip


@router.get("/dossiers/{case_id}")
async def case_page(request: Request, case_id: str, signed: Signed = Depends(STAFF)) -> Response:
    web: Web = request.app.state.web
    return await _case_page(request, signed, await visible_case(web, signed.member, case_id))


@router.post("/dossiers/{case_id}/etapes/{step}")
async def take_step(request: Request, case_id: str, step: str, signed: Signed = Depends(STAFF)) -> Response:
    web: Web = request.app.state.web
    form = await checked_form(request, signed.session)
    state = await visible_case(web, signed.member, case_id)
    try:
        declaration = steps.BY_STEP[Step(step)]
    except ValueError:
        raise CaseHidden() from None
    values = {name: str(value) for name, value in form.items() if name not in ("csrf", "update_id")}
    actor = actor_of(signed.member)
    assert actor is not None  # STAFF: a référent or a coordinator
    if (forbidden := decisions.actor_refusal(state, actor, declaration)) is not None:  # the workflow's own table, asked first
        return await _case_page(request, signed, state, Attempt(step, values, refusal=refusal_text(forbidden)), status=403)
    try:
        data = read_step(declaration, values, actor)
        await asyncio.to_thread(directory.require_known, web.registry, data)
    except ValidationError as error:
        return await _case_page(request, signed, state, Attempt(step, values, errors=input_errors(error)), status=422)
    except directory.UnknownReference as unknown:
        return await _case_page(request, signed, state, Attempt(step, values, refusal=f"Inconnu de l'annuaire : {unknown}"), status=422)
    update_id = str(form.get("update_id") or uuid.uuid4().hex)  # the form's own id: sent twice, recorded once
    try:
        await web.take(case_id, data, update_id)
    except StepRefused as refused:
        status = 403 if refused.reason is not None and refused.reason.code in FORBIDDEN else 409
        attempt = Attempt(step, values, refusal=refusal_text(refused.reason))
        return await _case_page(request, signed, await visible_case(web, signed.member, case_id), attempt, status)
    return RedirectResponse(f"/dossiers/{case_id}?fait={declaration.name}", status_code=303)


@router.get("/dossiers/{case_id}/documents/{document_id}")
async def document_pdf(request: Request, case_id: str, document_id: int, signed: Signed = Depends(STAFF)) -> Response:
    web: Web = request.app.state.web
    state = await visible_case(web, signed.member, case_id)
    document = await asyncio.to_thread(_document, web, case_id, document_id)
    if document is None:
        raise CaseHidden()
    await asyncio.to_thread(accounts.log_access, web.registry, signed.member, case_id, state.structure_id, "document", web.now())
    return await pdf_response(web, document)


async def pdf_response(web: Web, document: Document) -> Response:
    """The document's PDF: printed at the first request, the same kept bytes ever after."""
    content = await asyncio.to_thread(Documents(web.registry).printed, document)
    filename = f"{document.template}-{document.case_id}-{document.seq}.pdf"  # ids only: no name in a file name either
    return Response(content, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _document(web: Web, case_id: str, document_id: int) -> Document | None:
    with Session(web.registry) as session:
        document = session.get(Document, document_id)
        return document if document is not None and document.case_id == case_id else None
