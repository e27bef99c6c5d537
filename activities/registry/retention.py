"""Erasure and retention: a person's identity leaves the registry, their cases leave Temporal,
and anonymised statistics stay (year of birth, situation, dates, outcomes).

Used on a person's request (`ea erase`) and daily by the retention workflow, which a Temporal
Schedule starts. Every act is written to the audit journal, without the erased data.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session
from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from activities.registry import evidence_files
from activities.registry.acts import record_act
from activities.registry.database import utc
from activities.registry.people import PersonUnknown
from activities.registry.schema import (
    Adaptation,
    Beneficiary,
    Case,
    Document,
    Evaluation,
    EvidenceRecord,
    JournalRow,
    LegalRepresentative,
    Notification,
    ProfessionalProject,
    Review,
)
from workflows.case.model import Actor, ActorRole
from workflows.case.events import IdentityErased, RetentionWarning
from workflows.contracts import Anonymisation, RetentionPlan, RetentionSettings

RETENTION_ACTOR = Actor(role=ActorRole.SYSTEM, id="ea-retention")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def open_cases(engine: Engine, beneficiary_id: str) -> list[str]:
    """The person's cases not closed yet (erasure closes them first)."""
    with Session(engine) as session:
        if session.get(Beneficiary, beneficiary_id) is None:
            raise PersonUnknown(f"no person {beneficiary_id} in the registry")
        return list(session.scalars(select(Case.id).where(Case.beneficiary_id == beneficiary_id, Case.closed_at.is_(None))))


def anonymise(engine: Engine, request: Anonymisation) -> list[str]:
    """Erase the person's identity and their cases' documents; returns their case ids. Idempotent."""
    with Session(engine) as session, session.begin():
        person = session.get(Beneficiary, request.beneficiary_id)
        if person is None:
            raise PersonUnknown(f"no person {request.beneficiary_id} in the registry")
        cases = list(session.scalars(select(Case).where(Case.beneficiary_id == person.id)))
        if person.anonymised_at is not None:
            return [case.id for case in cases]
        person.first_name = person.last_name = "(anonymisé)"
        person.identity_key = f"anonymised:{person.id}"
        person.birth_date = date(person.birth_date.year, 1, 1)  # the year stays, for statistics
        person.email = person.phone = person.address = person.rqth_reference = person.esat_reference = None
        person.anonymised_at = _now()
        case_ids = [case.id for case in cases]
        session.execute(delete(Document).where(Document.case_id.in_(case_ids)))
        session.execute(delete(LegalRepresentative).where(LegalRepresentative.beneficiary_id == person.id))
        people = (Notification.recipient.like("beneficiary:%") | Notification.recipient.like("legal_representative:%"))
        session.execute(update(Notification).where(Notification.case_id.in_(case_ids), people).values(address=None))
        _erase_case_file(session, case_ids)
        for row in session.scalars(select(JournalRow).where(JournalRow.case_id.in_(case_ids), JournalRow.kind == "case_opened")):
            row.detail = {**row.detail, "birth_date": person.birth_date.isoformat()}  # 1 January of the year
        for case in cases:
            case.anonymised_at = person.anonymised_at
            record_act(session, case, IdentityErased(reason=request.reason), request.actor)
    return case_ids


CASE_FILE_TEXT = {
    Evaluation: {"capacities": None, "needs": None, "constraints": None, "employer_needs": None},
    Review: {"notes": None},
    Adaptation: {"opinion": None},
    ProfessionalProject: {"content": None},
    EvidenceRecord: {"reference": None, "file_id": None},
    JournalRow: {"private_detail": None},
}
"""What the case file says about the person in words (health free text above all): erased with them;
dates, stages and statuses stay for the statistics."""


def _erase_case_file(session: Session, case_ids: list[str]) -> None:
    for table, erased in CASE_FILE_TEXT.items():
        session.execute(update(table).where(table.case_id.in_(case_ids)).values(erased))
    evidence_files.erase(session, case_ids)


def plan(engine: Engine, settings: RetentionSettings, now: datetime) -> RetentionPlan:
    """Which closed cases to warn about, and which people to anonymise (all cases inactive, warned in time)."""
    anonymise_before = now - settings.inactive_after
    warn_from = anonymise_before + settings.warn_before
    with Session(engine) as session:
        cases = list(session.scalars(select(Case).where(Case.beneficiary_id.is_not(None), Case.anonymised_at.is_(None))))
    by_person: dict[str, list[Case]] = {}
    for case in cases:
        by_person.setdefault(case.beneficiary_id or "", []).append(case)
    result = RetentionPlan()
    for person, their_cases in sorted(by_person.items()):
        if any(case.closed_at is None or utc(case.updated_at) > warn_from for case in their_cases):
            continue  # someone still accompanied, or recently: nothing to do
        unwarned = [case.id for case in their_cases if case.retention_warned_at is None]
        result.warn.extend(unwarned)
        inactive = all(utc(case.updated_at) <= anonymise_before for case in their_cases)
        warned_in_time = all(
            case.retention_warned_at is not None and utc(case.retention_warned_at) <= now - settings.warn_before
            for case in their_cases
        )
        if inactive and warned_in_time and not unwarned:
            result.anonymise.append(person)
    return result


def warn(engine: Engine, case_ids: list[str], settings: RetentionSettings) -> None:
    with Session(engine) as session, session.begin():
        for case in session.scalars(select(Case).where(Case.id.in_(case_ids), Case.retention_warned_at.is_(None))):
            case.retention_warned_at = _now()
            record_act(session, case, RetentionWarning(anonymised_in_days=settings.warn_before.days), RETENTION_ACTOR)



async def delete_executions(client: Client, case_ids: list[str]) -> int:
    """Delete every run of each case's workflow (running ones are terminated first by the server)."""
    deleted = 0
    for case_id in case_ids:
        async for execution in client.list_workflows(f"WorkflowId = 'case-{case_id}'"):
            request = DeleteWorkflowExecutionRequest(
                namespace=client.namespace,
                workflow_execution=WorkflowExecution(workflow_id=execution.id, run_id=execution.run_id),
            )
            try:
                await client.workflow_service.delete_workflow_execution(request)
                deleted += 1
            except RPCError as error:
                if error.status is not RPCStatusCode.NOT_FOUND:
                    raise
    return deleted


class Retention:
    """The retention workflow's activities, bound to the registry and a Temporal client."""

    def __init__(self, engine: Engine, client: Client) -> None:
        self.engine = engine
        self.client = client

    @activity.defn(name="plan_retention")
    def plan_retention(self, settings: RetentionSettings) -> RetentionPlan:
        return plan(self.engine, settings, _now())

    @activity.defn(name="warn_before_anonymisation")
    def warn_before_anonymisation(self, plan_: RetentionPlan, settings: RetentionSettings) -> None:
        warn(self.engine, plan_.warn, settings)

    @activity.defn(name="anonymise_person")
    def anonymise_person(self, request: Anonymisation) -> list[str]:
        return anonymise(self.engine, request)

    @activity.defn(name="delete_case_executions")
    async def delete_case_executions(self, case_ids: list[str]) -> int:
        return await delete_executions(self.client, case_ids)
