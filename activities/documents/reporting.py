"""Reports as stored documents: computed from the registry, rendered, and kept once per period
and scope (a report produced again for the same period replaces the figures, keeps the id)."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from temporalio import activity

from activities.registry.fidelity import FidelityReport, fidelity_report
from activities.registry.report import ActivityReport, activity_report
from activities.documents.report_html import render_fidelity_html, render_html
from activities.registry.schema import Report
from workflows.contracts import Period, ReportOrder

ALL_STRUCTURES = "all"
KINDS: dict[str, type[ActivityReport] | type[FidelityReport]] = {"activity": ActivityReport, "fidelity": FidelityReport}
"""A stored report's kind, and the model its figures read back into."""


def produce(engine: Engine, period: Period, structure_id: str | None) -> tuple[ActivityReport, str]:
    with Session(engine) as session:
        report = activity_report(session, period, structure_id)
    return report, render_html(report)


def produce_fidelity(engine: Engine, period: Period, structure_id: str | None) -> tuple[FidelityReport, str]:
    with Session(engine) as session:
        report = fidelity_report(session, period, structure_id)
    return report, render_fidelity_html(report)


def store(engine: Engine, report: ActivityReport | FidelityReport, html: str) -> int:
    kind = "fidelity" if isinstance(report, FidelityReport) else "activity"
    scope = report.structure_id or ALL_STRUCTURES
    with Session(engine) as session, session.begin():
        row = session.scalars(select(Report).where(Report.kind == kind, Report.scope == scope,
                                                   Report.period_from == report.period.start,
                                                   Report.period_to == report.period.end)).first()  # fmt: skip
        if row is None:
            row = Report(kind=kind, scope=scope, period_from=report.period.start, period_to=report.period.end)
            session.add(row)
        row.figures, row.html, row.created_at = report.model_dump(mode="json"), html, datetime.now(timezone.utc)
        session.flush()
        return row.id


def stored(engine: Engine) -> list[Report]:
    with Session(engine) as session:
        return list(session.scalars(select(Report).order_by(Report.period_from.desc(), Report.scope)))


def stored_one(engine: Engine, report_id: int) -> Report | None:
    with Session(engine) as session:
        return session.get(Report, report_id)


class Reporting:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @activity.defn
    def produce_activity_report(self, order: ReportOrder) -> int:
        assert order.period is not None  # the workflow fills it in
        report, html = produce(self.engine, order.period, order.structure_id)
        return store(self.engine, report, html)

    @activity.defn
    def produce_fidelity_report(self, order: ReportOrder) -> int:
        assert order.period is not None
        report, html = produce_fidelity(self.engine, order.period, order.structure_id)
        return store(self.engine, report, html)
