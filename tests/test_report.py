"""The funders' report on a generated population whose answers the test computes from the design
(when each person entered, was hired, left...), never from the report's own code."""

from __future__ import annotations

import csv
import io
import statistics
import uuid
from pathlib import Path
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy.orm import Session
from temporalio.client import Client

from activities.documents import reporting
from activities.registry.journal import Registry
from activities.registry.report import ActivityReport, activity_report
from activities.documents.report_html import render_html
from activities.registry.schema import Report
from bench.population import Story, day, write
from starter.operators import ensure_schedule, report_schedule
from tests.builders import eventually
from tests.cli_runner import Ea
from activities.registry.schema import Organisation
from tests.conftest import Backend
from workflows.case.model import AdaptationStage, AskedBy, Derogation, EvaluationFindings, Funder, Intensity, IntensityReason
from workflows.contracts import Period

PERIOD = Period(start=date(2026, 1, 1), end=date(2026, 6, 30))
SINCE = datetime(2026, 1, 1, tzinfo=timezone.utc)
UNTIL = datetime(2026, 7, 1, tzinfo=timezone.utc)
BASE = date(2025, 10, 1)
PRESCRIBERS = ("cdaph", "france_travail", "cap_emploi", "mission_locale")
REASONS = ("goals_reached", "persons_choice", "moved_away")


@dataclass
class Design:
    """One person's journey, in days after the case opened."""

    i: int
    opened: datetime
    employee: bool
    situation: str
    birth_year: int
    prescriber: str
    hired: int | None
    lost: int | None
    prospection: int | None
    closed: int | None

    @property
    def employer(self) -> str | None:
        """Employees work for a public employer (one in two) or a private one; a hired person for their own."""
        if self.employee:
            return "emp-rep-pub" if self.i % 10 == 0 else "emp-rep-priv"
        return f"emp-rep-{self.i}" if self.hired is not None else None

    @property
    def employee_lost(self) -> int | None:
        """One employee loses their job, after their adaptation and their employer's last request."""
        return 80 if self.i == 10 else None

    @property
    def derogation(self) -> Derogation | None:
        """One person in ten is admitted outside the standard criteria."""
        if self.i % 10 != 7:
            return None
        return Derogation(reason="RQTH en cours d'instruction", authorised_by="coordinator:coord-rep", waived=["situation_not_open"])

    @property
    def asked_by(self) -> AskedBy:
        """Half the employees' support was asked for by their employer (L5213-2-1)."""
        return AskedBy.EMPLOYER if self.employee and self.i % 10 == 0 else AskedBy.PERSON

    def at(self, offset: float) -> datetime:
        return self.opened + timedelta(days=offset)

    @property
    def closed_at(self) -> datetime | None:
        return None if self.closed is None else self.at(self.closed)

    @property
    def dormant(self) -> tuple[int, int | None] | None:
        if not self.employee:
            return None
        return (40, 70) if self.i % 10 == 0 else (40, None)

    def open_at(self, moment: datetime) -> bool:
        return self.opened < moment and (self.closed_at is None or self.closed_at >= moment)

    def phases(self) -> list[tuple[float, str]]:
        steps = [(0, "consent"), (1, "prescription"), (5, "convention"), (10, "evaluation"), (20, "project")]
        if self.employee:
            steps.append((30, "in_job_support"))
            if self.employee_lost is not None:
                steps.append((self.employee_lost, "job_search"))
        else:
            steps.append((30, "job_search"))
            if self.hired is not None:
                steps.append((self.hired, "in_job_support"))
            if self.lost is not None:
                steps.append((self.lost, "job_search"))
        if self.closed is not None:
            steps.append((self.closed, "closed"))
        return steps

    def phase_at(self, moment: datetime) -> str:
        return [phase for offset, phase in self.phases() if self.at(offset) < moment][-1]

    def dormant_days(self, until: datetime) -> float:
        if self.dormant is None:
            return 0.0
        start, stop = self.at(self.dormant[0]), self.at(self.dormant[1]) if self.dormant[1] else until
        return max((min(stop, until) - start).total_seconds(), 0) / 86400


SECTORS = {"emp-rep-pub": "public", "emp-rep-priv": "private", **{f"emp-rep-{i}": "private" if i % 2 else None for i in range(30)}}
"""The directory: odd hired people's employers are private; even ones' have no sector recorded."""


def designs() -> list[Design]:
    people = []
    for i in range(30):
        employee = i % 5 == 0
        hired = 60 + (i % 4) * 15 if not employee and i % 3 == 0 else None
        people.append(Design(
            i=i, opened=day(BASE + timedelta(days=9 * i)), employee=employee,
            situation="employee" if employee else ("rqth" if i % 2 else "esat"), birth_year=1960 + i,
            prescriber=PRESCRIBERS[i % 4], hired=hired, lost=hired + 30 if hired and i % 6 == 0 else None,
            prospection=None if employee else (20 if i % 2 == 0 else (45 if i % 4 == 1 else None)),
            closed=130 if i % 7 == 3 else None,  # after everything else that happens to them
        ))  # fmt: skip
    return people


def story(design: Design, structure: str) -> Story:
    """The journey as the workflow would have journaled it, in the order things happened."""
    s = Story(f"R{uuid.uuid4().hex[:10]}", structure, design.opened, design.birth_year, design.situation,
              referent_id="ref-report", employer_id=design.employer if design.employee else None, asked_by=design.asked_by)  # fmt: skip
    findings = EvaluationFindings(capacities="Sait organiser son poste") if design.i % 3 else None
    events = [(1, lambda at: s.consent(at)), (2, lambda at: s.contact(at, "phone")),
              (5, lambda at: s.prescribe(at, design.prescriber, design.derogation)), (10, lambda at: s.sign(at)),
              (20, lambda at: s.evaluate(at, findings)), (30, lambda at: s.agree_project(at, 2 if design.i % 2 == 0 else 0))]  # fmt: skip
    if design.prospection is not None:
        events.append((design.prospection, lambda at: s.contact(at, "prospection", "emp-prospect")))
    if design.hired is not None:
        events.append((design.hired, lambda at: s.hire(at, f"emp-rep-{design.i}", 20 + design.i)))
        events.append((design.hired + 5, lambda at: s.train(at, "CACES R489", funder=Funder.AGEFIPH)))
        events.append((design.hired + 10, lambda at: s.person_request(at, "difficulty_alert")))
    if design.lost is not None:
        events.append((design.lost, lambda at: s.lose_job(at)))
    if design.employee:
        events.append((35, lambda at: setattr(s, "last_request", s.employer_request(at, "mediation"))))
        events.append((37, lambda at: s.respond(at, s.last_request)))  # type: ignore[attr-defined]
        events.append((40, lambda at: s.set_intensity(at, Intensity.DORMANT, IntensityReason.STABLE_SITUATION)))
        if design.i % 10 == 0:
            events.append((50, lambda at: s.adapt(at, "adapt-1", AdaptationStage.PROPOSED)))
            events.append((60, lambda at: s.adapt(at, "adapt-1", AdaptationStage.FUNDED, Funder.FIPHFP)))
            events.append((70, lambda at: s.employer_request(at, "workstation_adaptation")))
        if design.employee_lost is not None:
            events.append((design.employee_lost, lambda at: s.lose_job(at)))
    if design.closed is not None:
        events.append((design.closed, lambda at: s.close(at, REASONS[design.i % 3])))
    for offset, happen in sorted(events, key=lambda event: event[0]):
        happen(design.at(offset))
    return s


def outsiders(structure: str) -> list[Story]:
    """Two cases that ended before the period, two that began after it: in no figure."""
    stories = []
    for opened, closed in ((day(date(2025, 3, 1)), day(date(2025, 9, 1))), (day(date(2025, 4, 1)), day(date(2025, 12, 31), 23))):
        s = Story(f"R{uuid.uuid4().hex[:10]}", structure, opened, 1980, "rqth")
        s.consent(opened + timedelta(days=1))
        s.close(closed, "persons_choice")
        stories.append(s)
    stories += [Story(f"R{uuid.uuid4().hex[:10]}", structure, day(date(2026, 7, 10)), 1990, "esat") for _ in range(2)]
    return stories


def directory(registry: Registry) -> None:
    """The employers with their sector, as `ea directory employer --sector` records them."""
    with Session(registry.engine) as session, session.begin():
        for employer, sector in SECTORS.items():
            session.merge(Organisation(id=employer, kind="employer", name=employer, sector=sector))


@pytest.fixture(scope="module")
def population(backend: Backend) -> tuple[str, list[Design], ActivityReport]:
    """The designed population on each backend (SQLite, PostgreSQL)."""
    structure = f"struct-rep-{uuid.uuid4().hex[:6]}"
    people = designs()
    directory(backend.registry)
    write(backend.registry, [story(d, structure) for d in people] + outsiders(structure))
    with Session(backend.registry.engine) as session:
        report = activity_report(session, PERIOD, structure)
    return structure, people, report


def tally(values: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def test_caseload_entries_and_exits(population: tuple[str, list[Design], ActivityReport]) -> None:
    _structure, people, report = population
    active = [d for d in people if d.opened < UNTIL and (d.closed_at is None or d.closed_at >= SINCE)]
    entries = [d for d in active if d.opened >= SINCE]
    exits = [d for d in active if d.closed_at is not None and d.closed_at < UNTIL]
    assert report.file_active == len(active) == 30, "all opened from Oct 2025 to Jun 2026, none closed before Jan"
    assert report.active_at_end == sum(1 for d in active if d.open_at(UNTIL))
    assert report.entries == len(entries)
    assert report.entries_by_route == tally([d.prescriber for d in entries])
    assert report.entries_by_situation == tally([d.situation for d in entries])
    assert report.derogations == sum(1 for d in entries if d.derogation) > 0
    assert report.entries_by_asker == tally([d.asked_by for d in entries]) and set(report.entries_by_asker) == {"person", "employer"}
    assert report.exits == len(exits) == 2
    assert report.exits_by_reason == tally([REASONS[d.i % 3] for d in exits])
    effective = [130 - d.dormant_days(d.closed_at) for d in exits if d.closed_at]
    assert sorted(effective) == [100, 130], "the dormant month of an employee does not count"
    assert report.support_of_exits.median_days == statistics.median(effective)
    assert report.support_of_exits.mean_days == round(statistics.fmean(effective), 1)
    still = [(UNTIL - d.opened).total_seconds() / 86400 - d.dormant_days(UNTIL) for d in active if d.open_at(UNTIL)]
    assert report.support_of_active.median_days == round(statistics.median(still), 1)


def test_services_contacts_requests_and_profiles(population: tuple[str, list[Design], ActivityReport]) -> None:
    _structure, people, report = population
    active = [d for d in people if d.opened < UNTIL and (d.closed_at is None or d.closed_at >= SINCE)]

    in_period = lambda moment: SINCE <= moment < UNTIL  # noqa: E731
    done = services_done(active)
    for service in ("evaluation", "project", "job_search", "in_job_support"):
        assert report.services[service] == sum(1 for d in active if service in done[d.i]), service
    assert report.acts == {
        "evaluations_with_findings": sum(1 for d in active if d.i % 3 and in_period(d.at(20))),
        "projects_with_steps": sum(1 for d in active if d.i % 2 == 0 and in_period(d.at(30))),
        "adaptations": sum(1 for d in active if d.employee and d.i % 10 == 0 and (in_period(d.at(50)) or in_period(d.at(60)))),
        "trainings": sum(1 for d in active if d.hired is not None and in_period(d.at(d.hired + 5))),
    }
    assert report.contacts_by_kind.get("phone", 0) == sum(1 for d in people if in_period(d.at(2)))
    assert report.contacts_by_kind.get("prospection", 0) == sum(1 for d in people if d.prospection and in_period(d.at(d.prospection)))
    mediation = next(line for line in report.employer_requests if line.kind == "mediation")
    expected = sum(1 for d in people if d.employee and in_period(d.at(35)))
    assert (mediation.received, mediation.answered, mediation.answered_in_time) == (expected, expected, expected)
    assert mediation.median_response_hours == 48.0
    adaptation = [line for line in report.employer_requests if line.kind == "workstation_adaptation"]
    late = sum(1 for d in people if d.employee and d.i % 10 == 0 and in_period(d.at(70)))
    assert [(a.received, a.answered, a.median_response_hours) for a in adaptation] == ([(late, 0, None)] if late else [])
    assert report.person_requests == sum(1 for d in people if d.hired and in_period(d.at(d.hired + 10)))
    bands = [(16, 25), (26, 35), (36, 45), (46, 55), (56, 200)]
    ages = [2026 - d.birth_year for d in active]
    assert report.age_bands == tally([next(f"{lo}+" if hi == 200 else f"{lo}-{hi}" for lo, hi in bands if lo <= a <= hi) for a in ages])
    assert report.situations == tally([d.situation for d in active])
    at_end = [d for d in active if d.open_at(UNTIL) and d.phase_at(UNTIL) in ("job_search", "in_job_support")]

    def level(d: Design) -> str:
        sleeping = d.dormant is not None and d.at(d.dormant[0]) < UNTIL and (d.dormant[1] is None or d.at(d.dormant[1]) >= UNTIL)
        return "dormant" if sleeping else "intensive"

    assert report.intensity_at_end == tally([level(d) for d in at_end])
    assert report.phases_at_end == tally([d.phase_at(UNTIL) for d in active if d.open_at(UNTIL)])
    month_ends = [date(2026, m, 1) - timedelta(days=1) for m in range(2, 7)] + [date(2026, 6, 30)]
    assert report.caseload_over_time == [(end, sum(1 for d in active if d.open_at(datetime.combine(end + timedelta(days=1), time(), timezone.utc))))
                                         for end in month_ends]  # fmt: skip


def services_done(active: list[Design]) -> dict[int, set[str]]:
    """The prestations each person received in the period, from the acts designed for them (not the phases they went through)."""
    in_period = lambda moment: SINCE <= moment < UNTIL  # noqa: E731
    done: dict[int, set[str]] = {d.i: set() for d in active}
    for d in active:
        if d.i % 3 and in_period(d.at(20)):
            done[d.i].add("evaluation")
        if d.i % 2 == 0 and in_period(d.at(30)):
            done[d.i].add("project")
        if (d.prospection and in_period(d.at(d.prospection))) or (d.hired is not None and in_period(d.at(d.hired))):
            done[d.i].add("job_search")
        in_job = [d.hired + 5] if d.hired is not None else []
        in_job += [37] + ([50, 60] if d.i % 10 == 0 else []) if d.employee else []
        if any(in_period(d.at(offset)) for offset in in_job):
            done[d.i].add("in_job_support")
    return done


def funder_of(d: Design) -> str:
    """The funder of the employer of the most recent job held during the period."""
    if d.employee:
        return {"public": "fiphfp", "private": "agefiph"}[SECTORS[d.employer or ""] or ""]
    if d.hired is None or d.at(d.hired).date() > PERIOD.end or (d.lost is not None and d.at(d.lost).date() < PERIOD.start):
        return "no_employer"
    return "agefiph" if SECTORS[d.employer or ""] == "private" else "sector_not_recorded"


def test_figures_split_by_funder_prescriber_and_origin(population: tuple[str, list[Design], ActivityReport]) -> None:
    _structure, people, report = population
    active = [d for d in people if d.opened < UNTIL and (d.closed_at is None or d.closed_at >= SINCE)]
    done = services_done(active)
    in_period = lambda moment: SINCE <= moment < UNTIL  # noqa: E731
    for split, key in (("by_funder", funder_of), ("by_route", lambda d: d.prescriber), ("by_origin", lambda d: d.asked_by.value)):
        groups = getattr(report, split)
        assert set(groups) >= {key(d) for d in active}, split
        for name in {key(d) for d in active}:
            mine = [d for d in active if key(d) == name]
            g = groups[name]
            assert g.file_active == len(mine), (split, name)
            assert g.entries == sum(1 for d in mine if d.opened >= SINCE), (split, name)
            assert g.exits == sum(1 for d in mine if d.closed_at is not None and d.closed_at < UNTIL), (split, name)
            assert g.derogations == sum(1 for d in mine if d.opened >= SINCE and d.derogation), (split, name)
            assert g.services == {s: sum(1 for d in mine if s in done[d.i]) for s in ("evaluation", "project", "job_search", "in_job_support")}
    assert set(report.by_funder) >= {"agefiph", "fiphfp", "no_employer", "sector_not_recorded"}, "every case of the design finds its funder"
    assert report.by_funder["fiphfp"].adaptations_funded == sum(1 for d in active if d.employee and d.i % 10 == 0 and in_period(d.at(60)))
    assert report.by_funder["agefiph"].trainings == sum(1 for d in active if d.hired is not None and in_period(d.at(d.hired + 5)))
    assert sum(g.file_active for g in report.by_funder.values()) == report.file_active


def test_people_who_entered_employed_are_in_the_outcomes(population: tuple[str, list[Design], ActivityReport]) -> None:
    _structure, people, report = population
    active = [d for d in people if d.opened < UNTIL and (d.closed_at is None or d.closed_at >= SINCE)]
    employees = [d for d in active if d.employee]

    def still_employed(d: Design) -> bool:
        last = min(d.closed_at.date(), PERIOD.end) if d.closed_at else PERIOD.end
        return d.employee_lost is None or d.at(d.employee_lost).date() > last

    o = report.outcomes
    assert o.entered_employed == len(employees) == 6
    assert o.employed_at_end == sum(1 for d in employees if still_employed(d)) == 5
    assert o.employed_at_end_rate == round(5 / 6, 3)
    assert o.job_ended == sum(1 for d in employees if d.employee_lost and PERIOD.start <= d.at(d.employee_lost).date() <= PERIOD.end)


def test_outcomes_of_people_who_entered_without_a_job(population: tuple[str, list[Design], ActivityReport]) -> None:
    _structure, people, report = population
    active = [d for d in people if d.opened < UNTIL and (d.closed_at is None or d.closed_at >= SINCE)]
    seekers = [d for d in active if not d.employee]
    hired = [d for d in seekers if d.hired is not None and d.at(d.hired).date() <= PERIOD.end]
    jobs = {d.i: (d.at(d.hired).date(), min(d.at(d.lost).date() if d.lost else PERIOD.end, PERIOD.end)) for d in hired if d.hired}
    during = {i: (max(start, PERIOD.start), stop) for i, (start, stop) in jobs.items() if stop >= PERIOD.start}
    o = report.outcomes
    assert o.job_seekers == len(seekers)
    assert o.employed_any_time == len(during) and o.employed_rate == round(len(during) / len(seekers), 3)
    assert report.days_to_first_job == sorted(d.hired for d in hired if d.hired)
    assert o.days_to_first_job.median_days == statistics.median(d.hired for d in hired if d.hired)
    assert o.longest_tenure.median_days == statistics.median((stop - start).days for start, stop in jobs.values())
    assert o.mean_weekly_hours == round(statistics.fmean(20 + d.i for d in hired if d.i in during), 1)
    assert o.weeks_worked == round(sum((stop - start).days + 1 for start, stop in during.values()) / 7, 1)
    eligible = [d for d in seekers if d.at(30) <= UNTIL]
    assert o.first_employer_contact_eligible == len(eligible)
    assert o.first_employer_contact_in_month == sum(1 for d in eligible if d.prospection == 20)


def test_the_html_report_prints_its_figures_and_three_charts(population: tuple[str, list[Design], ActivityReport]) -> None:
    _structure, _people, report = population
    html = render_html(report)
    assert html.count("<svg") == 3
    for title in ("File active en fin de mois", "Répartition par étape en fin de période", "Délai d'accès au premier emploi"):
        assert title in html
    assert f"<td>{report.file_active}</td>" in html and "1er janvier 2026" in html
    assert html.count('class="definition"') >= 40, "a definition under every figure"
    assert "FIPHFP (employeur public)" in html and "Sait organiser" not in html, "no health text in a report"
    assert render_html(report) == html, "the same report renders the same document"


async def test_the_cli_prints_the_report_as_a_table_json_csv_and_html(
    population: tuple[str, list[Design], ActivityReport], backend: Backend, client: Client, tmp_path: Path
) -> None:
    structure, _people, report = population
    cli = Ea(client.service_client.config.target_host, backend.cases.task_queue, backend.url)
    args = ("report", "activity", "--from", "2026-01-01", "--to", "2026-06-30", "--structure", structure)
    figures = await cli.json(*args)
    assert figures["file_active"] == report.file_active and figures["outcomes"] == report.outcomes.model_dump(mode="json")
    rows = list(csv.DictReader(io.StringIO(await cli.ok(*args, "--csv"))))
    file_active = next(r for r in rows if (r["section"], r["figure"]) == ("caseload", "file_active"))
    assert file_active["value"] == str(report.file_active) and file_active["definition"].startswith("Dossiers ouverts à un moment")
    assert all(r["definition"] for r in rows), "every figure has its definition beside it"
    assert any(r["section"] == "by_funder:fiphfp" and r["figure"] == "file_active" for r in rows)
    page = tmp_path / "rapport.html"
    table = await cli.ok(*args, "--html", str(page), "--save")
    assert "file_active" in table and page.read_text(encoding="utf-8").count("<svg") == 3
    stored = (await cli.json("report", "list"))["reports"]
    mine = next(r for r in stored if r["scope"] == structure)
    assert (mine["from"], mine["to"]) == ("2026-01-01", "2026-06-30")
    assert "<svg" in await cli.ok("report", "export", str(mine["id"]))
    backwards = await cli("report", "activity", "--from", "2026-06-30", "--to", "2026-01-01")
    assert backwards.exit_code == 2 and "ends (2026-01-01) before it starts" in backwards.stderr


async def test_the_six_monthly_schedule_stores_the_report_as_a_document(client: Client, task_queue: str, registry: Registry) -> None:
    schedule_id = f"ea-activity-report-{uuid.uuid4().hex[:8]}"
    assert await ensure_schedule(client, schedule_id, report_schedule(task_queue)) == "created"
    handle = client.get_schedule_handle(schedule_id)
    try:
        upcoming = (await handle.describe()).info.next_action_times
        assert upcoming and all((moment.month, moment.day) in ((1, 1), (7, 1)) for moment in upcoming)
        await handle.trigger()
        last_half_year = Period.half_year_before(date.today())

        async def stored() -> Report | None:
            return next((r for r in reporting.stored(registry.engine) if r.scope == "all" and r.period_from == last_half_year.start), None)

        document = await eventually(stored, seconds=30)
        assert document.period_to == last_half_year.end and document.html.count("<svg") == 3
        assert ActivityReport.model_validate(document.figures).period == last_half_year
    finally:
        await handle.delete()
