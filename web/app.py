"""The staff application: référents and coordinators at work, admins on accounts.

Server-rendered pages (Jinja2), forms that work without JavaScript, no script at all, so the
Content-Security-Policy allows none. Every failure a person can meet (not signed in, not theirs,
refused, the case server down or slow) has a page in French; a stack trace never leaves the server.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from temporalio.service import RPCError, RPCStatusCode

from starter.settings import ServerUnreachable
from web import admin_pages, case_pages, desk_pages, directory_pages, fidelity_pages, portal, signin
from web.render import page
from web.scope import CaseHidden
from web.session import Forbidden, FormExpired, SignInRequired
from web.state import Web

STATIC = Path(__file__).parent / "static"
log = logging.getLogger("ea.web")

CSP = ("default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")  # fmt: skip
UNREACHABLE = ("Service momentanément indisponible", "Le serveur des dossiers ne répond pas. Rien n'a été perdu : réessayez "
               "dans quelques minutes ; si cela dure, prévenez l'administrateur.")  # fmt: skip
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
"""The funders' report is a printable document with its own styles and inline SVG charts: still no script."""

def create_app(web: Web) -> FastAPI:
    app = FastAPI(title="Emploi accompagné", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.web = web
    signin.install_oidc(app, web)
    if web.settings.oidc is not None:
        from starlette.middleware.sessions import SessionMiddleware

        # Only authlib's state and nonce between the redirect and the return: never who is signed in.
        app.add_middleware(SessionMiddleware, secret_key=uuid.uuid4().hex, session_cookie="ea_oidc", max_age=600,
                           same_site="lax", https_only=web.settings.secure_cookies)  # fmt: skip
    for router in (signin.router, desk_pages.router, case_pages.router, directory_pages.router, admin_pages.router, portal.router, fidelity_pages.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        try:
            response: Response = await call_next(request)
        except Exception as error:  # noqa: BLE001 — every failure gets a page, and the server's log no value
            response = _unexpected(request, error)
        report = response.headers.get("X-EA-Document") == "report"
        response.headers["Content-Security-Policy"] = REPORT_CSP if report else CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        if web.settings.secure_cookies:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        return response

    _error_pages(app)
    return app

def _error_pages(app: FastAPI) -> None:
    @app.exception_handler(portal.NotSignedIn)
    async def _portal_sign_in(_request: Request, _error: Exception) -> Response:
        return RedirectResponse("/espace", status_code=303)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _error: Exception) -> Response:
        if request.method != "GET":
            return RedirectResponse("/connexion", status_code=303)
        return RedirectResponse(f"/connexion?suite={request.url.path}", status_code=303)

    def problem(status: int, title: str, text: str):  # type: ignore[no-untyped-def]
        async def handler(request: Request, _error: Exception) -> Response:
            return page(request, "problem.html", None, status=status, title=title, text=text)

        return handler

    app.add_exception_handler(Forbidden, problem(403, "Accès refusé", "Cette page n'est pas ouverte à votre rôle."))
    app.add_exception_handler(CaseHidden, problem(404, "Introuvable", "Aucun dossier de ce numéro parmi ceux que vous suivez."))
    app.add_exception_handler(FormExpired, problem(403, "Formulaire expiré",
                                                   "Ce formulaire a expiré ou ne vient pas de cette application : rien n'a été enregistré. "
                                                   "Revenez à la page et envoyez-le à nouveau."))  # fmt: skip
    app.add_exception_handler(ServerUnreachable, problem(503, *UNREACHABLE))
    app.add_exception_handler(TimeoutError, problem(504, "Réponse en attente",
                                                    "Le dossier n'a pas répondu à temps. Votre saisie n'est pas perdue : renvoyez "
                                                    "le formulaire, elle ne sera enregistrée qu'une fois."))  # fmt: skip
    app.add_exception_handler(RequestValidationError, problem(400, "Adresse incorrecte", "Cette adresse ne correspond à aucune page."))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> Response:
        titles = {404: ("Page introuvable", "Cette adresse ne correspond à aucune page."),
                  405: ("Action impossible", "Cette page ne s'utilise pas ainsi.")}  # fmt: skip
        title, text = titles.get(error.status_code, ("Erreur", "La demande n'a pas pu aboutir."))
        return page(request, "problem.html", None, status=error.status_code, title=title, text=text)

def _unexpected(request: Request, error: Exception) -> Response:
    if isinstance(error, RPCError) and error.status is RPCStatusCode.UNAVAILABLE:
        return page(request, "problem.html", None, status=503, title=UNREACHABLE[0], text=UNREACHABLE[1])
    reference = uuid.uuid4().hex[:8]
    # The exception's type and where it was raised, never its message: it may carry a value typed in a form.
    where = "".join(traceback.format_tb(error.__traceback__))
    log.error("error %s on %s %s: %s\n%s", reference, request.method, request.url.path, type(error).__name__, where)
    return page(request, "problem.html", None, status=500, title="Une erreur est survenue",
                text=f"La demande n'a pas abouti. Si cela se reproduit, donnez ce numéro à l'administrateur : {reference}.")  # fmt: skip
