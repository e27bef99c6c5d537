"""Registry activities: the audit journal and everything projected from it, written exactly once.

Temporal retries an activity whose worker died after the commit, and a replayed workflow asks
again for what it asked before; the unique (case_id, seq) key of the journal makes both
harmless, and an event is projected onto the other tables, and the messages it calls for queued
in the outbox, only when its journal row is new, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, Row, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.notifications.outbox import enqueue
from activities.registry import caseload
from activities.registry.database import DIALECT_INSERTS
from activities.registry.migrate import migrate
from activities.registry.projection import project
from activities.registry.schema import JournalRow
from workflows.case.events import JournalBatch, JournalEntry, private_detail, stored_detail, upcast
from workflows.case.model import Actor
from workflows.contracts import Caseload, SeatRequest


def unavailable(error: DBAPIError) -> ApplicationError:
    """Retryable: Temporal tries again until the database is back. The message names the cause
    only, never the statement's values."""
    return ApplicationError(f"registry unavailable: {error.orig}", type="RegistryUnavailable")


class Registry:
    """The activities that touch the registry database, bound to one engine."""

    def __init__(self, engine: Engine, capacity: int = caseload.DEFAULT_CAPACITY) -> None:
        self.engine = engine
        self.capacity = capacity
        table = JournalRow.__table__
        self._insert_new = (DIALECT_INSERTS[engine.dialect.name](table).on_conflict_do_nothing(index_elements=["case_id", "seq"])
                            .returning(table.c.case_id, table.c.seq))  # fmt: skip
        """Built once: a journal write runs it for its rows and gets back the keys that were new."""

    def migrate(self) -> None:
        migrate(self.engine)

    @activity.defn
    def append_to_journal(self, batch: JournalBatch) -> int:
        """Write and project the entries not written yet; returns how many were new."""
        written = 0
        try:
            with Session(self.engine) as session, session.begin():
                new = self._write(session, batch.entries)
                for entry in batch.entries:
                    if (entry.case_id, entry.seq) in new:
                        new.discard((entry.case_id, entry.seq))
                        enqueue(session, project(session, entry), entry.seq, entry.at, entry.event)
                        written += 1
        except DBAPIError as error:
            raise unavailable(error) from None
        return written

    @activity.defn
    def reserve_referent_seat(self, request: SeatRequest) -> Caseload:
        """A place in the référent's caseload for the case; refused (not retried) when it is full."""
        try:
            return caseload.reserve(self.engine, request, self.capacity).caseload
        except caseload.CaseloadFull as full:
            raise ApplicationError(str(full), type="CaseloadFull", non_retryable=True) from None
        except DBAPIError as error:
            raise unavailable(error) from None

    def _write(self, session: Session, entries: list[JournalEntry]) -> set[tuple[str, int]]:
        """Insert the rows (SQLAlchemy batching the rows and their RETURNING, by Core: the ORM's bulk
        path adds nothing to a plain insert); returns the (case, seq) keys that were not there yet."""
        rows = [
            {"case_id": e.case_id, "seq": e.seq, "at": e.at, "kind": e.kind, "phase_before": e.phase_before.value,
             "phase_after": e.phase_after.value, "actor_role": e.actor.role.value if e.actor else None,
             "actor_id": e.actor.id if e.actor else None, "detail": stored_detail(e.event),
             "private_detail": private_detail(e.event)}
            for e in entries
        ]  # fmt: skip
        return {(case_id, seq) for case_id, seq in session.connection().execute(self._insert_new, rows)}

    def journal(self, case_id: str) -> list[JournalEntry]:
        """A case's journal in order, for the CLI's history and for tests."""
        with Session(self.engine) as session:
            rows = session.scalars(select(JournalRow).where(JournalRow.case_id == case_id).order_by(JournalRow.at, JournalRow.seq))
            return [journal_entry(row) for row in rows]


def journal_entry(row: JournalRow | Row[Any]) -> JournalEntry:
    """A journal row as the typed entry it records, whatever version of the workflow wrote it."""
    actor = Actor(role=row.actor_role, id=row.actor_id) if row.actor_role else None  # type: ignore[arg-type]
    return JournalEntry(case_id=row.case_id, seq=row.seq, at=row.at, phase_before=row.phase_before, phase_after=row.phase_after,
                        actor=actor, event=upcast(row.kind, {**(row.detail or {}), **(row.private_detail or {})}),
                        snapshot=None)  # fmt: skip
