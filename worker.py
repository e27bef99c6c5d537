"""The worker services: the case worker runs the case workflows and the registry activities for
one task queue; the documents worker renders documents on that queue's documents queue, in a
process of its own so that a PDF never holds a case's workflow tasks. Either scales on its own.

Settings come from the environment (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, the cluster's TLS or
API key, EA_TASK_QUEUE, DATABASE_URL, EA_METRICS_ADDRESS: starter/settings.py, starter/telemetry.py).
SIGINT or SIGTERM stops it gracefully: no new task is taken and the running activities get time to
finish; Temporal hands anything unfinished to the next worker.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, ExitStack, contextmanager
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from activities.registry.database import database_url_from_env, make_engine
from activities.registry.caseload import capacity_from_env
from activities.documents.rendering import Documents
from activities.notifications.activity import Notifications
from activities.notifications.settings import BadMailSettings, MailSettings, mail_settings_from_env
from activities.registry.journal import Registry
from activities.documents.reporting import Reporting
from activities.registry.retention import Retention
from workflows.encryption import KeyMissing
from starter.settings import Connection
from starter.telemetry import metrics_address_from_env, metrics_runtime
from workflows.accompaniment import AccompanimentWorkflow
from workflows.contracts import documents_queue
from workflows.notifying import DigestWorkflow, NotificationSenderWorkflow
from workflows.reporting import ActivityReportWorkflow
from workflows.retention import RetentionWorkflow

log = logging.getLogger("ea.worker")

ACTIVITY_THREADS = 8


ROLES = ("all", "cases", "documents")
"""What a worker process serves: the cases' queue, the documents' queue, or both (tests, a small platform)."""


@contextmanager
def documents_worker(client: Client, task_queue: str, registry: Registry) -> Iterator[Worker]:
    """Renders the documents of the cases of `task_queue`, on its documents queue."""
    quiet_logs()
    documents = Documents(registry.engine)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS, thread_name_prefix="document") as executor:
        yield Worker(client, task_queue=documents_queue(task_queue), activities=[documents.render_document],
                     activity_executor=executor, max_concurrent_activities=ACTIVITY_THREADS,
                     graceful_shutdown_timeout=timedelta(seconds=10))  # fmt: skip


@contextmanager
def workers(client: Client, task_queue: str, registry: Registry, role: str = "all", extra_workflows: Sequence[type] = (),
            extra_activities: Sequence[Callable[..., Any]] = (), mail: MailSettings | None = None) -> Iterator[list[Worker]]:  # fmt: skip
    """The workers a process of this role runs."""
    with ExitStack() as stack:
        chosen = []
        if role in ("all", "cases"):
            chosen.append(stack.enter_context(case_worker(client, task_queue, registry, extra_workflows, extra_activities, mail)))
        if role in ("all", "documents"):
            chosen.append(stack.enter_context(documents_worker(client, task_queue, registry)))
        yield chosen


@contextmanager
def case_worker(client: Client, task_queue: str, registry: Registry, extra_workflows: Sequence[type] = (),
                extra_activities: Sequence[Callable[..., Any]] = (), mail: MailSettings | None = None) -> Iterator[Worker]:  # fmt: skip
    """A worker for our workflows and activities (sync activities run on a thread pool); the
    benchmark adds its baseline workflow to the same worker. It still renders documents scheduled
    on the cases' queue before documents had a queue of their own. `mail`: the SMTP settings, by
    default from the environment."""
    quiet_logs()
    notifications = Notifications(registry.engine, mail or mail_settings_from_env())
    documents = Documents(registry.engine)
    retention = Retention(registry.engine, client)
    reporting = Reporting(registry.engine)
    with ThreadPoolExecutor(max_workers=ACTIVITY_THREADS, thread_name_prefix="activity") as executor:
        yield Worker(
            client,
            task_queue=task_queue,
            workflows=[AccompanimentWorkflow, RetentionWorkflow, ActivityReportWorkflow, NotificationSenderWorkflow, DigestWorkflow,
                       *extra_workflows],
            activities=[
                registry.append_to_journal,
                registry.reserve_referent_seat,
                documents.render_document,
                retention.plan_retention,
                retention.warn_before_anonymisation,
                retention.anonymise_person,
                retention.delete_case_executions,
                reporting.produce_activity_report,
                reporting.produce_fidelity_report,
                notifications.send_notifications,
                notifications.send_digests,
                *extra_activities,
            ],
            activity_executor=executor,
            max_concurrent_activities=ACTIVITY_THREADS,
            graceful_shutdown_timeout=timedelta(seconds=10),
        )


def open_registry(database_url: str) -> Registry:
    registry = Registry(make_engine(database_url), capacity_from_env())
    registry.migrate()
    return registry


async def serve(connection: Connection, database_url: str, stop: asyncio.Event | None = None, role: str = "all",
                extra_workflows: Sequence[type] = (), extra_activities: Sequence[Callable[..., Any]] = (),
                metrics_address: str | None = None) -> None:  # fmt: skip
    """Run until `stop` is set (by default: until SIGINT or SIGTERM), then shut down gracefully;
    with `metrics_address`, the SDK's metrics are served there for Prometheus."""
    stop = stop or stop_on_signals()
    client = await connection.connect(runtime=metrics_runtime(metrics_address))
    registry = open_registry(database_url)
    with workers(client, connection.task_queue, registry, role, extra_workflows, extra_activities) as running:
        async with AsyncExitStack() as stack:
            for each in running:
                await stack.enter_async_context(each)
            queues = ", ".join(each.task_queue for each in running)
            log.info("worker started (%s): task queue %s, namespace %s at %s (%s)%s", role, queues, connection.namespace,
                     connection.address, connection.access.describe(), f", metrics on {metrics_address}" if metrics_address else "")
            await stop.wait()
            log.info("worker stopping: finishing the tasks in hand")
    log.info("worker stopped")


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_logs()


CHATTY_LIBRARIES = ("weasyprint", "fontTools", "PIL", "matplotlib", "alembic")
"""They log every glyph, font and CSS rule they touch: a warning of theirs is worth a line, no more."""
EXPECTED_FAILURES = frozenset({"DocumentDataMissing", "DocumentTemplateError"})
"""Activity failures the case records as an alert: one line in the log, no traceback."""


class ExpectedFailureInOneLine(logging.Filter):
    """The SDK logs every failed activity with its traceback; for a failure we raised on purpose,
    the line says what failed and why, and the traceback (our own raise) is dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, ApplicationError) and error.type in EXPECTED_FAILURES:
            record.msg, record.args = f"{record.getMessage()}: {error.type}: {error.message}", None
            record.exc_info = record.exc_text = None
        return True


def quiet_logs() -> None:
    """One line per event that matters (idempotent: the worker and the tests call it)."""
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    activity_log = logging.getLogger("temporalio.activity")
    if not any(isinstance(f, ExpectedFailureInOneLine) for f in activity_log.filters):
        activity_log.addFilter(ExpectedFailureInOneLine())


if __name__ == "__main__":
    configure_logging()
    try:
        asyncio.run(serve(Connection.from_env(), database_url_from_env(), metrics_address=metrics_address_from_env()))
    except (KeyMissing, BadMailSettings) as missing:
        log.error("refusing to start: %s", missing)
        raise SystemExit(2) from None
