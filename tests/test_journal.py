"""The journal activity writes each event exactly once, however often Temporal retries it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from temporalio.testing import ActivityEnvironment

from tests.harness import registry_at
from workflows.case.events import JournalBatch, JournalEntry
from workflows.case.model import Actor, ActorRole, CaseSnapshot, Phase


def entry(seq: int) -> JournalEntry:
    """The person gives consent (again and again: the journal does not judge, it records)."""
    return JournalEntry(
        case_id="C-journal",
        seq=seq,
        at=datetime(2027, 1, 4, tzinfo=timezone.utc),
        kind="give_consent",
        phase_before=Phase.CONSENT,
        phase_after=Phase.PRESCRIPTION,
        actor=Actor(role=ActorRole.COORDINATOR, id="coord-1"),
        detail={"given_on": "2027-01-04", "by_legal_representative": False},
        snapshot=CaseSnapshot(phase=Phase.PRESCRIPTION, structure_id="S1", situation=None, route=None,
                              referent_id=None, employer_id=None, next_review_due=None, open_requests=0,
                              overdue=False),  # fmt: skip
    )


def test_the_same_batch_twice_is_written_once(tmp_path: Path) -> None:
    registry = registry_at(tmp_path)
    activity = ActivityEnvironment()
    batch = JournalBatch(entries=[entry(1), entry(2)])

    assert activity.run(registry.append_to_journal, batch) == 2
    assert activity.run(registry.append_to_journal, batch) == 0
    assert activity.run(registry.append_to_journal, JournalBatch(entries=[entry(2), entry(3)])) == 1

    assert [e.seq for e in registry.journal("C-journal")] == [1, 2, 3]
