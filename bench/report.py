"""How fast the funders' report is on a real-sized platform (issue: caseload and report).

Writes N case lives (default 10,000, about 20 events each: 200,000 events) through the real
journal activity into a fresh SQLite registry, then times the six-monthly activity report for
all structures and for one, and the HTML rendering with its charts. Target: under 5 s.

    python -m bench.report [--cases 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from activities.registry.database import make_engine
from activities.registry.journal import Registry
from activities.registry.report import activity_report
from activities.documents.report_html import render_html
from activities.registry.schema import JournalRow
from bench.population import Story, day, write
from workflows.case.model import Intensity, IntensityReason
from workflows.contracts import Period

PERIOD = Period(start=date(2026, 1, 1), end=date(2026, 6, 30))
STRUCTURES = 12
TARGET_SECONDS = 5.0


def life(n: int, rng: random.Random) -> Story:
    """A plausible journey over three years: entry, the four prestations, contacts, a job or not."""
    opened = day(date(2023, 7, 1) + timedelta(days=rng.randrange(3 * 365)))
    employee = rng.random() < 0.3
    s = Story(f"B{n:07d}", f"struct-{n % STRUCTURES:02d}", opened, rng.randrange(1960, 2008),
              "employee" if employee else rng.choice(["rqth", "esat"]), referent_id=f"ref-{n % 600:03d}",
              employer_id=f"emp-{n % 3000:04d}" if employee else None)  # fmt: skip
    at = opened
    for step in (s.consent, lambda t: s.prescribe(t, rng.choice(["cdaph", "france_travail", "cap_emploi", "mission_locale"])),
                 s.sign, s.evaluate, s.agree_project):  # fmt: skip
        at += timedelta(days=rng.randrange(2, 20))
        step(at)
    for _ in range(rng.randrange(4, 11)):
        at += timedelta(days=rng.randrange(5, 30))
        if not employee and s.employer_id is None and rng.random() < 0.25:
            s.hire(at, f"emp-{rng.randrange(3000):04d}", rng.choice([None, 15.0, 24.0, 35.0]))
        elif s.employer_id and rng.random() < 0.2:
            request_id = s.employer_request(at, rng.choice(["mediation", "workstation_adaptation", "training_need"]))
            s.respond(at + timedelta(hours=rng.randrange(4, 150)), request_id)
        else:
            s.contact(at, rng.choice(["interview", "phone", "workplace"]) if s.employer_id or rng.random() < 0.6 else "prospection",
                      None if s.employer_id is None else s.employer_id)  # fmt: skip
        if rng.random() < 0.3:
            s.review(at)
    if rng.random() < 0.3:
        s.set_intensity(at, Intensity.LIGHT if rng.random() < 0.7 else Intensity.DORMANT, IntensityReason.STABLE_SITUATION)
    if rng.random() < 0.35:
        s.close(at + timedelta(days=rng.randrange(10, 200)), rng.choice(["goals_reached", "persons_choice", "moved_away"]))
    return s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'report.db'}")
        registry = Registry(engine)
        registry.migrate()
        rng = random.Random(11)
        began, events = time.perf_counter(), 0
        for start in range(0, args.cases, 1000):
            events += write(registry, [life(n, rng) for n in range(start, min(start + 1000, args.cases))])
            print(f"  written {min(start + 1000, args.cases):,} cases, {events:,} events", flush=True)
        with Session(engine) as session:
            stored = session.scalar(select(func.count()).select_from(JournalRow))
        print(f"filled {args.cases:,} cases, {stored:,} events in {time.perf_counter() - began:.0f} s")
        timings = {}
        for label, structure in (("all structures", None), ("one structure", "struct-03")):
            runs = []
            for _ in range(args.repeat):
                with Session(engine) as session:
                    t0 = time.perf_counter()
                    report = activity_report(session, PERIOD, structure)
                    runs.append(time.perf_counter() - t0)
            timings[label] = statistics.median(runs)
            print(f"report, {label}: {timings[label]:.2f} s (median of {args.repeat}; file active {report.file_active:,})")
        t0 = time.perf_counter()
        render_html(report)
        print(f"HTML with three charts: {time.perf_counter() - t0:.2f} s")
        worst = max(timings.values())
        verdict = "met" if worst < TARGET_SECONDS else "NOT met"
        print(f"slowest report {worst:.2f} s for {args.cases:,} cases and {stored:,} events: target < {TARGET_SECONDS:.0f} s {verdict}")
        engine.dispose()


if __name__ == "__main__":
    main()
