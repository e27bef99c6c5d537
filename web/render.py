"""A page from its template, with what every page shows (who is signed in, the navigation, the
CSRF token its forms carry), and never cached: pages hold personal data."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from activities.registry.accounts import StaffRole
from web.session import Signed, set_sign_in_cookie
from web.state import Web

NAVIGATION: dict[StaffRole, tuple[tuple[str, str], ...]] = {
    StaffRole.REFERENT: (("/ma-journee", "Ma journée"), ("/portefeuille", "Mon portefeuille"), ("/dossiers/nouveau", "Ouvrir un dossier"),
                         ("/annuaire", "Annuaire")),
    StaffRole.COORDINATOR: (("/ma-journee", "Journée de la structure"), ("/portefeuille", "Portefeuille"),
                            ("/dossiers/nouveau", "Ouvrir un dossier"), ("/annuaire", "Annuaire"), ("/rapport", "Rapport financeurs"),
                            ("/fidelite", "Fidélité"), ("/journal-des-acces", "Journal des accès")),
    StaffRole.ADMIN: (("/comptes", "Comptes"), ("/annuaire", "Annuaire")),
}  # fmt: skip


def page(request: Request, template: str, signed: Signed | None = None, status: int = 200, **context: Any) -> HTMLResponse:
    web: Web = request.app.state.web
    member = signed.member if signed else None
    csrf = context.pop("csrf", signed.csrf if signed else "")  # a party's pages pass their session's own
    html = web.templates.get_template(template).render(
        request=request, member=member, csrf=csrf, path=request.url.path,
        navigation=NAVIGATION.get(member.role, ()) if member else (), **context)  # fmt: skip
    return HTMLResponse(html, status_code=status)


def sign_in_page(request: Request, template: str, cookie_path: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page whose form signs someone in: before any session exists, its form carries a fresh
    token that must come back equal to a cookie set beside it (double submit)."""
    token = secrets.token_urlsafe(24)
    rendered = page(request, template, None, status=status, token=token, **context)
    set_sign_in_cookie(rendered, request.app.state.web, token, path=cookie_path)
    return rendered
