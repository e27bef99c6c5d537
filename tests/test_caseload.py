"""Référents' caseloads: a capacity (20 by default), refused beyond it unless forced with a reason,
counted atomically even when two coordinators assign the last place at the same moment."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

from sqlalchemy import text
from sqlalchemy.orm import Session

from activities.registry.caseload import referent_loads
from activities.registry.database import make_engine
from activities.registry.directory import ReferentEntry, upsert
from activities.registry.migrate import migrate
from activities.registry.journal import Registry
from activities.registry.schema import Seat
from starter.cases import StepRefused, case_status
from tests.builders import eventually
from starter.scripted import COORDINATOR, Cases
from tests.cli_runner import Ea
from tests.conftest import Backend
from workflows.case.model import AssignReferent, Situation, Step


def referent_with_capacity(cases: Cases, capacity: int) -> str:
    referent_id = f"ref-cap-{uuid.uuid4().hex[:6]}"
    upsert(cases.registry, ReferentEntry(id=referent_id, name=f"Référent {referent_id}", capacity=capacity))
    return referent_id


def load(registry: Registry, referent_id: str):  # type: ignore[no-untyped-def]
    with Session(registry.engine) as session:
        return next(line for line in referent_loads(session, 20, datetime.now(timezone.utc)) if line.referent_id == referent_id)


async def test_beyond_capacity_an_assignment_is_refused_unless_forced_with_a_reason(cases: Cases, registry: Registry) -> None:
    referent_id = referent_with_capacity(cases, 2)
    followed = [await cases.open(Situation.RQTH, referent_id=None) for _ in range(3)]
    for case_id in followed[:2]:
        await cases.step(case_id, Step.ASSIGN_REFERENT, referent_id=referent_id)
    try:
        await cases.step(followed[2], Step.ASSIGN_REFERENT, referent_id=referent_id)
        raise AssertionError("a third person for a capacity of two")
    except StepRefused as refused:
        assert f"référent {referent_id} already follows 2 active people (capacity 2)" in str(refused)
    assert (await cases.status(followed[2])).referent_id is None, "a refused assignment changes nothing"

    forced = await cases.step(followed[2], Step.ASSIGN_REFERENT, referent_id=referent_id, force_reason="covers a colleague on leave")
    assert forced.referent_id == referent_id

    async def journaled():  # type: ignore[no-untyped-def]
        return next((e for e in registry.journal(followed[2]) if e.kind == "assign_referent"), None)

    entry = await eventually(journaled)
    assert entry.event.force_reason == "covers a colleague on leave" and entry.actor == COORDINATOR
    with Session(registry.engine) as session:
        seat = session.get(Seat, followed[2])
        assert seat is not None and seat.forced_reason == "covers a colleague on leave" and seat.forced_by == str(COORDINATOR)
    line = load(registry, referent_id)
    assert (line.active, line.capacity, line.forced, line.over_capacity) == (3, 2, 1, True)

    await cases.step(followed[0], Step.CLOSE, reason="goals_reached")

    async def freed() -> bool:
        return load(registry, referent_id).active == 2

    await eventually(freed)


async def test_two_assignments_of_the_last_place_at_once_give_it_once(backend: Backend) -> None:
    cases = backend.cases
    referent_id = referent_with_capacity(cases, 1)
    rivals = [await cases.open(Situation.ESAT, referent_id=None) for _ in range(2)]
    assignment = AssignReferent(referent_id=referent_id, actor=COORDINATOR)
    results = await asyncio.gather(*(cases.step(c, Step.ASSIGN_REFERENT, **assignment.model_dump(exclude={"actor"}))
                                     for c in rivals), return_exceptions=True)  # fmt: skip
    refused = [r for r in results if isinstance(r, StepRefused)]
    assert len(refused) == 1 and "capacity 1" in str(refused[0]), results
    referents = [(await case_status(cases.client, c)).referent_id for c in rivals]
    assert sorted(referents, key=str) == sorted([referent_id, None], key=str)
    assert load(backend.registry, referent_id).active == 1


async def test_the_cli_refuses_a_full_referent_at_opening_and_lists_loads(cli: Ea, cases: Cases) -> None:
    referent_id = referent_with_capacity(cases, 1)
    cases.known(structure_id="struct-cap")
    opening = ("open", "--structure", "struct-cap", "--birth-date", "1988-03-04", "--situation", "rqth", "--referent", referent_id)
    first = await cli.json(*opening)
    assert first["referent_id"] == referent_id
    refused = await cli(*opening)
    assert refused.exit_code == 4 and f"référent {referent_id} already follows 1 active people (capacity 1)" in refused.stderr
    forced = await cli.json(*opening, "--force-reason", "same employer as a person they follow")
    assert forced["referent_id"] == referent_id

    async def listed() -> dict | None:
        loads = (await cli.json("referent", "list"))["referents"]
        mine = next((line for line in loads if line["referent_id"] == referent_id), None)
        return mine if mine and mine["active"] == 2 else None

    line = await eventually(listed)
    assert (line["capacity"], line["forced"], line["over_capacity"]) == (1, 1, True)
    assert referent_id in await cli.ok("referent", "list")
    assert (await cli("directory", "referent", referent_id, "--name", "X", "--capacity", "0")).exit_code == 2


def test_migration_gives_every_open_case_its_seat_and_its_birth_year(empty_database: str) -> None:
    engine = make_engine(empty_database)
    migrate(engine, "0004")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO cases (id, structure_id, phase, referent_id, opened_at, updated_at, open_requests, overdue, last_seq) "
                                "VALUES ('C-old', 's', 'evaluation', 'ref-old', '2026-01-05 10:00:00', '2026-02-01 10:00:00', 0, false, 3)"))
        connection.execute(text("INSERT INTO journal (case_id, seq, at, kind, phase_before, phase_after, detail) VALUES "
                                "('C-old', 1, '2026-01-05 10:00:00', 'case_opened', 'consent', 'consent', "
                                "'{\"birth_date\": \"1984-02-03\", \"referent_id\": \"ref-old\"}')"))  # fmt: skip
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT birth_year FROM cases WHERE id = 'C-old'")).scalar() == 1984
        assert connection.execute(text("SELECT referent_id FROM caseload_seats WHERE case_id = 'C-old'")).scalar() == "ref-old"
    engine.dispose()
