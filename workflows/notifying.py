"""The notification schedules' workflows: the sender, started every minute, sends what the
outbox holds; the digest, started daily at the platform's hour, sends each référent's digest.
Each is one activity: the outbox and the digests table are the state, not the workflow."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.notifications.activity import Notifications
    from workflows.contracts import DigestOrder, SendSummary

SENDER_SCHEDULE_ID = "ea-notifications"
DIGEST_SCHEDULE_ID = "ea-digest"
RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5))


@workflow.defn
class NotificationSenderWorkflow:
    @workflow.run
    async def run(self) -> SendSummary:
        return await workflow.execute_activity_method(
            Notifications.send_notifications,
            start_to_close_timeout=timedelta(minutes=2),
            heartbeat_timeout=timedelta(seconds=30),  # a sender that died is noticed within half a minute
            retry_policy=RETRY,
        )


@workflow.defn
class DigestWorkflow:
    @workflow.run
    async def run(self, order: DigestOrder) -> int:
        """Returns how many digests were sent."""
        return await workflow.execute_activity_method(
            Notifications.send_digests, order, start_to_close_timeout=timedelta(minutes=5), retry_policy=RETRY
        )
