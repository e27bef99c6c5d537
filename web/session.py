"""Who is signed in, and the proofs every form carries.

The session cookie holds a random token (HttpOnly, SameSite=Lax, Secure behind TLS); the registry
keeps its hash, the account and the session's CSRF token. A form posted by a signed-in browser
must carry that CSRF token; the sign-in form, before any session exists, carries a token equal to
a cookie of its own (double submit). A page of a person's file is never cached.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData

from activities.registry import accounts
from activities.registry.accounts import OpenSession, StaffMember, StaffRole
from web.state import Web
from workflows.case.model import Actor

SESSION_COOKIE = "ea_session"
SIGN_IN_COOKIE = "ea_signin"


class SignInRequired(Exception):
    """No valid session: the page sends the browser to the sign-in page."""


class Forbidden(Exception):
    """Signed in, but this page is not for this role (403); a case outside one's scope is a 404."""


class FormExpired(Exception):
    """The form's CSRF token is missing or wrong: nothing was done."""


@dataclass(frozen=True)
class Signed:
    """A member of staff's session (the staff application's pages)."""

    session: OpenSession

    @property
    def member(self) -> StaffMember:
        assert self.session.member is not None  # signed_in() lets staff sessions only
        return self.session.member

    @property
    def csrf(self) -> str:
        return self.session.csrf_token


async def signed_in(request: Request) -> Signed:
    """The current session (a FastAPI dependency): SignInRequired without one."""
    web: Web = request.app.state.web
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired()
    session = await asyncio.to_thread(accounts.resume_session, web.registry, token, web.now(), web.settings.idle)
    if session is None or session.member is None:
        raise SignInRequired()
    return Signed(session)


def requires(*roles: StaffRole):  # type: ignore[no-untyped-def]
    """A dependency: signed in with one of these roles, else 403."""

    async def dependency(request: Request) -> Signed:
        signed = await signed_in(request)
        if signed.member.role not in roles:
            raise Forbidden()
        return signed

    return dependency


async def checked_form(request: Request, session: OpenSession) -> FormData:
    """The posted form, once its CSRF token is the session's own (a member's or a party's)."""
    form = await request.form()
    if not secrets.compare_digest(str(form.get("csrf", "")), session.csrf_token):
        raise FormExpired()
    return form


def set_session_cookie(response: Response, web: Web, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=web.settings.secure_cookies, path="/")


def set_sign_in_cookie(response: Response, web: Web, token: str, path: str = "/connexion") -> None:
    """A sign-in form's token, also in a short-lived cookie that only the sign-in pages receive."""
    response.set_cookie(SIGN_IN_COOKIE, token, httponly=True, samesite="strict", secure=web.settings.secure_cookies,
                        max_age=3600, path=path)  # fmt: skip


def sign_in_form_is_ours(request: Request, form: FormData) -> bool:
    cookie = request.cookies.get(SIGN_IN_COOKIE, "")
    return bool(cookie) and secrets.compare_digest(str(form.get("csrf", "")), cookie)


async def start_session(request: Request, who: StaffMember | Actor, target: str) -> Response:
    """A new session for someone who just proved who they are — never the one the browser came
    with (no session fixation) — and on to `target`."""
    web: Web = request.app.state.web
    session = await asyncio.to_thread(accounts.open_session, web.registry, who, web.now(), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, web, session.token)
    return response


async def end_session(request: Request, session: OpenSession, target: str) -> Response:
    """Sign out: the session ends in the registry, the cookie in the browser."""
    web: Web = request.app.state.web
    await asyncio.to_thread(accounts.close_session, web.registry, session.token)
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
