"""The person's and the employer's own space (/espace): signed in by a link sent to their address,
they see the cases they are a party to and act on them through the same steps, the same update
and the same permission table as staff — with themselves as the actor.

A party never sees another party's case: a case they are not a party to is a 404, like one that
does not exist. An employer sees the convention, the amendments and the answers to its own
requests, never the person's evaluation or health; the person (or their representative) sees
every document of their own case.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from activities.registry import accounts, parties
from activities.registry.accounts import OpenSession, Throttled
from activities.registry.journal import journal_entry
from activities.registry.schema import Beneficiary, Document, JournalRow
from starter.reads import CaseNotFound, StepRefused, case_status
from web import mailer
from web.case_pages import pdf_response
from web.render import page, sign_in_page
from web.scope import CaseHidden
from web.session import SESSION_COOKIE, SIGN_IN_COOKIE, checked_form, end_session, start_session
from web.signature import Signable, signable
from web.state import Web
from web.words import refusal_text
from workflows.case.model import (
    Actor,
    ActorRole,
    CaseState,
    GiveConsent,
    Party,
    RequestKind,
    RequestSupport,
    RequestStatus,
    SignAmendment,
    SignConvention,
    StepInput,
    SubmitEmployerRequest,
    WithdrawConsent,
)

router = APIRouter(prefix="/espace")
BROWSER_COOKIE = "ea_browser"
EMPLOYER_DOCUMENTS = frozenset({"convention", "convention_signed", "amendment", "amendment_signed", "request_response"})
"""What an employer reads of a case: what it signs and the answers to its requests."""
PARTY_OF: dict[ActorRole, Party] = {ActorRole.EMPLOYER: Party.EMPLOYER, ActorRole.BENEFICIARY: Party.BENEFICIARY,
                                    ActorRole.LEGAL_REPRESENTATIVE: Party.BENEFICIARY}  # fmt: skip
"""Which party to the convention each role signs for (a representative signs for the person)."""


class NotSignedIn(Exception):
    """No party session: back to the page that sends a link."""


@dataclass(frozen=True)
class PartySigned:
    session: OpenSession

    @property
    def party(self) -> Actor:
        assert self.session.party is not None
        return self.session.party


async def party_signed_in(request: Request) -> PartySigned:
    web: Web = request.app.state.web
    token = request.cookies.get(SESSION_COOKIE)
    session = await asyncio.to_thread(accounts.resume_session, web.registry, token, web.now(), web.settings.idle) if token else None
    if session is None or session.party is None:
        raise NotSignedIn()
    return PartySigned(session)


async def _checked(request: Request, signed: PartySigned) -> dict[str, str]:
    form = await checked_form(request, signed.session)
    return {name: str(value) for name, value in form.items() if name != "csrf"}


def _page(request: Request, template: str, signed: PartySigned | None, status: int = 200, **context: Any) -> Response:
    web: Web = request.app.state.web
    name = ""
    if signed is not None:
        with Session(web.registry) as session:
            name = parties.party_name(session, signed.party)
    return page(request, template, None, status=status, csrf=signed.session.csrf_token if signed else "",
                party=signed.party if signed else None, party_name=name, **context)  # fmt: skip


# --- Signing in by link -----------------------------------------------------------------------


def _ask_page(request: Request, status: int = 200, message: str = "", error: str = "") -> Response:
    web: Web = request.app.state.web
    response = sign_in_page(request, "portal_ask.html", "/espace", status=status, message=message, error=error)
    if BROWSER_COOKIE not in request.cookies:
        response.set_cookie(BROWSER_COOKIE, secrets.token_urlsafe(32), httponly=True, samesite="lax",
                            secure=web.settings.secure_cookies, path="/espace")  # fmt: skip
    return response


@router.get("")
async def ask_form(request: Request) -> Response:
    return _ask_page(request)


@router.post("")
async def ask_link(request: Request) -> Response:
    web: Web = request.app.state.web
    form = await request.form()
    browser = request.cookies.get(BROWSER_COOKIE, "")
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    if not browser or not cookie or not secrets.compare_digest(str(form.get("csrf", "")), cookie):
        return _ask_page(request, 403, error="Le formulaire a expiré : saisissez à nouveau votre adresse.")
    email = str(form.get("email", "")).strip()
    address = request.client.host if request.client else "unknown"
    try:
        links = await asyncio.to_thread(parties.ask_links, web.registry, email, address, browser, web.now())
    except Throttled:
        return _ask_page(request, 429, error="Vous avez demandé beaucoup de liens. Attendez un quart d'heure, puis réessayez.")
    base = mailer.base_url(request)
    sent = await asyncio.to_thread(mailer.send_links, links, base, int(parties.LINK_VALID.total_seconds() // 60))
    if not sent:
        return _ask_page(request, 503, error="Le message n'a pas pu partir. Réessayez dans quelques minutes.")
    return _ask_page(request, message="Si cette adresse est connue, un lien de connexion vient de vous être envoyé. "
                                      "Ouvrez-le dans ce navigateur, dans les 15 minutes.")  # fmt: skip


@router.get("/lien/{token}", name="portal_link")
async def link_page(request: Request, token: str) -> Response:
    """A button, not a sign-in: mail scanners open links, and must not use them up."""
    return _page(request, "portal_link.html", None, token=token)


@router.post("/lien")
async def open_link(request: Request) -> Response:
    web: Web = request.app.state.web
    form = await request.form()
    party = await asyncio.to_thread(parties.open_link, web.registry, str(form.get("token", "")),
                                    request.cookies.get(BROWSER_COOKIE, ""), web.now())  # fmt: skip
    if party is None:
        return _ask_page(request, 403, error="Ce lien ne marche plus : il a déjà servi, il a expiré, ou il a été ouvert dans un "
                                             "autre navigateur que celui qui l'a demandé. Demandez-en un nouveau ici.")  # fmt: skip
    return await start_session(request, party, "/espace/accueil")


@router.post("/deconnexion")
async def sign_out(request: Request, signed: PartySigned = Depends(party_signed_in)) -> Response:
    await _checked(request, signed)
    return await end_session(request, signed.session, "/espace")


# --- The party's cases --------------------------------------------------------------------------


async def _states(web: Web, party: Actor) -> list[tuple[CaseState, str]]:
    """The open cases this party is a party to, live, each with the person's name."""
    with Session(web.registry) as session:
        rows = parties.cases_of(session, party)
        names = {b.id: f"{b.first_name} {b.last_name}" for b in session.scalars(select(Beneficiary).where(
            Beneficiary.id.in_([row.beneficiary_id for row in rows if row.beneficiary_id])))}  # fmt: skip
    client = await web.client()
    found = []
    for row in rows:
        try:
            state = await case_status(client, row.id)
        except (CaseNotFound, StepRefused):
            continue
        if is_party(state, party):
            found.append((state, names.get(state.beneficiary_id or "", "")))
    return found


def is_party(state: CaseState, party: Actor) -> bool:
    if party.role is ActorRole.EMPLOYER:
        return party.id in state.employers
    if party.role is ActorRole.BENEFICIARY:
        return state.beneficiary_id == party.id
    if party.role is ActorRole.LEGAL_REPRESENTATIVE:
        return party.id in state.representative_ids
    return False


async def _case(web: Web, party: Actor, case_id: str) -> CaseState:
    try:
        state = await case_status(await web.client(), case_id)
    except (CaseNotFound, StepRefused, ValueError):
        raise CaseHidden() from None
    if not is_party(state, party):
        raise CaseHidden()
    return state


@router.get("/accueil")
async def home(request: Request, signed: PartySigned = Depends(party_signed_in)) -> Response:
    web: Web = request.app.state.web
    cases = await _states(web, signed.party)
    if len(cases) == 1 and signed.party.role is not ActorRole.EMPLOYER:
        return RedirectResponse(f"/espace/dossiers/{cases[0][0].case_id}", status_code=303)
    return _page(request, "portal_home.html", signed, cases=cases)


def _documents(session: Session, state: CaseState, party: Actor) -> list[Row[Any]]:
    """The documents this party may read: their titles and ids, not their (sealed) texts."""
    columns = (Document.id, Document.seq, Document.template, Document.title)
    documents = list(session.execute(select(*columns).where(Document.case_id == state.case_id).order_by(Document.seq)))
    if party.role is not ActorRole.EMPLOYER:
        return documents
    mine = {r.request_id for r in state.requests if r.employer_id == party.id}
    answers = {row.seq: journal_entry(row).event for row in session.scalars(select(JournalRow).where(
        JournalRow.case_id == state.case_id, JournalRow.kind == "respond_to_request"))}  # fmt: skip
    return [d for d in documents if d.template in EMPLOYER_DOCUMENTS
            and (d.template != "request_response" or getattr(answers.get(d.seq), "request_id", None) in mine)]  # fmt: skip


def _readable(web: Web, state: CaseState, party: Actor, document_id: int) -> Document | None:
    """The whole document, if it is one this party may read."""
    with Session(web.registry) as session:
        if all(d.id != document_id for d in _documents(session, state, party)):
            return None
        return session.get(Document, document_id)


@dataclass(frozen=True)
class CaseFile:
    """What the party's case page shows from the registry, read in one session."""

    person: Beneficiary | None
    to_sign: list[Signable]
    documents: list[Row[Any]]


def _to_sign(web: Web, state: CaseState, party: Actor) -> list[Signable]:
    with Session(web.registry) as session:
        return signable(session, state, PARTY_OF[party.role])


def _case_file(web: Web, state: CaseState, party: Actor) -> CaseFile:
    with Session(web.registry) as session:
        person = session.get(Beneficiary, state.beneficiary_id) if state.beneficiary_id else None
        return CaseFile(person, signable(session, state, PARTY_OF[party.role]), _documents(session, state, party))


def _own_requests(state: CaseState, party: Actor) -> list[Any]:
    if party.role is ActorRole.EMPLOYER:
        return [r for r in state.requests if r.employer_id == party.id]
    return [r for r in state.requests if r.employer_id is None]


async def _case_page(request: Request, signed: PartySigned, state: CaseState, error: str = "", status: int = 200) -> Response:
    web: Web = request.app.state.web
    party = signed.party
    file = await asyncio.to_thread(_case_file, web, state, party)
    requests = _own_requests(state, party)
    return _page(request, "portal_case.html", signed, status=status, state=state, person=file.person, error=error,
                 documents=file.documents, to_sign=file.to_sign,
                 open_requests=[r for r in requests if r.status is RequestStatus.OPEN],
                 answered=[r for r in requests if r.status is RequestStatus.ANSWERED],
                 kinds=list(RequestKind), update_id=uuid.uuid4().hex, done=request.query_params.get("fait"))  # fmt: skip


@router.get("/dossiers/{case_id}")
async def case_page(request: Request, case_id: str, signed: PartySigned = Depends(party_signed_in)) -> Response:
    web: Web = request.app.state.web
    return await _case_page(request, signed, await _case(web, signed.party, case_id))


def _step(action: str, values: dict[str, str], party: Actor, state: CaseState, today: Any) -> StepInput:
    """The step a party's button asks for, with the party as its actor (never a field of the form)."""
    if action == "consentement":
        return GiveConsent(given_on=today, actor=party)
    if action == "retrait":
        if values.get("confirm") != "on":
            raise ValueError("Cochez la case pour confirmer.")
        return WithdrawConsent(withdrawn_on=today, actor=party)
    if action == "demande":
        if party.role is ActorRole.EMPLOYER:
            return SubmitEmployerRequest(employer_id=party.id, kind=values.get("kind", ""), actor=party)  # type: ignore[arg-type]
        return RequestSupport(kind=values.get("kind", ""), actor=party)  # type: ignore[arg-type]
    if action == "signature":
        return SignConvention(party=PARTY_OF[party.role], signed_on=today, actor=party)
    if action == "signature-avenant":
        return SignAmendment(party=PARTY_OF[party.role], signed_on=today, number=int(values.get("number", "0")) or None, actor=party)
    raise CaseHidden()


@router.post("/dossiers/{case_id}/{action}")
async def act(request: Request, case_id: str, action: str, signed: PartySigned = Depends(party_signed_in)) -> Response:
    web: Web = request.app.state.web
    values = await _checked(request, signed)
    state = await _case(web, signed.party, case_id)
    try:
        data = _step(action, values, signed.party, state, web.now().date())
    except (ValueError, ValidationError) as error:
        text = str(error) if isinstance(error, ValueError) and not isinstance(error, ValidationError) else "Choisissez dans la liste."
        return await _case_page(request, signed, state, text, 422)
    if action.startswith("signature"):
        offered = {item.key: item for item in await asyncio.to_thread(_to_sign, web, state, signed.party)}
        item = offered.get(values.get("document", ""))
        if item is None or not secrets.compare_digest(values.get("content_hash", ""), item.content_hash):
            return await _case_page(request, signed, state, "Le document a changé depuis que vous l'avez ouvert : relisez-le, puis signez.", 409)
        data = item.with_evidence(data)
    try:
        await web.take(case_id, data, values.get("update_id") or None)
    except StepRefused as refused:
        return await _case_page(request, signed, await _case(web, signed.party, case_id), refusal_text(refused.reason), 409)
    return RedirectResponse(f"/espace/dossiers/{case_id}?fait={action}", status_code=303)


@router.get("/dossiers/{case_id}/documents/{document_id}")
async def document_pdf(request: Request, case_id: str, document_id: int, signed: PartySigned = Depends(party_signed_in)) -> Response:
    web: Web = request.app.state.web
    state = await _case(web, signed.party, case_id)
    document = await asyncio.to_thread(_readable, web, state, signed.party, document_id)
    if document is None:
        raise CaseHidden()
    return await pdf_response(web, document)
