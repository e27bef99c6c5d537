"""The fidelity self-assessment on a designed structure whose every answer is known in advance
(counted by hand below, never by the report's code), on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path
from datetime import date, datetime, timezone

import pytest
from sqlalchemy.orm import Session

from activities.documents.report_html import render_fidelity_html
from activities.registry.fidelity import FidelityItem, FidelityReport, fidelity_report
from activities.registry.journal import Registry
from bench.population import Story, day, write
from tests.cli_runner import Ea
from tests.conftest import Backend
from tests.web_harness import Browser, Staff
from web.state import Web
from workflows.case.model import Intensity, IntensityReason
from workflows.contracts import Period

PERIOD = Period(start=date(2026, 1, 1), end=date(2026, 6, 30))
PRODUCED = datetime(2026, 12, 1, tzinfo=timezone.utc)
MONTHS = [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]


def d(month: int, on: int, year: int = 2026) -> datetime:
    return day(date(year, month, on))


def structure_of_known_answers(structure: str) -> dict[str, Story]:
    """23 dormant employees (21 with ref-full, 2 with ref-ok; one moves on 10 February) and six people with a story each."""
    s: dict[str, Story] = {}
    for n in range(23):
        bulk = Story(f"F{uuid.uuid4().hex[:10]}", structure, d(11, 15, 2025), 1980, "employee",
                     referent_id="ref-full" if n < 21 else "ref-ok", employer_id="emp-bulk")  # fmt: skip
        bulk.set_intensity(d(11, 20, 2025), Intensity.DORMANT, IntensityReason.NO_NEED_FOR_NOW)
        if n == 0:
            bulk.assign(d(2, 10), "ref-ok")
        s[f"bulk-{n}"] = bulk
    fast = s["fast"] = Story(f"F{uuid.uuid4().hex[:10]}", structure, d(1, 5), 1990, "rqth")
    fast.prescribe(d(1, 6), "cdaph")
    fast.contact(d(1, 10), "interview")
    fast.contact(d(1, 20), "prospection", "emp-prospect")
    for month, on in ((3, 15), (5, 10), (6, 25)):
        fast.contact(d(month, on), "phone")
    slow = s["slow"] = Story(f"F{uuid.uuid4().hex[:10]}", structure, d(2, 1), 1991, "esat")
    slow.prescribe(d(2, 2), "france_travail")
    slow.contact(d(3, 1), "interview")
    slow.contact(d(3, 15), "prospection", "emp-prospect")
    late = s["late"] = Story(f"F{uuid.uuid4().hex[:10]}", structure, d(6, 20), 1992, "rqth")
    late.prescribe(d(6, 21), "mission_locale")
    late.contact(d(6, 25), "phone")
    employee = s["employee"] = Story(f"F{uuid.uuid4().hex[:10]}", structure, d(1, 3), 1975, "employee", employer_id="emp-f")
    employee.prescribe(d(1, 4), "cap_emploi")
    employee.contact(d(1, 8), "interview")
    employee.sign(d(1, 9))
    employee.evaluate(d(1, 10))
    employee.agree_project(d(1, 11))  # in-job support: intensive
    first = employee.employer_request(d(2, 1), "mediation")
    employee.respond(d(2, 3), first)
    employee.review(d(2, 15))
    second = employee.employer_request(d(3, 1), "mediation")
    employee.respond(d(3, 10), second)
    employee.set_intensity(d(3, 20), Intensity.LIGHT, IntensityReason.STABLE_SITUATION)
    employee.contact(d(4, 1), "workplace", "emp-f")
    employee.late_review(d(4, 15), d(4, 22), d(5, 1))
    employee.contact(d(5, 20), "employer", "emp-f")
    employee.employer_request(d(6, 28), "training_need")  # due 3 July: after the period
    for name, closed, reason in (("closed_other", d(3, 1), "other"), ("closed_goals", d(4, 1), "goals_reached")):
        ended = s[name] = Story(f"F{uuid.uuid4().hex[:10]}", structure, d(12, 1, 2025), 1985, "rqth")
        ended.close(closed, reason)
    return s


@pytest.fixture(scope="module")
def assessed(backend: Backend) -> tuple[str, dict[str, Story], FidelityReport]:
    structure = f"struct-fid-{uuid.uuid4().hex[:6]}"
    stories = structure_of_known_answers(structure)
    write(backend.registry, list(stories.values()))
    with Session(backend.registry.engine) as session:
        report = fidelity_report(session, PERIOD, structure, PRODUCED)
    return structure, stories, report


def item(report: FidelityReport, key: str) -> FidelityItem:
    return next(i for i in report.items if i.key == key)


def ids(stories: dict[str, Story], *names: str) -> list[str]:
    return sorted(stories[name].case_id for name in names)


def test_caseload_counts_each_referent_at_each_month_end(assessed: tuple[str, dict[str, Story], FidelityReport]) -> None:
    _structure, _stories, report = assessed
    caseload = item(report, "caseload")
    assert (caseload.counted, caseload.met, caseload.score) == (12, 11, round(11 / 12, 3)), "two référents, six month ends"
    assert caseload.short == ["ref-full@2026-01-31:21"] and caseload.ids == ["ref-full", "ref-ok"]
    assert caseload.monthly == [(MONTHS[0], 0.5)] + [(end, 1.0) for end in MONTHS[1:]]


def test_employer_contact_closures_contacts_requests_and_reviews(assessed: tuple[str, dict[str, Story], FidelityReport]) -> None:
    _structure, s, report = assessed
    first = item(report, "first_employer_contact")
    assert (first.counted, first.met, first.ids, first.short) == (2, 1, ids(s, "fast", "slow"), ids(s, "slow"))
    unlimited = item(report, "time_unlimited")
    assert (unlimited.counted, unlimited.met, unlimited.short) == (2, 1, ids(s, "closed_other"))
    community = item(report, "community_contacts")
    assert (community.counted, community.met, community.score) == (11, 4, round(4 / 11, 3))
    assert community.ids == ids(s, "fast", "slow", "late", "employee") and community.short == ids(s, "late")
    requests = item(report, "requests_in_time")
    assert (requests.counted, requests.met, requests.short) == (2, 1, ids(s, "employee"))
    assert requests.monthly == [(MONTHS[0], None), (MONTHS[1], 1.0), (MONTHS[2], 0.0), (MONTHS[3], None), (MONTHS[4], None), (MONTHS[5], None)]
    reviews = item(report, "reviews_on_time")
    assert (reviews.counted, reviews.met, reviews.detail) == (2, 1, {"intensive": 1.0, "light": 0.0})


def test_first_meeting_and_continuity(assessed: tuple[str, dict[str, Story], FidelityReport]) -> None:
    _structure, s, report = assessed
    meeting = item(report, "first_meeting")
    assert (meeting.counted, meeting.met, meeting.detail) == (4, 2, {"median_days": 4.0})
    assert meeting.short == ids(s, "slow", "late"), "27 days; no interview at all"
    assert [score for _end, score in meeting.monthly] == [1.0, 0.0, None, None, None, 0.0]
    continuity = item(report, "continuity")
    assert (continuity.counted, continuity.met) == (29, 27), "the dormant months are no silence; 90 days is allowed"
    assert continuity.short == ids(s, "slow", "closed_goals")


def test_what_the_registry_cannot_measure_is_listed_not_guessed(assessed: tuple[str, dict[str, Story], FidelityReport]) -> None:
    _structure, _stories, report = assessed
    assert {n.key for n in report.not_measurable} >= {"zero_exclusion", "care_team", "supervision"}
    assert all(n.needs for n in report.not_measurable)
    assert all(item.rule and item.unit for item in report.items)


def test_the_html_has_a_chart_per_item_and_ids_only(assessed: tuple[str, dict[str, Story], FidelityReport]) -> None:
    _structure, s, report = assessed
    html = render_fidelity_html(report)
    assert html.count("<svg") == len(report.items) == 8
    assert s["slow"].case_id in html and "Non mesurable ici" in html and "Règle" in html
    assert render_fidelity_html(report) == html


async def test_the_cli_prints_stores_and_exports_the_fidelity_report(cli: Ea, registry: Registry, tmp_path: Path) -> None:
    structure = f"struct-fid-cli-{uuid.uuid4().hex[:6]}"
    stories = structure_of_known_answers(structure)
    write(registry, list(stories.values()))
    args = ("report", "fidelity", "--from", "2026-01-01", "--to", "2026-06-30", "--structure", structure)
    figures = await cli.json(*args)
    assert [i["key"] for i in figures["items"]][:2] == ["caseload", "first_employer_contact"]
    rows = list(csv.DictReader(io.StringIO(await cli.ok(*args, "--csv"))))
    short = next(r for r in rows if r["item"] == "first_employer_contact" and r["figure"] == "short_ids")
    assert short["value"] == stories["slow"].case_id and short["rule"].startswith("Parmi les personnes entrées sans emploi")
    assert any(r["figure"] == "not_measurable" and r["item"] == "care_team" for r in rows)
    page = tmp_path / "fidelite.html"
    table = await cli.ok(*args, "--html", str(page), "--save")
    assert "caseload" in table and page.read_text(encoding="utf-8").count("<svg") == 8
    mine = next(r for r in (await cli.json("report", "list"))["reports"] if r["scope"] == structure)
    assert mine["kind"] == "fidelity"
    assert "Auto-évaluation de la fidélité" in await cli.ok("report", "export", str(mine["id"]))
    assert '"not_measurable"' in await cli.ok("report", "export", str(mine["id"]), "--format", "json")



async def test_the_staff_application_shows_the_structures_fidelity_to_coordinators_only(web: Web, staff: Staff, registry: Registry) -> None:
    stories = structure_of_known_answers(staff.structure_a)
    write(registry, list(stories.values()))
    coordinator, referent = Browser(web, address="10.22.0.1"), Browser(web, address="10.22.0.2")
    await coordinator.sign_in(staff.emails["coordinator_a"])
    await referent.sign_in(staff.emails["referent_a"])
    try:
        form = await coordinator.get("/fidelite")
        assert form.status_code == 200 and 'href="/fidelite"' in form.text and "Calculer" in form.text
        shown = await coordinator.get("/fidelite?du=2026-01-01&au=2026-06-30")
        assert shown.status_code == 200 and "Portefeuille par référent" in shown.text and "ref-full@2026-01-31:21" in shown.text
        assert stories["slow"].case_id in shown.text and "Non mesurable ici" in shown.text
        document = await coordinator.get("/fidelite/document?du=2026-01-01&au=2026-06-30")
        assert document.status_code == 200 and document.text.count("<svg") == 8 and "<script" not in document.text
        assert (await coordinator.get("/fidelite?du=2026-06-30&au=2026-01-01")).status_code == 422
        assert (await referent.get("/fidelite")).status_code == 403
    finally:
        await coordinator.close()
        await referent.close()
