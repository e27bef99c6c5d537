"""ActivityReportWorkflow: the six-monthly activity report for funders and the fidelity
self-assessment of the same half-year, started by a Temporal Schedule on 1 January and 1 July;
each is computed and stored by one activity."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.documents.reporting import Reporting
    from workflows.contracts import Period, ReportOrder

SCHEDULE_ID = "ea-activity-report"
TIMEOUT = timedelta(minutes=10)
RETRY = RetryPolicy(maximum_interval=timedelta(minutes=5))


@workflow.defn
class ActivityReportWorkflow:
    @workflow.run
    async def run(self, order: ReportOrder) -> int:
        """Returns the stored report's id (`ea report export ID`)."""
        order = order.model_copy(update={"period": order.period or Period.half_year_before(workflow.now().date())})
        stored = await workflow.execute_activity_method(Reporting.produce_activity_report, order, start_to_close_timeout=TIMEOUT, retry_policy=RETRY)
        if workflow.patched("fidelity-report"):  # runs started before the fidelity report existed end as they began
            await workflow.execute_activity_method(Reporting.produce_fidelity_report, order, start_to_close_timeout=TIMEOUT, retry_policy=RETRY)
        return stored
