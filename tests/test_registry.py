"""The registry on SQLite and PostgreSQL: every event projected once, duplicates caught,
migrations that keep rows, the queries the CLI and reports need, and no PII in Temporal."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session
from temporalio.testing import ActivityEnvironment

from activities.registry import schema
from activities.registry.database import make_engine
from activities.registry.migrate import migrate
from activities.registry.people import BeneficiaryIdentity, DuplicateBeneficiary, register_beneficiary
from activities.registry.journal import Registry
from activities.registry.queries import CaseFilter, requests_past_deadline, reviews_due
from starter.cases import workflow_id
from tests.builders import SECONDS, eventually
from starter.scripted import TODAY, Cases
from tests.cli_runner import Ea
from tests.conftest import Backend
from tests.harness import TEST_KEYS, history_text, registry_at, running_worker
from workflows.case.events import JournalBatch
from workflows.case.model import Phase, ResponseOutcome, Situation, Step

def identity(structure_id: str = "struct-75", **changes: object) -> BeneficiaryIdentity:
    fields = {"structure_id": structure_id, "first_name": "Élodie", "last_name": "Dupont-Marchal",
              "birth_date": date(1994, 7, 14), "email": "elodie.dupont@example.fr", "phone": "06 12 34 56 78",
              "address": "12 rue des Lilas, 33000 Bordeaux", "situation": "rqth"} | changes  # fmt: skip
    return BeneficiaryIdentity(**fields)


def count(backend: Backend, table: type, case_id: str) -> int:
    with Session(backend.registry.engine) as session:
        return session.scalar(select(func.count()).select_from(table).where(table.case_id == case_id)) or 0


async def finished_journey(cases: Cases, beneficiary_id: str | None = None) -> str:
    """A job seeker hired, an employer request answered, a review held, the job lost, then closed."""
    case_id = await cases.open(Situation.RQTH, beneficiary_id=beneficiary_id)
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    ack = await cases.request(case_id, "emp-hiring", kind="workstation_adaptation")
    await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=ack.request_id, outcome=ResponseOutcome.SOLUTION_PROPOSED)
    await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)
    await cases.step(case_id, Step.RECORD_JOB_LOSS, ended_on=TODAY)
    await cases.step(case_id, Step.CLOSE, reason="persons_choice")
    await cases.final_state(case_id)
    return case_id


async def test_every_event_of_a_journey_lands_in_its_table(backend: Backend) -> None:
    beneficiary_id = register_beneficiary(backend.registry.engine, identity(last_name=f"Journey {backend.name}"))
    case_id = await finished_journey(backend.cases, beneficiary_id)

    with Session(backend.registry.engine) as session:
        case = session.get(schema.Case, case_id)
        assert case is not None and case.beneficiary_id == beneficiary_id
        assert (case.phase, case.closure_reason, case.route, case.employer_id) == ("closed", "persons_choice", "cdaph", None)
        employment = session.scalars(select(schema.Employment).where(schema.Employment.case_id == case_id)).one()
        assert (employment.employer_id, employment.contract_type, employment.ended_on) == ("emp-hiring", "cdi", TODAY)
        request = session.scalars(select(schema.SupportRequest).where(schema.SupportRequest.case_id == case_id)).one()
        assert (request.kind, request.status, request.outcome) == ("workstation_adaptation", "answered", "solution_proposed")
        journal = session.scalars(select(schema.JournalRow).where(schema.JournalRow.case_id == case_id)).all()
        assert [row.seq for row in sorted(journal, key=lambda r: r.seq)] == list(range(1, case.last_seq + 1))
    for table, expected in [(schema.Consent, 1), (schema.Prescription, 1), (schema.Signature, 2),
                            (schema.Amendment, 1), (schema.Evaluation, 1), (schema.ProfessionalProject, 1),
                            (schema.Review, 1)]:  # fmt: skip
        assert count(backend, table, case_id) == expected, table.__tablename__


async def test_a_retried_batch_is_written_and_projected_once(backend: Backend) -> None:
    case_id = await backend.cases.open(Situation.RQTH)
    await backend.cases.walk_to(case_id, Phase.CONVENTION)
    await backend.cases.step(case_id, Step.CLOSE, reason="other")
    await backend.cases.final_state(case_id)
    entries = backend.registry.journal(case_id)
    assert [e.kind for e in entries][:3] == ["case_opened", "give_consent", "record_prescription"]

    # Temporal retrying the activity after a commit it never heard of: the same entries again.
    replayed = JournalBatch(entries=[entry.model_copy(update={"snapshot": None}) for entry in entries])
    assert ActivityEnvironment().run(backend.registry.append_to_journal, replayed) == 0
    assert count(backend, schema.Consent, case_id) == 1
    assert count(backend, schema.Prescription, case_id) == 1
    assert len(backend.registry.journal(case_id)) == len(entries)


def test_a_duplicate_beneficiary_is_reported_not_stored(backend: Backend) -> None:
    engine = backend.registry.engine
    first = register_beneficiary(engine, identity(structure_id="struct-dup"))
    with pytest.raises(DuplicateBeneficiary, match=f"already registered as {first}"):
        register_beneficiary(engine, identity(structure_id="struct-dup", first_name="ELODIE ", last_name="dupont marchal"))
    other_structure = register_beneficiary(engine, identity(structure_id="struct-other"))
    namesake = register_beneficiary(engine, identity(structure_id="struct-dup", birth_date=date(1994, 7, 15)))
    assert len({first, other_structure, namesake}) == 3


def test_migrations_keep_every_row(empty_database: str) -> None:
    engine = make_engine(empty_database)
    migrate(engine, "0001")
    rows = [{"case_id": "C-old", "seq": seq, "at": datetime(2026, 11, 2, tzinfo=timezone.utc), "kind": "give_consent",
             "phase_before": "consent", "phase_after": "prescription", "detail": {}} for seq in (1, 2, 3)]  # fmt: skip
    with engine.begin() as connection:
        connection.execute(schema.JournalRow.__table__.insert(), rows)  # columns of 0001 only

    migrate(engine)

    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        assert {"cases", "beneficiaries", "employer_requests", "reviews"} <= tables
        kept = connection.execute(text("SELECT seq, kind, actor_role FROM journal ORDER BY seq")).all()
        assert kept == [(1, "give_consent", None), (2, "give_consent", None), (3, "give_consent", None)]
    migrate(engine)  # again: nothing to do, nothing lost
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM journal")).scalar() == 3
    engine.dispose()


def test_a_journal_made_before_migrations_is_adopted(empty_database: str) -> None:
    engine = make_engine(empty_database)
    migrate(engine, "0001")
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))  # as the first release left it
        connection.execute(text("INSERT INTO journal (case_id, seq, at, kind, phase_before, phase_after, detail) "
                                "VALUES ('C-first', 1, '2026-11-24 07:00:00', 'case_opened', 'consent', 'consent', '{}')"))  # fmt: skip
    migrate(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0009"
        assert connection.execute(text("SELECT count(*) FROM journal")).scalar() == 1
    engine.dispose()


async def test_what_is_due_lists_reviews_and_late_requests(backend: Backend) -> None:
    structure = f"struct-q-{backend.name}"
    cases = backend.cases
    seeker = await cases.open(Situation.RQTH, structure_id=structure, referent_id="ref-a")
    await cases.walk_to(seeker, Phase.JOB_SEARCH)
    employees = [await cases.open(Situation.EMPLOYEE, employer_id="emp-q", structure_id=structure, referent_id="ref-b",
                                  settings=SECONDS.model_copy(update={"reminder_after": timedelta(days=9)}))
                 for _ in range(3)]  # fmt: skip
    for case_id in employees:
        await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    await cases.request(employees[0], "emp-q", kind="difficulty_alert")

    async def escalations_recorded() -> bool:
        with Session(backend.registry.engine) as session:
            late = [r for r, _case in requests_past_deadline(session, datetime.now(timezone.utc)) if r.case_id == employees[0]]
            reviews = session.scalars(select(schema.Review).where(schema.Review.case_id.in_(employees),
                                                                  schema.Review.overdue.is_(True))).all()  # fmt: skip
            return bool(late and late[0].escalated) and len(reviews) == 3

    await eventually(escalations_recorded, seconds=15)
    with Session(backend.registry.engine) as session:
        due = reviews_due(session, datetime.now(timezone.utc), CaseFilter(structure_id=structure))
        assert sorted(c.id for c in due) == sorted(employees) and all(c.overdue for c in due)
        late = requests_past_deadline(session, datetime.now(timezone.utc), CaseFilter(referent_id="ref-a"))
        assert employees[0] not in [r.case_id for r, _case in late], "another référent's request"

    ea = Ea(backend.cases.client.service_client.config.target_host, backend.cases.task_queue, backend.url)
    listed = await ea.json("due", "--structure", structure)
    assert sorted(r["case"] for r in listed["reviews"]) == sorted(employees)
    assert [(r["case"], r["kind"], r["escalated"]) for r in listed["requests"]] == [(employees[0], "difficulty_alert", True)]
    assert datetime.fromisoformat(listed["requests"][0]["deadline"]) < datetime.now(timezone.utc), "ISO 8601, past"
    table = await ea.ok("due", "--referent", "ref-b")
    assert "3 review(s) due" in table and "1 request(s) past their deadline" in table and employees[0] in table


async def test_no_identity_field_reaches_temporal(backend: Backend) -> None:
    person = identity(structure_id=f"struct-pii-{backend.name}", first_name="Zéphirine", last_name="Quenouillère",
                      email="zephirine.q@example.org", phone="+33 7 98 76 54 32", address="3 impasse Vauban, Lille",
                      rqth_reference="RQTH-59-778899")  # fmt: skip
    beneficiary_id = register_beneficiary(backend.registry.engine, person)
    case_id = await finished_journey(backend.cases, beneficiary_id)

    history = await backend.cases.client.get_workflow_handle(workflow_id(case_id)).fetch_history()
    seen = history_text(history, decrypt=TEST_KEYS)
    assert "give_consent" in seen and case_id in seen, "payloads are decoded, or this test proves nothing"
    assert beneficiary_id in seen, "the opaque id is what links the case to the person"
    for value in ("Zéphirine", "Zephirine", "Quenouillère", "Quenouillere", "zephirine.q@example.org", "98 76 54 32",
                  "impasse Vauban", "RQTH-59-778899"):  # fmt: skip
        assert value.casefold() not in seen.casefold(), value


async def test_a_registry_that_is_down_delays_the_journal_and_loses_nothing(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "not-mounted-yet"
    registry = Registry(make_engine(f"sqlite:///{missing / 'registry.db'}"))  # cannot even be opened
    async with running_worker(env, registry) as queue:
        # The coordinator's side of the registry (the person, the structure) is another database here.
        cases = Cases(env.client, queue, registry_at(tmp_path).engine)
        case_id = await cases.open(Situation.ESAT)
        await cases.step(case_id, Step.GIVE_CONSENT, given_on=TODAY)
        handle = env.client.get_workflow_handle(workflow_id(case_id))

        async def retrying() -> bool:
            pending = (await handle.describe()).raw_description.pending_activities
            return bool(pending) and pending[0].attempt >= 2

        await eventually(retrying)
        failure = (await handle.describe()).raw_description.pending_activities[0].last_failure.message
        assert "unable to open database file" in failure
        assert (await cases.status(case_id)).phase is Phase.PRESCRIPTION, "the case goes on meanwhile"

        missing.mkdir()
        registry.migrate()

        async def caught_up() -> bool:
            return [e.seq for e in registry.journal(case_id)] == [1, 2]

        await eventually(caught_up, seconds=20)
