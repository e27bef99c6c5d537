"""Signing in and out: local accounts (argon2id), or the platform's identity provider (OpenID
Connect, with authlib) when one is configured. Either way the account must exist here: the
identity provider says who the person is, the registry says what they may do."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from activities.registry import accounts
from activities.registry.accounts import Throttled
from web.render import sign_in_page
from web.session import Signed, checked_form, end_session, sign_in_form_is_ours, signed_in, start_session
from web.state import Web

router = APIRouter()
HOME = "/"


def _next(target: str | None) -> str:
    """Where to go after signing in: a path of ours only (never another site)."""
    return target if target and target.startswith("/") and not target.startswith("//") and "\\" not in target else HOME


def _sign_in_page(request: Request, status: int = 200, error: str = "", email: str = "") -> Response:
    web: Web = request.app.state.web
    return sign_in_page(request, "sign_in.html", "/connexion", status=status, error=error, email=email,
                        suite=_next(request.query_params.get("suite")), oidc=web.settings.oidc,
                        farewell="au-revoir" in request.query_params)  # fmt: skip


@router.get("/connexion")
async def sign_in_form(request: Request) -> Response:
    return _sign_in_page(request)


@router.post("/connexion")
async def sign_in(request: Request) -> Response:
    web: Web = request.app.state.web
    form = await request.form()
    email, password = str(form.get("email", "")).strip(), str(form.get("password", ""))
    if not sign_in_form_is_ours(request, form):
        return _sign_in_page(request, 403, "Le formulaire a expiré : saisissez à nouveau vos identifiants.", email)
    address = request.client.host if request.client else "unknown"
    try:
        member = await asyncio.to_thread(accounts.authenticate, web.registry, email, password, address, web.now())
    except Throttled:
        return _sign_in_page(request, 429, "Trop de tentatives. Par sécurité, réessayez dans un quart d'heure.", email)
    if member is None:
        return _sign_in_page(request, 401, "Adresse ou mot de passe incorrect.", email)
    return await start_session(request, member, _next(str(form.get("suite", ""))))


@router.post("/deconnexion")
async def sign_out(request: Request, signed: Signed = Depends(signed_in)) -> Response:
    await checked_form(request, signed.session)
    return await end_session(request, signed.session, "/connexion?au-revoir=1")


# --- OpenID Connect ---------------------------------------------------------------------------


def _oidc_client(request: Request) -> Any:
    return request.app.state.oidc.create_client("platform")


@router.get("/connexion/sso")
async def sso(request: Request) -> Response:
    if getattr(request.app.state, "oidc", None) is None:
        return _sign_in_page(request, 404, "Aucun fournisseur d'identité n'est configuré.")
    return await _oidc_client(request).authorize_redirect(request, str(request.url_for("sso_return")))


@router.get("/connexion/sso/retour", name="sso_return")
async def sso_return(request: Request) -> Response:
    from authlib.integrations.base_client import OAuthError

    web: Web = request.app.state.web
    if getattr(request.app.state, "oidc", None) is None:
        return _sign_in_page(request, 404, "Aucun fournisseur d'identité n'est configuré.")
    try:
        token = await _oidc_client(request).authorize_access_token(request)
    except OAuthError:
        return _sign_in_page(request, 401, "Le fournisseur d'identité n'a pas confirmé votre connexion.")
    email = (token.get("userinfo") or {}).get("email", "")
    member = await asyncio.to_thread(accounts.account_by_email, web.registry, email) if email else None
    if member is None:
        return _sign_in_page(request, 403, "Aucun compte actif ne correspond à cette identité : demandez-en un à l'administrateur.")
    return await start_session(request, member, HOME)


def install_oidc(app: Any, web: Web) -> None:
    """Register the identity provider (discovered from its issuer) when the settings name one."""
    if web.settings.oidc is None:
        app.state.oidc = None
        return
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    oidc = web.settings.oidc
    oauth.register("platform", client_id=oidc.client_id, client_secret=oidc.client_secret,
                   server_metadata_url=oidc.metadata_url, client_kwargs={"scope": "openid email profile"})  # fmt: skip
    app.state.oidc = oauth
