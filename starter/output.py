"""What the CLI prints: tables for people, JSON for scripts (`--json` on every data command)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from workflows.case.model import Alert, AlertKind, CaseState, StepAcknowledgement
from workflows.wording import PHASE_LABELS, case_summary, french_date

if TYPE_CHECKING:
    from workflows.case.events import JournalEntry

console = Console()


def _json_value(value: Any) -> Any:
    """Dates as ISO 8601 (what scripts parse), models as their JSON, anything else as text."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else str(value)


def emit_json(data: BaseModel | Sequence[BaseModel] | dict[str, Any]) -> None:
    if isinstance(data, BaseModel):
        print(data.model_dump_json(indent=2))
    elif isinstance(data, dict):
        print(json.dumps(data, indent=2, default=_json_value))
    else:
        print(json.dumps([item.model_dump(mode="json") for item in data], indent=2))


def when(moment: datetime | None) -> str:
    return "—" if moment is None else f"{french_date(moment.date())} {moment:%H:%M} UTC"


def summary_line(state: CaseState | StepAcknowledgement) -> str:
    return f"case {state.case_id}: {case_summary(state)}"


def status_table(state: CaseState) -> Table:
    table = Table(title=f"Case {state.case_id}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    rows = {
        "phase": f"{PHASE_LABELS[state.phase]} (since {when(state.phase_since)})",
        "structure": state.structure_id,
        "référent": state.referent_id or "— (assign one: ea assign)",
        "situation": state.situation or "—",
        "asked by": state.asked_by or "not recorded",
        "prescription": _prescription(state) + (f" · derogation ({state.derogation.authorised_by}): {state.derogation.reason}"
                                                if state.derogation else ""),
        "employer": state.employer_id or "—",
        "signatures": ", ".join(f"{party} {day.isoformat()}" for party, day in state.signatures.items()) or "—",
        "convention": _convention(state),
        "support": state.intensity or "—",
        "next review": when(state.review.next_due) + (" · OVERDUE" if state.review.overdue else ""),
        "reviews held": str(state.review.held),
        "contacts": f"{state.contacts}, last {state.last_contact_on.isoformat()}" if state.last_contact_on else "none",
        "open requests": ", ".join(_open_requests(state)) or "none",
        "opened": when(state.opened_at),
        "runs": str(state.runs),
    }
    if state.closure is not None:
        rows["closed"] = f"{when(state.closure.at)} · {state.closure.reason}"
    rows["alerts"] = "\n".join(alert_line(alert) for alert in current_alerts(state)) or "none"
    for label, value in rows.items():
        table.add_row(label, str(value))
    return table


ALERTS_SHOWN = 10


def current_alerts(state: CaseState) -> list[Alert]:
    """What a coordinator must still see: the alerts of the current phase, and every document that
    could not be written (nothing resolves those but adding what they name), the latest ones."""
    return [a for a in state.alerts if a.at >= state.phase_since or a.kind is AlertKind.DOCUMENT_FAILED][-ALERTS_SHOWN:]


def alert_line(alert: Alert) -> str:
    if alert.kind is AlertKind.DOCUMENT_FAILED:
        return f"{when(alert.at)} · document {alert.template} not written: {alert.reason or 'see the worker log'}"
    return f"{when(alert.at)} · {alert.kind.value.replace('_', ' ')}" + (f" {alert.request_id}" if alert.request_id else "")


def history_table(case_id: str, entries: Sequence[JournalEntry]) -> Table:
    """The case's journal: every event, who acted, the phase it left and reached, and its details."""
    from workflows.case.events import stored_detail  # the case core only for this table (starter/lazy.py)
    from workflows.case.steps import VERBS

    table = Table(title=f"Case {case_id}: history", title_justify="left")
    for column in ("when", "who", "what", "phase", "details"):
        table.add_column(column)
    for entry in entries:
        phase = str(entry.phase_after) if entry.phase_before is entry.phase_after else f"{entry.phase_before} → {entry.phase_after}"
        details = ", ".join(f"{name} {value}" for name, value in stored_detail(entry.event).items() if value not in (None, False))
        table.add_row(when(entry.at), str(entry.actor or "—"), VERBS.get(entry.kind, entry.kind.replace("_", " ")), phase, details)
    return table


def _convention(state: CaseState) -> str:
    """Which version is in force, and the amendments still awaiting signatures."""
    if not state.convention_version:
        return "not in force yet (signatures awaited)"
    waiting = [f"amendment {a.number} awaits {', '.join(a.unsigned)} (ea sign-amendment)" for a in state.amendments if a.unsigned]
    return "; ".join([f"version {state.convention_version} in force", *waiting])


def _prescription(state: CaseState) -> str:
    prescription = state.prescription
    if prescription is None:
        return "—"
    if prescription.route == "cdaph":
        return f"CDAPH decision {prescription.decision_reference} of {prescription.decision_date.isoformat()}"
    return f"{prescription.prescriber} {prescription.prescriber_reference} of {prescription.prescription_date.isoformat()}"


def _open_requests(state: CaseState) -> list[str]:
    return [
        f"{r.request_id} {r.kind} ({r.origin}) due {when(r.deadline)}" + (" · ESCALATED" if r.escalated else "")
        for r in state.requests
        if r.status == "open"
    ]
