"""RetentionWorkflow: once a day (a Temporal Schedule starts it), warn the cases whose person
will be anonymised, then anonymise those whose time has come. No cron, no home-made loop."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.registry.retention import Retention
    from workflows.case.model import Actor, ActorRole
    from workflows.contracts import Anonymisation, RetentionPlan, RetentionSettings

SCHEDULE_ID = "ea-retention"
_OPTIONS = {"start_to_close_timeout": timedelta(minutes=5), "retry_policy": RetryPolicy(maximum_interval=timedelta(minutes=5))}


@workflow.defn
class RetentionWorkflow:
    @workflow.run
    async def run(self, settings: RetentionSettings) -> RetentionPlan:
        plan = await workflow.execute_activity_method(Retention.plan_retention, settings, **_OPTIONS)
        if plan.warn:
            await workflow.execute_activity_method(Retention.warn_before_anonymisation, args=[plan, settings], **_OPTIONS)
        system = Actor(role=ActorRole.SYSTEM, id="ea-retention")
        for beneficiary_id in plan.anonymise:
            request = Anonymisation(beneficiary_id=beneficiary_id, actor=system, reason="retention")
            case_ids = await workflow.execute_activity_method(Retention.anonymise_person, request, **_OPTIONS)
            await workflow.execute_activity_method(Retention.delete_case_executions, case_ids, **_OPTIONS)
        return plan
