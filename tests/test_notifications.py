"""Notifications on a real SMTP server (aiosmtpd on loopback) and the real Temporal server: who
hears of what, exactly once, escalation, a server down, the digest Schedule, the calendar feed,
and no health information or birth date in any message."""

from __future__ import annotations

import os
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session
from temporalio.client import ScheduleHandle
from temporalio.testing import WorkflowEnvironment

from activities.notifications.calendar import issue_token, revoke_token
from activities.notifications.settings import MailSettings
from activities.registry.directory import EmployerEntry, ReferentEntry, StructureEntry, upsert
from activities.registry.journal import Registry
from activities.registry.schema import Case, JournalRow, Notification, SupportRequest
from starter.calendar_server import CalendarServer
from starter.devserver import free_port
from starter.operators import digest_schedule
from starter.scripted import TODAY
from tests.builders import SECONDS, eventually
from starter.mail_catcher import keep, stored
from tests.harness import registry_at, worker_process
from tests.notify_harness import FAST, Inbox, Notifying, notifying_worker, smtp_server
from workflows.case.model import Phase, Situation, Step, TrainingKind
from workflows.notifying import NotificationSenderWorkflow

pytestmark = pytest.mark.slow


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
async def notifying(env: WorkflowEnvironment, tmp_path: Path, smtp_port: int) -> AsyncIterator[Notifying]:
    registry = registry_at(tmp_path)
    async with notifying_worker(env, registry, MailSettings(port=smtp_port, **FAST)) as running:
        yield running
    registry.engine.dispose()


def outbox(registry: Registry, case_id: str) -> list[Notification]:
    with Session(registry.engine) as session:
        return list(session.scalars(select(Notification).where(Notification.case_id == case_id).order_by(Notification.id)))


def coordinated(registry: Registry, structure_id: str = "struct-75") -> None:
    upsert(registry.engine, StructureEntry(id=structure_id, name="Plateforme EA Paris", coordinator_name="Claire Coordination",
                                           coordinator_email="coordination@ea75.fr"))  # fmt: skip


async def overdue_review(notifying: Notifying) -> str:
    """A case in in-job support whose review came due and then overdue, within seconds."""
    cases = notifying.cases
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", settings=SECONDS)
    coordinated(notifying.registry)
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)

    async def overdue() -> bool:
        return (await cases.status(case_id)).review.overdue

    await eventually(overdue)
    return case_id


async def test_an_overdue_review_tells_the_referent_once_then_the_coordinator_past_the_delay(notifying: Notifying,
                                                                                          smtp_port: int) -> None:  # fmt: skip
    async with smtp_server(smtp_port) as inbox:
        case_id = await overdue_review(notifying)
        await notifying.send_now()
        to_referent = inbox.keyed(f"{case_id}.") and inbox.keyed(".referent-ref-1.review_overdue")
        assert len(to_referent) == 1 and to_referent[0]["To"].addresses[0].addr_spec == "ref-1@example.fr"
        assert "Revue périodique en retard" in str(to_referent[0]["Subject"])
        assert inbox.keyed("review_escalation") == [], "the référent has the escalation delay to act"

        async def escalated() -> bool:
            await notifying.send_now()
            return bool(inbox.keyed("review_escalation"))

        await eventually(escalated, seconds=15)
        for _ in range(2):  # later runs of the sender send nothing again
            await notifying.send_now()
        escalation = inbox.keyed(".coordinator-struct-75.review_escalation")
        assert len(escalation) == 1 and escalation[0]["To"].addresses[0].addr_spec == "coordination@ea75.fr"
        assert len(inbox.keyed(".referent-ref-1.review_overdue")) == 1
        assert len(inbox.keyed(".referent-ref-1.review_due")) == 1
        html = escalation[0].get_body(preferencelist=("html",))
        assert html is not None and f"dossier {case_id}" in html.get_content()
    sent = {(n.recipient, n.kind): n for n in outbox(notifying.registry, case_id) if n.status == "sent"}
    assert sent[("coordinator:struct-75", "review_escalation")].address == "coordination@ea75.fr"


async def test_an_escalation_is_not_sent_when_the_review_was_held_in_the_delay(notifying: Notifying, smtp_port: int) -> None:
    async with smtp_server(smtp_port) as inbox:
        case_id = await overdue_review(notifying)
        await notifying.send_now()
        await notifying.cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)

        async def cancelled() -> list[Notification]:
            await notifying.send_now()
            return [n for n in outbox(notifying.registry, case_id) if n.kind == "review_escalation" and n.status == "cancelled"]

        first = (await eventually(cancelled, seconds=15))[0]
        assert inbox.keyed(f".{first.seq}.coordinator-struct-75.review_escalation") == []


async def test_a_down_smtp_server_delays_but_loses_nothing(notifying: Notifying, smtp_port: int) -> None:
    cases = notifying.cases
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    upsert(notifying.registry.engine, EmployerEntry(id="emp-acme", name="Entreprise Acme", email="rh@acme.fr"))
    await cases.walk_to(case_id, Phase.PRESCRIPTION)
    request = await cases.request(case_id, "emp-acme", kind="workstation_adaptation")
    await eventually(lambda: _true(len(outbox(notifying.registry, case_id)) >= 2))
    down = await notifying.send_now()
    assert down.sent == 0 and down.retrying == 2
    waiting = outbox(notifying.registry, case_id)
    assert {n.status for n in waiting} == {"pending"} and all(n.attempts == 1 and n.last_error for n in waiting)

    async with smtp_server(smtp_port) as inbox:

        async def delivered() -> bool:
            await notifying.send_now()
            return {n.status for n in outbox(notifying.registry, case_id)} == {"sent"}

        await eventually(delivered)
    acknowledgement = inbox.keyed(".employer-emp-acme.request_acknowledged")
    assert len(acknowledgement) == 1 and len(inbox.keyed(".referent-ref-1.request_received")) == 1
    text = acknowledgement[0].get_body(preferencelist=("plain",)).get_content()
    assert request.request_id in text and "adaptation du poste de travail" in text


async def test_a_message_that_cannot_be_delivered_becomes_an_alert_on_the_case(notifying: Notifying, smtp_port: int) -> None:
    """The person has no e-mail address, and the SMTP server stays down past the bound."""
    cases = notifying.cases
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    upsert(notifying.registry.engine, EmployerEntry(id="emp-acme", name="Entreprise Acme", email="rh@acme.fr"))
    await cases.walk_to(case_id, Phase.CONVENTION)  # the convention to sign: the person and the employer

    async def given_up() -> bool:
        await notifying.send_now()
        return {n.status for n in outbox(notifying.registry, case_id)} == {"failed"}

    await eventually(given_up, seconds=20)
    failed = {n.recipient.split(":")[0]: n for n in outbox(notifying.registry, case_id)}
    assert failed["beneficiary"].attempts == 1 and "no e-mail address" in (failed["beneficiary"].last_error or "")
    assert failed["employer"].attempts == FAST["max_attempts"]
    with Session(notifying.registry.engine) as session:
        alerts = list(session.scalars(select(JournalRow).where(JournalRow.case_id == case_id, JournalRow.kind == "notification_failed")))
    assert sorted(a.detail["recipient"].split(":")[0] for a in alerts) == ["beneficiary", "employer"]
    assert all(a.seq < 0 and a.actor_id == "ea-notifications" for a in alerts), "an act of the registry, beside the workflow's"


async def test_the_digest_schedule_sends_each_referent_one_digest_a_day(notifying: Notifying, smtp_port: int) -> None:
    cases, registry = notifying.cases, notifying.registry
    settings = SECONDS.model_copy(update={"review_grace": timedelta(hours=1)})
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", referent_id="ref-digest", settings=settings)
    upsert(registry.engine, ReferentEntry(id="ref-digest", name="Dora Digest", email="dora@ea75.fr", notify="digest"))
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)

    async def review_due_queued() -> bool:
        """The review is announced and its reminder is in the outbox (the journal is written a moment later)."""
        announced = (await cases.status(case_id)).review.announced
        return announced and any(n.recipient == "referent:ref-digest" for n in outbox(registry, case_id))

    await eventually(review_due_queued, seconds=30)
    schedule_id = f"digest-{notifying.task_queue}"
    async with smtp_server(smtp_port) as inbox:
        await notifying.send_now()
        assert inbox.keyed("ref-digest") == [], "a référent who prefers the digest gets no e-mail per reminder"
        assert "digest" in {n.status for n in outbox(registry, case_id) if n.recipient == "referent:ref-digest"}
        handle = await notifying.env.client.create_schedule(schedule_id, digest_schedule(notifying.task_queue))
        try:
            for run in (1, 2):  # the second run, the same day, finds the digest sent
                await handle.trigger()
                sent = await eventually(lambda run=run: _started(handle, run), seconds=30)
                assert await notifying.env.client.get_workflow_handle(sent).result() == (1 if run == 1 else 0)
        finally:
            await handle.delete()
        digest = inbox.keyed("ea.digest.ref-digest.")
        assert len(digest) == 1, "one digest a day, however often the schedule runs"
        assert digest[0]["To"].addresses[0].addr_spec == "dora@ea75.fr"
        assert f"dossier {case_id}" in digest[0].get_body(preferencelist=("plain",)).get_content()


async def _started(handle: ScheduleHandle, runs: int) -> str | None:
    """The workflow id of the schedule's `runs`-th run, once it started."""
    actions = (await handle.describe()).info.recent_actions
    return actions[runs - 1].action.workflow_id if len(actions) >= runs else None


async def _true(value: bool) -> bool:
    return value


async def test_the_calendar_feed_lists_exactly_the_referents_due_dates(notifying: Notifying) -> None:
    cases, engine = notifying.cases, notifying.registry.engine
    mine = [await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", referent_id="ref-cal") for _ in range(2)]
    other = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", referent_id="ref-other")
    for case_id in [*mine, other]:
        await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    request = await cases.request(mine[0], "emp-acme")
    await cases.request(other, "emp-acme")
    await eventually(lambda: _true(_request_rows(notifying.registry) == 2))
    token = issue_token(engine, "ref-cal")
    server = CalendarServer(engine, port=free_port())
    server.start_in_background()
    try:
        feed = Calendar.from_ical(urllib.request.urlopen(server.feed_url(token), timeout=10).read())
        with Session(engine) as session:
            reviews = {c.id: c.next_review_due for c in session.scalars(select(Case).where(Case.id.in_(mine)))}
            deadline = session.scalars(select(SupportRequest.deadline).where(SupportRequest.case_id == mine[0])).one()
        events = {str(e["summary"]): e.decoded("dtstart") for e in feed.walk("VEVENT")}
        expected = {f"Revue périodique · dossier {c}": due for c, due in reviews.items()}
        expected[f"Réponse due, demande {request.request_id} · dossier {mine[0]}"] = deadline
        assert {s: d.replace(microsecond=0) for s, d in events.items()} == {
            s: d.replace(tzinfo=d.tzinfo or events[s].tzinfo, microsecond=0) for s, d in expected.items()}  # fmt: skip
        assert "Camille" not in feed.to_ical().decode(), "no name unless the platform turns it on"
        revoke_token(engine, "ref-cal")
        with pytest.raises(urllib.error.HTTPError) as revoked:
            urllib.request.urlopen(server.feed_url(token), timeout=10)
        assert revoked.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def _request_rows(registry: Registry) -> int:
    with Session(registry.engine) as session:
        return len(list(session.scalars(select(SupportRequest))))


async def test_no_message_carries_health_text_or_the_birth_date(notifying: Notifying, smtp_port: int) -> None:
    """Free text where a job coach may write about health (a forced assignment's reason, a
    training's title), the situation and the birth date: none reaches an e-mail."""
    cases, registry = notifying.cases, notifying.registry
    health = "suivi psychiatrique hebdomadaire"
    async with smtp_server(smtp_port) as inbox:
        case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme", settings=SECONDS)
        coordinated(registry)
        upsert(registry.engine, EmployerEntry(id="emp-acme", name="Entreprise Acme", email="rh@acme.fr"))
        await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
        await cases.step(case_id, Step.ASSIGN_REFERENT, referent_id="ref-2", force_reason=health)
        await cases.step(case_id, Step.RECORD_TRAINING, kind=TrainingKind.TRAINING, title=f"atelier {health}", on=TODAY)
        request = await cases.request(case_id, "emp-acme")
        await cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=request.request_id, outcome="meeting_scheduled")

        async def everything_sent() -> bool:
            await notifying.send_now()
            kinds = {n.kind for n in outbox(registry, case_id) if n.status == "sent"}
            return {"review_overdue", "review_escalation", "request_acknowledged", "request_answered"} <= kinds

        await eventually(everything_sent, seconds=20)
    bodies = "\n".join(inbox.bodies())
    assert "Camille" in bodies, "the messages were read: they name the person to the staff"
    for secret in (health, "1990-05-17", "17 mai 1990", "17/05/1990", "RQTH", "handicap"):
        assert secret.lower() not in bodies.lower(), secret


@pytest.mark.fault
async def test_a_sender_killed_between_send_and_mark_sends_again_with_the_same_idempotency_key(
    env: WorkflowEnvironment, tmp_path: Path, smtp_port: int
) -> None:
    """The at-least-once window, shown: the SMTP server accepts a message, the sender's process is
    killed (SIGKILL) before it marks it sent; Temporal retries the activity on another worker,
    which sends it again once its lease expired — with the same Message-ID and idempotency key,
    so the catcher (like a deduplicating mail server) keeps one copy. Nothing lost."""
    registry = registry_at(tmp_path)
    address, database = env.client.service_client.config.target_host, str(registry.engine.url)
    sender_queue = f"sender-{free_port()}"
    settings = {"EA_SMTP_PORT": str(smtp_port), "EA_NOTIFY_LEASE": "1"}
    kept = tmp_path / "mail"
    processes: list[subprocess.Popen[bytes]] = []

    def crash_after_accepting(message: EmailMessage) -> None:
        keep(kept, message.as_bytes())
        if len(inbox.messages) == 1:
            os.killpg(processes[0].pid, signal.SIGKILL)  # the server has the message; the sender never hears 250

    async with notifying_worker(env, registry, MailSettings(port=smtp_port, **FAST)) as notifying:
        case_id = await notifying.cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
        upsert(registry.engine, EmployerEntry(id="emp-acme", name="Entreprise Acme", email="rh@acme.fr"))
        await notifying.cases.walk_to(case_id, Phase.PRESCRIPTION)
        await notifying.cases.request(case_id, "emp-acme")
        await eventually(lambda: _true(len(outbox(registry, case_id)) == 2))
    async with smtp_server(smtp_port, Inbox(on_data=crash_after_accepting)) as inbox:
        with worker_process(address, sender_queue, database, **settings) as first:
            processes.append(first)
            run = await env.client.start_workflow(NotificationSenderWorkflow.run, id=f"send-{sender_queue}", task_queue=sender_queue)
            await eventually(lambda: _true(first.poll() is not None), seconds=30)
        assert {n.status for n in outbox(registry, case_id)} == {"sending"}, "claimed, one accepted, none marked"
        with worker_process(address, sender_queue, database, **settings):
            summary = await run.result()  # the same activity, retried once the heartbeat timed out
    assert summary.sent == 2
    rows = outbox(registry, case_id)
    assert {n.status for n in rows} == {"sent"} and {n.attempts for n in rows} == {2}
    first_key = str(inbox.messages[0]["X-EA-Idempotency-Key"])
    copies = inbox.keyed(first_key)
    assert len(copies) == 2, "SMTP cannot exclude it: the accepted message was sent again"
    assert len({str(m["Message-ID"]) for m in copies}) == 1
    assert len(stored(kept)) == 2, "one file per message: the copy with the same Message-ID was not kept twice"
    registry.engine.dispose()
