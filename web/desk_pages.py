"""The pages of a working day: what is due, the caseload, opening a case, and for coordinators
the funders' report and the access log."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry import accounts, desk, directory
from activities.registry.accounts import StaffRole
from activities.registry.caseload import CaseloadFull
from activities.registry.people import BeneficiaryIdentity, DuplicateBeneficiary, register_beneficiary
from activities.registry.schema import Organisation, Referent
from starter.cases import open_case_with_seat, refuse_opening
from starter.reads import CaseExists, StepRefused
from web.render import page
from web.scope import actor_of, desk_scope
from web.session import Forbidden, Signed, checked_form, requires, signed_in
from web.state import Web
from web.words import input_errors, refusal_text
from workflows.case.model import AskedBy, OpenCase, Situation
from workflows.contracts import Period

router = APIRouter()
STAFF = requires(StaffRole.REFERENT, StaffRole.COORDINATOR)
COORDINATOR = requires(StaffRole.COORDINATOR)


@router.get("/")
async def home(signed: Signed = Depends(signed_in)) -> Response:
    return RedirectResponse("/comptes" if signed.member.role is StaffRole.ADMIN else "/ma-journee", status_code=303)


def _scope(signed: Signed) -> desk.Scope:
    scope = desk_scope(signed.member)
    if scope is None:
        raise Forbidden()
    return scope


@router.get("/ma-journee")
def my_day(request: Request, signed: Signed = Depends(STAFF)) -> Response:
    web: Web = request.app.state.web
    now = web.now()
    with Session(web.registry) as session:
        today = desk.day(session, _scope(signed), now)
    return page(request, "day.html", signed, day=today, now=now, soon=now + desk.DUE_WITHIN, unseen_days=desk.UNSEEN_AFTER.days)


@router.get("/portefeuille")
def caseload(request: Request, page_number: int = 1, signed: Signed = Depends(STAFF)) -> Response:
    web: Web = request.app.state.web
    with Session(web.registry) as session:
        load = desk.caseload(session, _scope(signed), web.capacity, page=page_number)
    pages = max(1, -(-load.total // 50))
    return page(request, "caseload.html", signed, load=load, page_number=min(max(page_number, 1), pages), pages=pages, now=web.now())


# --- Opening a case ---------------------------------------------------------------------------


def _referents(web: Web, structure_id: str) -> list[tuple[str, str]]:
    with Session(web.registry) as session:
        return [(r.id, r.name) for r in session.scalars(select(Referent).where(Referent.structure_id == structure_id).order_by(Referent.name))]


def _employers(web: Web) -> list[tuple[str, str]]:
    with Session(web.registry) as session:
        return [(o.id, o.name) for o in session.scalars(select(Organisation).where(Organisation.kind == "employer").order_by(Organisation.name))]


OPENING_FIELDS = frozenset({"first_name", "last_name", "birth_date", "email", "phone", "situation", "asked_by", "employer_id", "referent_id"})


def _opening_page(request: Request, signed: Signed, values: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    web: Web = request.app.state.web
    elsewhere = [message for name, message in errors.items() if name not in OPENING_FIELDS]
    if elsewhere:  # a problem no field of the form shows: said above the form
        errors = {**errors, "": " ".join(dict.fromkeys(elsewhere))}
    structure_id = signed.member.structure_id or ""
    return page(request, "open.html", signed, status=status, values=values, errors=errors, situations=list(Situation),
                asked_by=list(AskedBy), referents=_referents(web, structure_id), employers=_employers(web))  # fmt: skip


@router.get("/dossiers/nouveau")
def opening_form(request: Request, signed: Signed = Depends(STAFF)) -> Response:
    values = {"referent_id": signed.member.referent_id or "", "case_id": uuid.uuid4().hex[:10].upper()}
    return _opening_page(request, signed, values, {})


IDENTITY = ("first_name", "last_name", "email", "phone")


@router.post("/dossiers/nouveau")
async def open_case(request: Request, signed: Signed = Depends(STAFF)) -> Response:
    """The person in the registry, then the case: the same checks and the same seat as `ea open`."""
    web: Web = request.app.state.web
    form = await checked_form(request, signed.session)
    values = {name: str(value).strip() for name, value in form.items() if name != "csrf"}
    member, actor = signed.member, actor_of(signed.member)
    fields = {name: value for name, value in values.items() if value and name not in IDENTITY}
    fields.setdefault("case_id", uuid.uuid4().hex[:10].upper())
    if member.role is StaffRole.REFERENT:
        fields["referent_id"] = member.referent_id or ""  # a référent opens the cases they will follow
    try:
        opening = OpenCase.model_validate({**fields, "structure_id": member.structure_id, "actor": actor})
        person = BeneficiaryIdentity.model_validate({**{n: values[n] for n in IDENTITY if values.get(n)}, "structure_id": opening.structure_id,
                                                     "birth_date": opening.birth_date, "situation": opening.situation})  # fmt: skip
        await asyncio.to_thread(refuse_opening, web.registry, opening, web.now().date())
    except ValidationError as error:
        return _opening_page(request, signed, values, input_errors(error), 422)
    except StepRefused as refused:
        return _opening_page(request, signed, values, {"": refusal_text(refused.reason) if refused.reason else str(refused)}, 422)
    except directory.UnknownReference as unknown:
        return _opening_page(request, signed, values, {"": f"Inconnu de l'annuaire : {unknown}"}, 422)
    try:
        beneficiary_id = await asyncio.to_thread(register_beneficiary, web.registry, person)
    except DuplicateBeneficiary as duplicate:
        if duplicate.case_ids:
            return _opening_page(request, signed, values, {"": "Cette personne a déjà un dossier dans la structure."}, 409)
        beneficiary_id = duplicate.beneficiary_id
    opening = opening.model_copy(update={"beneficiary_id": beneficiary_id})
    try:
        await asyncio.wait_for(open_case_with_seat(await web.client(), web.task_queue, web.registry, opening, None, web.capacity),
                               web.settings.step_wait)  # fmt: skip
    except CaseExists:
        return _opening_page(request, signed, values, {"": "Ce numéro de dossier existe déjà : rechargez la page."}, 409)
    except CaseloadFull:
        return _opening_page(request, signed, values, {"referent_id": "Le portefeuille de ce référent est complet."}, 409)
    return RedirectResponse(f"/dossiers/{opening.case_id}?fait=ouverture", status_code=303)


# --- Report, access log ------------------------------------------------------------


@router.get("/rapport")
def report_form(request: Request, signed: Signed = Depends(COORDINATOR)) -> Response:
    today = request.app.state.web.now().date()
    start = date(today.year, 1 if today.month <= 6 else 7, 1)
    return page(request, "report.html", signed, start=start, end=today)


@router.get("/rapport/activite")
def report(request: Request, du: date, au: date, signed: Signed = Depends(COORDINATOR)) -> Response:
    """The funders' report of the coordinator's structure, as the printable HTML `ea report` writes."""
    from activities.documents.reporting import produce

    web: Web = request.app.state.web
    try:
        period = Period(start=du, end=au)
    except ValidationError:
        return page(request, "report.html", signed, status=422, start=du, end=au, error="La période se termine avant de commencer.")
    _figures, html = produce(web.registry, period, signed.member.structure_id)
    return HTMLResponse(html, headers={"X-EA-Document": "report"})


@router.get("/journal-des-acces")
def access_log(request: Request, signed: Signed = Depends(COORDINATOR)) -> Response:
    web: Web = request.app.state.web
    entries = accounts.accesses(web.registry, signed.member.structure_id or "")
    return page(request, "access_log.html", signed, entries=entries, since=web.now() - timedelta(days=365))
