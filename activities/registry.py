"""Registry activities: the append-only case journal, written exactly once per event.

Temporal retries an activity whose worker died after the commit, and a replayed workflow
asks again for what it asked before; the unique (case_id, seq) key makes both harmless.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Engine, Integer, String, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column
from temporalio import activity

from activities.database import Base
from workflows.domain import JOURNAL_ACTIVITY, JournalBatch, JournalEntry


class JournalRow(Base):
    __tablename__ = "journal"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_journal_case_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(40))
    phase_before: Mapped[str] = mapped_column(String(20))
    phase_after: Mapped[str] = mapped_column(String(20))
    detail: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


_DIALECT_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


class Registry:
    """The activities that touch the registry database, bound to one engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        Base.metadata.create_all(self.engine)

    @activity.defn(name=JOURNAL_ACTIVITY)
    def append_to_journal(self, batch: JournalBatch) -> int:
        """Write the entries not written yet; returns how many were new."""
        if not batch.entries:
            return 0
        rows = [entry.model_dump() for entry in batch.entries]
        insert = _DIALECT_INSERTS[self.engine.dialect.name](JournalRow)
        statement = insert.on_conflict_do_nothing(index_elements=["case_id", "seq"]).returning(JournalRow.seq)
        with Session(self.engine) as session, session.begin():
            return len(session.execute(statement, rows).all())

    def journal(self, case_id: str) -> list[JournalEntry]:
        """A case's journal in order, for the CLI's history and for tests."""
        with Session(self.engine) as session:
            rows = session.scalars(select(JournalRow).where(JournalRow.case_id == case_id).order_by(JournalRow.seq))
            return [JournalEntry.model_validate(row, from_attributes=True) for row in rows]
