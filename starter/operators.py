"""What operators and coordinators read from Temporal's visibility: lists of cases by our search
attributes, and the setup that registers those attributes on an existing cluster."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
)

from workflows import search_attributes as sa
from workflows.accompaniment import AccompanimentWorkflow
from pydantic import TypeAdapter

from workflows.case.model import OpaqueId, Phase
from workflows.contracts import DigestOrder, ReportOrder, RetentionSettings
from workflows.notifying import DIGEST_SCHEDULE_ID, SENDER_SCHEDULE_ID, DigestWorkflow, NotificationSenderWorkflow
from workflows.reporting import SCHEDULE_ID as REPORT_SCHEDULE_ID
from workflows.reporting import ActivityReportWorkflow
from workflows.retention import SCHEDULE_ID as RETENTION_SCHEDULE_ID
from workflows.retention import RetentionWorkflow

_OPAQUE: TypeAdapter[str] = TypeAdapter(OpaqueId)


@dataclass(frozen=True)
class CaseFilters:
    phase: Phase | None = None
    referent_id: str | None = None
    structure_id: str | None = None
    overdue: bool = False
    review_due: bool = False
    open_requests: bool = False
    include_closed: bool = False

    def query(self, now: datetime | None = None) -> str:
        """A visibility query; ids are validated as opaque, so nothing can be injected through them."""
        clauses = [f"WorkflowType = '{AccompanimentWorkflow.__name__}'"]
        if not self.include_closed:
            clauses.append("ExecutionStatus = 'Running'")
        if self.phase is not None:
            clauses.append(f"{sa.PHASE.name} = '{self.phase.value}'")
        for key, value in ((sa.REFERENT, self.referent_id), (sa.STRUCTURE, self.structure_id)):
            if value is not None:
                clauses.append(f"{key.name} = '{_OPAQUE.validate_python(value)}'")
        if self.overdue:
            clauses.append(f"{sa.OVERDUE.name} = true")
        if self.open_requests:
            clauses.append(f"{sa.OPEN_REQUESTS.name} > 0")
        if self.review_due:
            moment = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
            clauses.append(f"{sa.NEXT_REVIEW_AT.name} <= '{moment}'")
        return " AND ".join(clauses)


@dataclass(frozen=True)
class CaseListing:
    case_id: str
    status: str
    phase: str | None
    referent_id: str | None
    structure_id: str | None
    next_review_at: datetime | None
    open_requests: int | None
    overdue: bool | None

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "next_review_at": self.next_review_at.isoformat() if self.next_review_at else None}


async def list_cases(client: Client, filters: CaseFilters, limit: int = 100) -> list[CaseListing]:
    listings = []
    async for execution in client.list_workflows(filters.query(), limit=limit):
        attributes = execution.typed_search_attributes
        listings.append(
            CaseListing(
                case_id=execution.id.removeprefix("case-"),
                status=execution.status.name.lower() if execution.status else "unknown",
                phase=attributes.get(sa.PHASE),
                referent_id=attributes.get(sa.REFERENT),
                structure_id=attributes.get(sa.STRUCTURE),
                next_review_at=attributes.get(sa.NEXT_REVIEW_AT),
                open_requests=attributes.get(sa.OPEN_REQUESTS),
                overdue=attributes.get(sa.OVERDUE),
            )
        )
    return listings


class SearchAttributeConflict(Exception):
    """An attribute of ours exists on the namespace with another type: queries on it would be wrong."""


async def setup_search_attributes(client: Client, namespace: str) -> dict[str, str]:
    """Register our search attributes on a cluster's namespace (idempotent): name → added/present.
    One of ours already there with another type is refused before anything is added."""
    service = client.operator_service
    existing = (await service.list_search_attributes(ListSearchAttributesRequest(namespace=namespace))).custom_attributes
    conflicts = [f"{key.name} is {_type_name(existing[key.name])}, ours is {_type_name(key.indexed_value_type)}"
                 for key in sa.ALL if key.name in existing and existing[key.name] != key.indexed_value_type]  # fmt: skip
    if conflicts:
        raise SearchAttributeConflict(f"namespace {namespace}: {'; '.join(conflicts)} (see `temporal operator search-attribute`)")
    missing = {key.name: int(key.indexed_value_type) for key in sa.ALL if key.name not in existing}
    if missing:
        await service.add_search_attributes(AddSearchAttributesRequest(search_attributes=missing, namespace=namespace))
    return {key.name: "added" if key.name in missing else "present" for key in sa.ALL}


def _type_name(value: int) -> str:
    return IndexedValueType.Name(value).removeprefix("INDEXED_VALUE_TYPE_")


def retention_settings_from_env() -> RetentionSettings:
    """EA_RETENTION_INACTIVE_DAYS (730) and EA_RETENTION_WARNING_DAYS (30)."""
    return RetentionSettings(
        inactive_after=timedelta(days=int(os.environ.get("EA_RETENTION_INACTIVE_DAYS", "730"))),
        warn_before=timedelta(days=int(os.environ.get("EA_RETENTION_WARNING_DAYS", "30"))),
    )


def retention_schedule(task_queue: str, settings: RetentionSettings) -> Schedule:
    """The daily retention run."""
    return Schedule(
        action=ScheduleActionStartWorkflow(RetentionWorkflow.run, settings, id=f"{RETENTION_SCHEDULE_ID}-run", task_queue=task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=timedelta(days=1))]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def report_schedule(task_queue: str) -> Schedule:
    """The six-monthly activity report for funders, on 1 January and 1 July at 05:00 UTC (all structures)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(ActivityReportWorkflow.run, ReportOrder(), id=f"{REPORT_SCHEDULE_ID}-run",
                                           task_queue=task_queue),  # fmt: skip
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(month=[ScheduleRange(1), ScheduleRange(7)], day_of_month=[ScheduleRange(1)],
                                                          hour=[ScheduleRange(5)])]),  # fmt: skip
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=30)),
    )


def sender_schedule(task_queue: str) -> Schedule:
    """The notification sender, every EA_NOTIFY_EVERY seconds (60): a message waits at most that long."""
    every = timedelta(seconds=int(os.environ.get("EA_NOTIFY_EVERY", "60")))
    return Schedule(
        action=ScheduleActionStartWorkflow(NotificationSenderWorkflow.run, id=f"{SENDER_SCHEDULE_ID}-run", task_queue=task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


def digest_schedule(task_queue: str) -> Schedule:
    """The référents' daily digest, at EA_DIGEST_HOUR (7) in EA_TIME_ZONE (Europe/Paris)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(DigestWorkflow.run, DigestOrder(), id=f"{DIGEST_SCHEDULE_ID}-run", task_queue=task_queue),
        spec=ScheduleSpec(calendars=[ScheduleCalendarSpec(hour=[ScheduleRange(int(os.environ.get("EA_DIGEST_HOUR", "7")))],
                                                          minute=[ScheduleRange(0)], second=[ScheduleRange(0)])],
                          time_zone_name=os.environ.get("EA_TIME_ZONE", "Europe/Paris")),  # fmt: skip
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(hours=6)),
    )


async def ensure_schedule(client: Client, schedule_id: str, schedule: Schedule) -> str:
    """Create the schedule once; an existing one is kept (an operator may have paused or tuned it)."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:
        return "present"
    return "created"


async def ensure_schedules(client: Client, task_queue: str) -> dict[str, str]:
    """Every schedule of the platform: daily retention, six-monthly report, notifications and digests."""
    return {
        RETENTION_SCHEDULE_ID: await ensure_schedule(client, RETENTION_SCHEDULE_ID,
                                                     retention_schedule(task_queue, retention_settings_from_env())),
        REPORT_SCHEDULE_ID: await ensure_schedule(client, REPORT_SCHEDULE_ID, report_schedule(task_queue)),
        SENDER_SCHEDULE_ID: await ensure_schedule(client, SENDER_SCHEDULE_ID, sender_schedule(task_queue)),
        DIGEST_SCHEDULE_ID: await ensure_schedule(client, DIGEST_SCHEDULE_ID, digest_schedule(task_queue)),
    }  # fmt: skip
