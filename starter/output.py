"""What the CLI prints: tables for people, JSON for scripts (`--json` on every data command)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from workflows.case.model import CaseState, StepAcknowledgement
from workflows.wording import PHASE_LABELS, case_summary, french_date

console = Console()


def emit_json(data: BaseModel | Sequence[BaseModel] | dict[str, Any]) -> None:
    if isinstance(data, BaseModel):
        print(data.model_dump_json(indent=2))
    elif isinstance(data, dict):
        print(json.dumps(data, indent=2, default=str))
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
        "prescription": _prescription(state),
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
    for label, value in rows.items():
        table.add_row(label, str(value))
    return table


def history_table(state: CaseState) -> Table:
    """The case's timeline: transitions and alerts, in time order."""
    table = Table(title=f"Case {state.case_id}: history", title_justify="left")
    for column in ("when", "what", "phase"):
        table.add_column(column)
    lines = [(t.at, t.step.value, f"{t.from_phase} → {t.to_phase}") for t in state.transitions]
    lines += [
        (a.at, a.kind.value + (f" {a.request_id}" if a.request_id else ""), str(a.phase)) for a in state.alerts
    ]
    for at, what, phase in sorted(lines, key=lambda line: line[0]):
        table.add_row(when(at), what, phase)
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
