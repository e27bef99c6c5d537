"""Acts of the registry itself, outside the case's workflow (an erasure, a retention warning, a
message that could not be delivered), journaled like the workflow's events.

The workflow owns the positive sequence (a reopened case goes on from it), so these take the
numbers below zero and never compete with it. Like the workflow's events, an act may call for
messages: they are queued in the same transaction.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from activities.notifications.outbox import enqueue
from activities.registry.schema import Case, JournalRow
from workflows.case.events import CaseFileViewed, IdentityErased, NotificationFailed, RetentionWarning, stored_detail
from workflows.case.model import Actor

RegistryAct = IdentityErased | RetentionWarning | NotificationFailed | CaseFileViewed


def record_act(session: Session, case: Case, event: RegistryAct, actor: Actor) -> int:
    """Journal the act on the case; returns its sequence number."""
    first = session.scalar(select(func.min(JournalRow.seq)).where(JournalRow.case_id == case.id)) or 0
    seq, now = min(first, 0) - 1, datetime.now(timezone.utc)
    session.add(JournalRow(case_id=case.id, seq=seq, at=now, kind=event.type, phase_before=case.phase, phase_after=case.phase,
                           actor_role=actor.role.value, actor_id=actor.id, detail=stored_detail(event)))  # fmt: skip
    enqueue(session, case, seq, now, event)
    return seq
