"""The funders' report of a period still running counts up to today, never days to come; a case
closed and reopened within the period counts as an exit."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from activities.documents.report_html import render_html
from activities.registry.journal import Registry
from activities.registry.report import ActivityReport, activity_report
from bench.population import Story, day, write
from tests.test_report import PERIOD, designs, story
from workflows.contracts import Period


def midnight(on: date) -> datetime:
    return datetime.combine(on, time(), tzinfo=timezone.utc)


def report(registry: Registry, period: Period, structure: str, now: datetime) -> ActivityReport:
    with Session(registry.engine) as session:
        return activity_report(session, period, structure, now)


@pytest.fixture(scope="module")
def structure(registry: Registry) -> str:
    name = f"struct-today-{uuid.uuid4().hex[:6]}"
    write(registry, [story(d, name) for d in designs()])
    return name


@settings(max_examples=25, deadline=None)
@given(today=st.dates(min_value=PERIOD.start + timedelta(days=1), max_value=PERIOD.end))
def test_a_running_period_counts_what_the_period_ending_yesterday_counts(registry: Registry, structure: str, today: date) -> None:
    """Reported on the morning of `today`, the half-year still running holds exactly the days so
    far: every figure equals that of the period that ended yesterday."""
    now = midnight(today)
    running = report(registry, PERIOD, structure, now)
    ended = report(registry, Period(start=PERIOD.start, end=today - timedelta(days=1)), structure, now)
    assert running.model_dump(exclude={"period"}) == ended.model_dump(exclude={"period"})
    assert all(month_end < today for month_end, _count in running.caseload_over_time)


def test_weeks_and_tenure_stop_today(registry: Registry) -> None:
    name = f"struct-job-{uuid.uuid4().hex[:6]}"
    s = Story(f"R{uuid.uuid4().hex[:10]}", name, day(date(2025, 12, 1)), 1990, "rqth")
    s.consent(day(date(2025, 12, 2)))
    s.hire(day(date(2026, 1, 1)), "emp-today", 30)
    write(registry, [s])
    early = report(registry, PERIOD, name, midnight(date(2026, 2, 1)))
    assert early.outcomes.weeks_worked == round(31 / 7, 1), "January only, not the half-year"
    assert early.outcomes.longest_tenure.median_days == 30
    assert early.caseload_over_time == [(date(2026, 1, 31), 1)], "no month still to come"
    assert early.support_of_active.median_days == 61.6, "1 December, 10:00, to 1 February"
    assert early.running and "période en cours" in render_html(early)
    assert not report(registry, PERIOD, name, midnight(date(2026, 7, 1))).running


def test_a_case_closed_and_reopened_within_the_period_counts_as_an_exit(registry: Registry) -> None:
    name = f"struct-reopen-{uuid.uuid4().hex[:6]}"
    back = Story(f"R{uuid.uuid4().hex[:10]}", name, day(date(2025, 12, 1)), 1990, "rqth")
    back.close(day(date(2026, 2, 1)), "goals_reached")
    back.reopen(day(date(2026, 3, 1)))
    twice = Story(f"R{uuid.uuid4().hex[:10]}", name, day(date(2026, 1, 5)), 1985, "esat")
    twice.close(day(date(2026, 1, 20)), "persons_choice")
    twice.reopen(day(date(2026, 2, 10)))
    twice.close(day(date(2026, 5, 1)), "moved_away")
    write(registry, [back, twice])
    figures = report(registry, PERIOD, name, midnight(date(2026, 12, 1)))
    assert figures.exits == 3
    assert figures.exits_by_reason == {"goals_reached": 1, "moved_away": 1, "persons_choice": 1}
    assert figures.active_at_end == 1 and figures.file_active == 2
    assert figures.support_of_exits.count == 3 and figures.support_of_exits.median_days == 62.0
