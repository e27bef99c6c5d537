"""How a case reads to people: phase labels, dates the French way, the one-line summary.

Pure and deterministic: the workflow uses it for the details shown in the Temporal UI, the CLI
and the documents for what they print.
"""

from __future__ import annotations

from datetime import date

from workflows.domain import CaseState, Phase

PHASE_LABELS: dict[Phase, str] = {
    Phase.CONSENT: "awaiting consent",
    Phase.PRESCRIPTION: "awaiting prescription",
    Phase.CONVENTION: "convention to sign",
    Phase.EVALUATION: "evaluation",
    Phase.PROJECT: "professional project",
    Phase.JOB_SEARCH: "job search",
    Phase.IN_JOB_SUPPORT: "in-job support",
    Phase.CLOSED: "closed",
}

_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french_date(day: date) -> str:
    """« 3 mars 2027 », « 1er mai 2027 »: the way a French letter writes a date."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {_MONTHS[day.month - 1]} {day.year}"


def case_summary(state: CaseState) -> str:
    """One line for the operator: phase, open requests, next review, overdue work."""
    parts = [PHASE_LABELS[state.phase]]
    if state.open_requests:
        plural = "s" if state.open_requests > 1 else ""
        parts.append(f"{state.open_requests} open request{plural}")
    if state.review.next_due is not None:
        parts.append(f"next review {french_date(state.review.next_due.date())}")
    if state.review.overdue:
        parts.append("review overdue")
    if state.closure is not None:
        parts.append(f"reason: {state.closure.reason}")
    return " · ".join(parts)
