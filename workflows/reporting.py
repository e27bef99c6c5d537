"""ActivityReportWorkflow: the six-monthly activity report for funders, started by a Temporal
Schedule on 1 January and 1 July; the report is computed and stored by one activity."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.documents.reporting import Reporting
    from workflows.contracts import Period, ReportOrder

SCHEDULE_ID = "ea-activity-report"


@workflow.defn
class ActivityReportWorkflow:
    @workflow.run
    async def run(self, order: ReportOrder) -> int:
        """Returns the stored report's id (`ea report export ID`)."""
        period = order.period or Period.half_year_before(workflow.now().date())
        return await workflow.execute_activity_method(
            Reporting.produce_activity_report,
            order.model_copy(update={"period": period}),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=5)),
        )
