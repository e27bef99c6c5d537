"""The fidelity self-assessment in the staff application: coordinators only, their own structure;
the page shows each item's score and rule, and opens the printable document `ea report fidelity --html` writes."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from activities.documents.reporting import produce_fidelity
from activities.registry.accounts import StaffRole
from activities.registry.fidelity import FidelityReport
from web.render import page
from web.session import Signed, requires
from web.state import Web
from workflows.contracts import Period

router = APIRouter()
COORDINATOR = requires(StaffRole.COORDINATOR)
TEMPLATE = "fidelity.html"


@router.get("/fidelite")
def fidelity(request: Request, du: date | None = None, au: date | None = None, signed: Signed = Depends(COORDINATOR)) -> Response:
    """The form, and once a period is chosen the structure's self-assessment for it."""
    if du is None or au is None:
        today = request.app.state.web.now().date()
        return page(request, TEMPLATE, signed, start=du or date(today.year, 1 if today.month <= 6 else 7, 1), end=au or today, report=None)
    assessed = _assess(request, signed, du, au)
    return assessed if isinstance(assessed, Response) else page(request, TEMPLATE, signed, start=du, end=au, report=assessed[0])


@router.get("/fidelite/document")
def fidelity_document(request: Request, du: date, au: date, signed: Signed = Depends(COORDINATOR)) -> Response:
    """The printable document, with a chart per item over the months."""
    assessed = _assess(request, signed, du, au)
    return assessed if isinstance(assessed, Response) else HTMLResponse(assessed[1], headers={"X-EA-Document": "fidelity"})


def _assess(request: Request, signed: Signed, du: date, au: date) -> tuple[FidelityReport, str] | Response:
    """The coordinator's structure assessed over the period, or the form again when the period runs backwards."""
    web: Web = request.app.state.web
    try:
        period = Period(start=du, end=au)
    except ValidationError:
        return page(request, TEMPLATE, signed, status=422, start=du, end=au, report=None, error="La période se termine avant de commencer.")
    return produce_fidelity(web.registry, period, signed.member.structure_id)
