"""How fast the funders' report and the fidelity self-assessment are on a real-sized platform.

Writes N case lives (default 10,000, about 20 events each: 200,000 events) through the real
journal activity into a fresh registry — SQLite, then PostgreSQL — with employers of both sectors
in the directory, then times the six-monthly activity report and the fidelity report for all
structures and for one, and the HTML rendering with its charts. Target: each under 5 s.
Prints the fidelity table of the whole population and writes its section of docs/PERFORMANCE.md.

    python -m bench.report [--cases 10000] [--repeat 3] [--backends sqlite,postgresql] [--output docs/PERFORMANCE.md]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from activities.documents.report_html import render_fidelity_html, render_html
from activities.registry.database import make_engine
from activities.registry.fidelity import FidelityReport, fidelity_report
from activities.registry.journal import Registry
from activities.registry.report import activity_report
from activities.registry.schema import JournalRow, Organisation
from bench.population import Story, day, write
from bench.web_day import replace_section
from workflows.case.model import AdaptationStage, AskedBy, Derogation, EvaluationFindings, Funder, Intensity, IntensityReason
from workflows.contracts import Period

PERIOD = Period(start=date(2026, 1, 1), end=date(2026, 6, 30))
STRUCTURES = 12
EMPLOYERS = 3000
TARGET_SECONDS = 5.0
SECTION = "## Funders' and fidelity reports"


def employer(n: int) -> str:
    return f"emp-{n:04d}"


def sector(n: int) -> str | None:
    """Two employers in three private, one in four public; the rest without a sector recorded."""
    return ("private", "private", "public", None)[n % 4] if n % 12 else None


def life(n: int, rng: random.Random) -> Story:
    """A plausible journey over three years: entry, the four prestations as acts, contacts, a job or not."""
    opened = day(date(2023, 7, 1) + timedelta(days=rng.randrange(3 * 365)))
    employee = rng.random() < 0.3
    asked_by = rng.choice([AskedBy.EMPLOYER, AskedBy.PERSON]) if employee else rng.choice([AskedBy.PERSON, AskedBy.PRESCRIBER])
    s = Story(f"B{n:07d}", f"struct-{n % STRUCTURES:02d}", opened, rng.randrange(1960, 2008),
              "employee" if employee else rng.choice(["rqth", "esat"]), referent_id=f"ref-{n % 600:03d}",
              employer_id=employer(n % EMPLOYERS) if employee else None, asked_by=asked_by)  # fmt: skip
    derogation = Derogation(reason="RQTH en cours", authorised_by="coordinator:c", waived=["situation_not_open"]) if rng.random() < 0.05 else None
    findings = EvaluationFindings(tools=["entretien"]) if rng.random() < 0.8 else None
    at = opened
    for step in (s.consent, lambda t: s.prescribe(t, rng.choice(["cdaph", "france_travail", "cap_emploi", "mission_locale"]), derogation),
                 lambda t: s.contact(t, "interview"), s.sign, lambda t: s.evaluate(t, findings),
                 lambda t: s.agree_project(t, rng.choice([0, 2, 3]))):  # fmt: skip
        at += timedelta(days=rng.randrange(2, 20))
        step(at)
    for _ in range(rng.randrange(4, 11)):
        at += timedelta(days=rng.randrange(5, 30))
        if not employee and s.employer_id is None and rng.random() < 0.25:
            s.hire(at, employer(rng.randrange(EMPLOYERS)), rng.choice([None, 15.0, 24.0, 35.0]))
        elif s.employer_id and rng.random() < 0.2:
            request_id = s.employer_request(at, rng.choice(["mediation", "workstation_adaptation", "training_need"]))
            s.respond(at + timedelta(hours=rng.randrange(4, 150)), request_id)
        elif s.employer_id and rng.random() < 0.1:
            s.adapt(at, f"adapt-{len(s.adaptations) + 1}", AdaptationStage.PROPOSED)
            s.adapt(at + timedelta(days=20), f"adapt-{len(s.adaptations)}", AdaptationStage.FUNDED, rng.choice([Funder.AGEFIPH, Funder.FIPHFP]))
        elif rng.random() < 0.05:
            s.train(at, f"formation-{rng.randrange(50)}", funder=rng.choice([Funder.AGEFIPH, Funder.OPCO, None]))
        else:
            s.contact(at, rng.choice(["interview", "phone", "workplace"]) if s.employer_id or rng.random() < 0.6 else "prospection",
                      None if s.employer_id is None else s.employer_id)  # fmt: skip
        if rng.random() < 0.3:
            s.review(at)
    if rng.random() < 0.3:
        s.set_intensity(at, Intensity.LIGHT if rng.random() < 0.7 else Intensity.DORMANT, IntensityReason.STABLE_SITUATION)
    if rng.random() < 0.35:
        s.close(at + timedelta(days=rng.randrange(10, 200)), rng.choice(["goals_reached", "persons_choice", "moved_away", "other"]))
    return s


def fill(engine: Engine, cases: int) -> int:
    """The registry with its employers and `cases` case lives; returns the number of journal events."""
    registry = Registry(engine)
    registry.migrate()
    with Session(engine) as session, session.begin():
        session.add_all(Organisation(id=employer(n), kind="employer", name=f"Employeur {n}", sector=sector(n)) for n in range(EMPLOYERS))
    rng = random.Random(11)
    for start in range(0, cases, 1000):
        write(registry, [life(n, rng) for n in range(start, min(start + 1000, cases))])
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(JournalRow)) or 0


def median_seconds(engine: Engine, produce: Callable[[Session], Any], repeat: int) -> tuple[float, Any]:
    runs, result = [], None
    for _ in range(repeat):
        with Session(engine) as session:
            began = time.perf_counter()
            result = produce(session)
            runs.append(time.perf_counter() - began)
    return statistics.median(runs), result


@contextmanager
def database(backend: str) -> Iterator[Engine]:
    """A fresh, empty registry database on this backend."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            engine = make_engine(f"sqlite:///{Path(directory) / 'report.db'}")
            yield engine
            engine.dispose()
        return
    from tests.harness import fresh_database, postgres_cluster  # the tests' own PostgreSQL, started for the bench

    with postgres_cluster() as admin:
        engine = make_engine(fresh_database(admin))
        yield engine
        engine.dispose()


def fidelity_table(report: FidelityReport) -> list[str]:
    lines = ["| item | score | met / counted | unit | detail |", "|---|---|---|---|---|"]
    for item in report.items:
        score = "—" if item.score is None else f"{item.score:.0%}"
        detail = ", ".join(f"{k} {'—' if v is None else v}" for k, v in item.detail.items())
        lines.append(f"| {item.key} | {score} | {item.met:,} / {item.counted:,} | {item.unit} | {detail} |")
    lines.append("")
    lines.append("Not measurable here: " + "; ".join(f"{n.key} ({n.needs})" for n in report.not_measurable))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backends", default="sqlite", help="sqlite, postgresql, or both separated by a comma")
    parser.add_argument("--output", type=Path, help="Write the figures as a section of this file (docs/PERFORMANCE.md).")
    args = parser.parse_args()
    rows, fidelity, worst = [], None, 0.0
    for backend in args.backends.split(","):
        with database(backend) as engine:
            began = time.perf_counter()
            events = fill(engine, args.cases)
            print(f"{backend}: filled {args.cases:,} cases, {events:,} events in {time.perf_counter() - began:.0f} s", flush=True)
            for label, structure in (("all structures", None), ("one structure", "struct-03")):
                for name, produce in (("activity", activity_report), ("fidelity", fidelity_report)):
                    seconds, report = median_seconds(engine, lambda session: produce(session, PERIOD, structure), args.repeat)
                    worst = max(worst, seconds)
                    rows.append(f"| {name} report, {label} | {backend} | {seconds:.2f} s | {'yes' if seconds < TARGET_SECONDS else '**no**'} |")
                    print(f"{backend}: {name} report, {label}: {seconds:.2f} s (median of {args.repeat})", flush=True)
                    fidelity = report if name == "fidelity" and structure is None else fidelity
            with Session(engine) as session:
                activity, fidelity = activity_report(session, PERIOD), fidelity_report(session, PERIOD)
            for name, render in (("activity", lambda: render_html(activity)), ("fidelity", lambda: render_fidelity_html(fidelity))):
                began = time.perf_counter()
                render()
                rows.append(f"| {name} HTML with its charts | {backend} | {time.perf_counter() - began:.2f} s | — |")
                print(f"{backend}: {name} HTML with its charts: {time.perf_counter() - began:.2f} s", flush=True)
    assert fidelity is not None
    table = fidelity_table(fidelity)
    print("\n".join(table))
    verdict = "met" if worst < TARGET_SECONDS else "NOT met"
    print(f"slowest report {worst:.2f} s for {args.cases:,} cases and {events:,} events: target < {TARGET_SECONDS:.0f} s {verdict}")
    if args.output is None:
        return
    text = "\n".join([
        SECTION, "",
        f"`python -m bench.report`: {args.cases:,} cases and {events:,} journal events ({PERIOD.start} to {PERIOD.end}, median of "
        f"{args.repeat} runs). Slowest report {worst:.2f} s: target < {TARGET_SECONDS:.0f} s {verdict}.", "",
        "| measure | backend | time | target met |", "|---|---|---|---|", *rows, "",
        "The fidelity self-assessment of the bench population, all structures:", "", *table, "",
    ])  # fmt: skip
    replace_section(args.output, text, SECTION)
    print(f"wrote the section {SECTION!r} of {args.output}")


if __name__ == "__main__":
    main()
