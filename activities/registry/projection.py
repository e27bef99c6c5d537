"""From journal entries to the registry's tables: one small function per kind of event.

Called only for an entry written for the first time, in the same transaction as the journal
row: an event is projected exactly once, however often Temporal retries the activity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from activities.registry import caseload, schema
from activities.registry.database import Base
from workflows.case import events
from workflows.case.events import JournalEntry
from workflows.case.model import CdaphDecision, ClosureReason, Objective, RequestOrigin


def project(session: Session, entry: JournalEntry) -> Row[Any] | None:
    """Project the entry; returns the case's row as the entry left it (what the outbox's rules
    read), None for a case the registry does not know."""
    handler = PROJECTORS.get(type(entry.event))
    if handler is not None:
        handler(session, entry, _common(entry))
    return _update_case(session, entry)


def _common(entry: JournalEntry) -> dict[str, Any]:
    return {"case_id": entry.case_id, "seq": entry.seq, "at": entry.at}


CASES = schema.Case.__table__
_PARTIES = (CASES.c.id, CASES.c.beneficiary_id, CASES.c.structure_id, CASES.c.referent_id, CASES.c.employer_id)
"""What the outbox's rules read of a case."""
_FROM_SNAPSHOT = ("structure_id", "phase", "situation", "route", "referent_id", "employer_id", "next_review_due", "open_requests",
                  "overdue", "intensity", "last_seq", "updated_at")  # fmt: skip
_READ_CASE = select(*_PARTIES).where(CASES.c.id == bindparam("case_id"))
_UPDATE_CASE = (update(CASES).where(CASES.c.id == bindparam("case_id"))
                .values({name: bindparam(f"new_{name}") for name in _FROM_SNAPSHOT}).returning(*_PARTIES))  # fmt: skip
"""Built once and run by Core, on every entry: loading the row into the ORM to change it, then
flushing it, cost more than the statement (`python -m bench.activities`, docs/PERFORMANCE.md)."""


def _update_case(session: Session, entry: JournalEntry) -> Row[Any] | None:
    connection = session.connection()
    snapshot = entry.snapshot
    if snapshot is None:
        return connection.execute(_READ_CASE, {"case_id": entry.case_id}).first()
    values = {"structure_id": snapshot.structure_id, "phase": snapshot.phase.value,
              "situation": snapshot.situation.value if snapshot.situation else None, "route": snapshot.route,
              "referent_id": snapshot.referent_id, "employer_id": snapshot.employer_id, "next_review_due": snapshot.next_review_due,
              "open_requests": snapshot.open_requests, "overdue": snapshot.overdue,
              "intensity": snapshot.intensity.value if snapshot.intensity else None, "last_seq": entry.seq, "updated_at": entry.at}  # fmt: skip
    updated = connection.execute(_UPDATE_CASE, {"case_id": entry.case_id, **{f"new_{k}": v for k, v in values.items()}}).first()
    if updated is not None:
        return updated
    opened = entry.event if isinstance(entry.event, events.CaseOpened) else None  # or a journal from its start
    created = insert(CASES).values(id=entry.case_id, opened_at=entry.at, beneficiary_id=opened.beneficiary_id if opened else None,
                                   birth_year=opened.birth_date.year if opened else None, **values)  # fmt: skip
    return connection.execute(created.returning(*_PARTIES)).first()


def _add(session: Session, table: type[Base], **values: Any) -> None:
    """A new row, inserted by Core at once: the ORM's unit of work cost more than the insert itself
    (a later query of the same transaction sees it, as it saw a flushed object)."""
    session.connection().execute(insert(table), values)


def _set(session: Session, table: Table, key: str | int, **values: Any) -> None:
    """Change the row with this id, by Core (as `_add`)."""
    session.connection().execute(update(table).where(table.c.id == key).values(**values))


Projector = Callable[[Session, JournalEntry, dict[str, Any]], None]


def _consent(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.ConsentGiven)
    _add(session, schema.Consent, **common, given_on=event.given_on, by_legal_representative=event.by_legal_representative)


def _opened(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.CaseOpened)
    if event.referent_id:
        caseload.place(session, entry.case_id, event.referent_id, entry.at)
    if event.employer_id:
        _add(session, schema.Employment, **common, employer_id=event.employer_id)  # the job held at opening


def _assigned(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    """Usually the seat taken when assigning is already there; this keeps the count true if not."""
    event = entry.event
    assert isinstance(event, events.ReferentAssigned)
    forced_by = str(entry.actor) if event.force_reason and entry.actor else None
    caseload.place(session, entry.case_id, event.referent_id, entry.at, event.force_reason, forced_by)


def _closure(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    caseload.release(session, entry.case_id)
    event = entry.event
    if isinstance(event, events.ConsentWithdrawn):
        _add(session, schema.Consent, **common, withdrawn_on=event.withdrawn_on)
    reason = event.reason if isinstance(event, events.CaseClosed) else ClosureReason.CONSENT_WITHDRAWN.value
    _set(session, CASES, entry.case_id, closed_at=entry.at, closure_reason=reason)
    session.execute(
        update(schema.SupportRequest)
        .where(schema.SupportRequest.case_id == entry.case_id, schema.SupportRequest.status == "open")
        .values(status="cancelled")
    )


def _reopen(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    _set(session, CASES, entry.case_id, closed_at=None, closure_reason=None)
    if entry.snapshot is not None and entry.snapshot.referent_id:
        caseload.place(session, entry.case_id, entry.snapshot.referent_id, entry.at)


def _prescription(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.PrescriptionRecorded)
    p = event.prescription
    if isinstance(p, CdaphDecision):
        _add(session, schema.Prescription, **common, route="cdaph", prescriber="cdaph", reference=p.decision_reference, dated=p.dated)
    else:
        _add(session, schema.Prescription, **common, route="spe", prescriber=p.prescriber.value, reference=p.prescriber_reference,
             dated=p.dated)  # fmt: skip
    _objectives(session, entry, event.objectives)


def _signature(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.ConventionSigned)
    _add(session, schema.Signature, **common, party=event.party.value, signed_on=event.signed_on)


def _evaluation(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.EvaluationSubmitted)
    findings = event.findings.model_dump(mode="json") if event.findings else {}
    _add(session, schema.Evaluation, **common, completed_on=event.completed_on, author=str(entry.actor) if entry.actor else None,
         **findings)  # fmt: skip


def _project(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.ProjectAgreed)
    content = event.content.model_dump(mode="json") if event.content else None
    _add(session, schema.ProfessionalProject, **common, agreed_on=event.agreed_on, content=content)
    _objectives(session, entry, event.objectives)


def _upsert(session: Session, table: type[Any], key: dict[str, Any], values: dict[str, Any]) -> Any:
    """The row of `table` with this key, created or updated: the case file's records as their latest event left them."""
    row = session.scalars(select(table).filter_by(**key)).first()
    if row is None:
        row = table(**key, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    return row


def _objectives(session: Session, entry: JournalEntry, objectives: list[Objective]) -> None:
    for objective in objectives:
        _upsert(session, schema.Objective, {"case_id": entry.case_id, "title": objective.title},
                {**objective.model_dump(exclude={"title"}), "seq": entry.seq})  # fmt: skip


def _adaptation(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.AdaptationRecorded)
    adaptation = event.adaptation.model_dump(mode="json")
    values = {**{k: v for k, v in adaptation.items() if k != "adaptation_id"}, "seq": entry.seq}
    if event.opinion is not None:
        values["opinion"] = event.opinion
    _upsert(session, schema.Adaptation, {"case_id": entry.case_id, "adaptation_id": event.adaptation.adaptation_id}, values)


def _training(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.TrainingRecorded)
    training = event.training
    _upsert(session, schema.Training, {"case_id": entry.case_id, "kind": training.kind.value, "title": training.title},
            {"status": training.status.value, "funder": training.funder.value if training.funder else None, "on": training.on,
             "seq": entry.seq})  # fmt: skip


def _evidence(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.EvidenceRecorded)
    evidence = event.evidence.model_dump(exclude={"kind", "warned"})
    _upsert(session, schema.EvidenceRecord, {"case_id": entry.case_id, "kind": event.evidence.kind.value},
            {**evidence, "warned_at": None, "seq": entry.seq})  # fmt: skip


def _evidence_expiring(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.EvidenceExpiring)
    row = session.scalars(select(schema.EvidenceRecord).filter_by(case_id=entry.case_id, kind=event.kind)).first()
    if row is not None:
        row.warned_at = entry.at


def _partner(session: Session, entry: JournalEntry, partner_id: str | None) -> None:
    if partner_id is not None:
        _upsert(session, schema.CasePartner, {"case_id": entry.case_id, "partner_id": partner_id}, {"since": entry.at})


def _partner_linked(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.PartnerLinked)
    _partner(session, entry, event.partner_id)


def _current_jobs(session: Session, case_id: str) -> list[schema.Employment]:
    query = select(schema.Employment).where(schema.Employment.case_id == case_id, schema.Employment.ended_on.is_(None))
    return list(session.scalars(query.order_by(schema.Employment.seq.desc())))


def _hiring(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.Hired)
    if event.previous_job_ended_on is not None:
        for job in _current_jobs(session, entry.case_id):
            job.ended_on = event.previous_job_ended_on
    _add(session, schema.Employment, **common, employer_id=event.employer_id, contract_type=event.contract_type.value,
         start_date=event.start_date, weekly_hours=event.weekly_hours)  # fmt: skip
    if event.amendment is not None:
        _add(session, schema.Amendment, **common, employer_id=event.employer_id)


def _job_loss(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.JobLost)
    jobs = [job for job in _current_jobs(session, entry.case_id) if event.employer_id in (None, job.employer_id)]
    if jobs:
        jobs[0].ended_on = event.ended_on  # the most recent, for rows written before jobs named their employer


REVIEWS = schema.Review.__table__


def _pending_review(session: Session, case_id: str) -> int | None:
    """The latest review due and not held yet (its id)."""
    query = select(REVIEWS.c.id).where(REVIEWS.c.case_id == case_id, REVIEWS.c.held_on.is_(None)).order_by(REVIEWS.c.seq.desc())
    return session.connection().execute(query.limit(1)).scalar()


def _review_due(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.ReviewDue)
    _add(session, schema.Review, **common, phase=entry.phase_after.value, due_at=event.due_at)


def _review_overdue(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    pending = _pending_review(session, entry.case_id)
    if pending is None:
        _add(session, schema.Review, **common, phase=entry.phase_after.value, overdue=True)
    else:
        _set(session, REVIEWS, pending, overdue=True)


def _review_held(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.ReviewHeld)
    held_on = event.held_on
    pending = _pending_review(session, entry.case_id)
    if pending is None:  # held before it was due
        _add(session, schema.Review, **common, phase=entry.phase_after.value, held_on=held_on, notes=event.notes)
    else:
        _set(session, REVIEWS, pending, held_on=held_on, notes=event.notes)
    _objectives(session, entry, event.objectives)


def _request(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, (events.EmployerRequestReceived, events.SupportRequested))
    employer_id = event.employer_id if isinstance(event, events.EmployerRequestReceived) else None
    origin = RequestOrigin.EMPLOYER if employer_id else RequestOrigin.BENEFICIARY
    _add(session, schema.SupportRequest, **common, request_id=event.request_id, origin=origin.value, employer_id=employer_id,
         kind=event.kind.value, deadline=event.deadline)  # fmt: skip


def _contact(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.ContactRecorded)
    _add(session, schema.Contact, **common, on=event.on, kind=event.kind.value, employer_id=event.employer_id, phase=entry.phase_after.value)


def _intensity(session: Session, entry: JournalEntry, common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.IntensityChanged)
    _add(session, schema.IntensityChange, **common, level=event.level.value if event.level else None,
         previous=event.previous.value if event.previous else None, reason=event.reason.value)  # fmt: skip


def _request_row(session: Session, entry: JournalEntry) -> schema.SupportRequest:
    event = entry.event
    assert isinstance(event, (events.RequestAnswered, events.RequestOverdue))
    query = select(schema.SupportRequest).where(
        schema.SupportRequest.case_id == entry.case_id,
        schema.SupportRequest.request_id == event.request_id,
    )
    return session.scalars(query).one()


def _response(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    event = entry.event
    assert isinstance(event, events.RequestAnswered)
    request = _request_row(session, entry)
    request.status = "answered"
    request.answered_at = entry.at
    request.outcome = event.outcome.value
    request.partner_id = event.partner_id
    _partner(session, entry, event.partner_id)


def _request_overdue(session: Session, entry: JournalEntry, _common: dict[str, Any]) -> None:
    _request_row(session, entry).escalated = True


PROJECTORS: dict[type, Projector] = {
    events.CaseOpened: _opened,
    events.ReferentAssigned: _assigned,
    events.ConsentGiven: _consent,
    events.ConsentWithdrawn: _closure,
    events.CaseClosed: _closure,
    events.CaseReopened: _reopen,
    events.PrescriptionRecorded: _prescription,
    events.ConventionSigned: _signature,
    events.EvaluationSubmitted: _evaluation,
    events.ProjectAgreed: _project,
    events.Hired: _hiring,
    events.JobLost: _job_loss,
    events.ReviewDue: _review_due,
    events.ReviewOverdue: _review_overdue,
    events.ReviewHeld: _review_held,
    events.EmployerRequestReceived: _request,
    events.SupportRequested: _request,
    events.ContactRecorded: _contact,
    events.IntensityChanged: _intensity,
    events.RequestAnswered: _response,
    events.RequestOverdue: _request_overdue,
    events.AdaptationRecorded: _adaptation,
    events.TrainingRecorded: _training,
    events.EvidenceRecorded: _evidence,
    events.EvidenceExpiring: _evidence_expiring,
    events.PartnerLinked: _partner_linked,
}
"""Events with no row of their own (set_review_cadence, phase reminders, changes of post) still
update the case and the journal."""
