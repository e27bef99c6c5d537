"""The platform admin's page: the staff accounts (create, disable), as `ea user` does."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from activities.registry import accounts
from activities.registry.accounts import AccountRefused, StaffRole
from activities.registry.schema import Referent, Structure
from web.render import page
from web.session import Signed, checked_form, requires
from web.state import Web
from web.words import ACCOUNT_REFUSALS

router = APIRouter()
ADMIN = requires(StaffRole.ADMIN)


def _accounts_page(request: Request, signed: Signed, error: str = "", values: dict[str, str] | None = None, status: int = 200) -> Response:
    web: Web = request.app.state.web
    with Session(web.registry) as session:
        structures = [(s.id, s.name) for s in session.scalars(select(Structure).order_by(Structure.name))]
        referents = [(r.id, r.name) for r in session.scalars(select(Referent).order_by(Referent.name))]
    return page(request, "accounts.html", signed, status=status, accounts=accounts.list_accounts(web.registry), error=error,
                values=values or {}, roles=list(StaffRole), structures=structures, referents=referents,
                done=request.query_params.get("fait"))  # fmt: skip


@router.get("/comptes")
def accounts_page(request: Request, signed: Signed = Depends(ADMIN)) -> Response:
    return _accounts_page(request, signed)


@router.post("/comptes")
async def add_account(request: Request, signed: Signed = Depends(ADMIN)) -> Response:
    web: Web = request.app.state.web
    form = await checked_form(request, signed.session)
    values = {name: str(value).strip() for name, value in form.items() if name not in ("csrf", "password")}
    try:
        role = StaffRole(values.get("role", ""))
        await asyncio.to_thread(accounts.add_account, web.registry, email=values.get("email", ""), name=values.get("name", ""),
                                role=role, password=str(form.get("password", "")) or None, now=web.now(),
                                structure_id=values.get("structure_id") or None, referent_id=values.get("referent_id") or None)  # fmt: skip
    except ValueError:
        return _accounts_page(request, signed, "Choisissez un rôle.", values, 422)
    except AccountRefused as refused:
        return _accounts_page(request, signed, ACCOUNT_REFUSALS[refused.code], values, 422)
    return RedirectResponse("/comptes?fait=ajout", status_code=303)


@router.post("/comptes/desactiver")
async def disable_account(request: Request, signed: Signed = Depends(ADMIN)) -> Response:
    web: Web = request.app.state.web
    form = await checked_form(request, signed.session)
    try:
        await asyncio.to_thread(accounts.disable_account, web.registry, str(form.get("email", "")), web.now())
    except AccountRefused as refused:
        return _accounts_page(request, signed, ACCOUNT_REFUSALS[refused.code], status=404)
    return RedirectResponse("/comptes?fait=desactivation", status_code=303)
