"""The custom search attributes operators filter cases by, in the Temporal UI and CLI.

Never personal data: search attributes are stored unencrypted in the visibility store.
"""

from __future__ import annotations

from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

from workflows.case.model import CaseState

PHASE = SearchAttributeKey.for_keyword("EaPhase")
REFERENT = SearchAttributeKey.for_keyword("EaReferent")
STRUCTURE = SearchAttributeKey.for_keyword("EaStructure")
SITUATION = SearchAttributeKey.for_keyword("EaSituation")
ROUTE = SearchAttributeKey.for_keyword("EaRoute")
NEXT_REVIEW_AT = SearchAttributeKey.for_datetime("EaNextReviewAt")
OPEN_REQUESTS = SearchAttributeKey.for_int("EaOpenRequests")
OVERDUE = SearchAttributeKey.for_bool("EaOverdue")

ALL: tuple[SearchAttributeKey, ...] = (
    PHASE,
    REFERENT,
    STRUCTURE,
    SITUATION,
    ROUTE,
    NEXT_REVIEW_AT,
    OPEN_REQUESTS,
    OVERDUE,
)

_DEV_SERVER_TYPES = {"KEYWORD": "Keyword", "DATETIME": "Datetime", "INT": "Int", "BOOL": "Bool"}


def dev_server_flags() -> list[str]:
    """`--search-attribute Name=Type` flags that register ours on `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_DEV_SERVER_TYPES[key.indexed_value_type.name]}"]
    return flags


def case_values(state: CaseState) -> dict[SearchAttributeKey, Any]:
    """What a case shows operators; None means the case has no such value (yet)."""
    return {
        PHASE: state.phase.value,
        REFERENT: state.referent_id,
        STRUCTURE: state.structure_id,
        SITUATION: state.situation.value if state.situation else None,
        ROUTE: state.prescription.route if state.prescription else None,
        NEXT_REVIEW_AT: state.review.next_due,
        OPEN_REQUESTS: state.open_requests,
        OVERDUE: state.overdue,
    }


def updates(values: dict[SearchAttributeKey, Any]) -> list[SearchAttributeUpdate]:
    """Set what a case has and unset what it no longer has, so nothing stale stays searchable."""
    return [key.value_unset() if value is None else key.value_set(value) for key, value in values.items()]
