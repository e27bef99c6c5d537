"""A page from its template, with what every page shows (who is signed in, the navigation, the
CSRF token its forms carry), and never cached: pages hold personal data."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from activities.registry.accounts import StaffRole
from web.session import Signed
from web.state import Web

NAVIGATION: dict[StaffRole, tuple[tuple[str, str], ...]] = {
    StaffRole.REFERENT: (("/ma-journee", "Ma journée"), ("/portefeuille", "Mon portefeuille"), ("/dossiers/nouveau", "Ouvrir un dossier"),
                         ("/annuaire", "Annuaire")),
    StaffRole.COORDINATOR: (("/ma-journee", "Journée de la structure"), ("/portefeuille", "Portefeuille"),
                            ("/dossiers/nouveau", "Ouvrir un dossier"), ("/annuaire", "Annuaire"), ("/rapport", "Rapport financeurs"),
                            ("/journal-des-acces", "Journal des accès")),
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
