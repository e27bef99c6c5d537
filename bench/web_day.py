"""How fast a référent's and a coordinator's pages answer on a real-sized registry (issue: web app).

Writes 20,000 case lives through the real journal activity into a fresh SQLite registry — 2,000
open cases on one structure (100 référents, about 20 each), 18,000 on ten others, a third of them
closed — then signs in over HTTP (the application in-process, httpx over ASGI) and times « Ma
journée » and « Mon portefeuille » for a référent and for the structure's coordinator.
Target: p95 under 200 ms. Writes its section of docs/PERFORMANCE.md.

    python -m bench.web_day [--cases 20000] [--repeat 100]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from activities.registry import accounts
from activities.registry.database import make_engine
from activities.registry.directory import ReferentEntry, StructureEntry, upsert
from activities.registry.journal import Registry
from bench.population import Story, day, write

TARGET_MS = 200.0
STRUCTURE = "struct-day"
REFERENTS = 100
PASSWORD = "bench password 2026"
SECTION = "## Staff web application"


def life(n: int, rng: random.Random, open_here: int) -> Story:
    """The first `open_here` lives are open cases of the measured structure, the rest elsewhere."""
    here = n < open_here
    structure = STRUCTURE if here else f"struct-{n % 10:02d}"
    referent = f"ref-day-{n % REFERENTS:03d}" if here else f"ref-{n % 500:03d}"
    opened = day(date(2024, 1, 1) + timedelta(days=rng.randrange(2 * 365)))
    s = Story(f"W{n:07d}", structure, opened, rng.randrange(1960, 2006), rng.choice(["rqth", "esat"]), referent_id=referent)
    at = opened
    for step in (s.consent, lambda t: s.prescribe(t, "cdaph"), s.sign, s.evaluate, s.agree_project):
        at += timedelta(days=rng.randrange(2, 15))
        step(at)
    for _ in range(rng.randrange(3, 9)):
        at += timedelta(days=rng.randrange(5, 40))
        if s.employer_id is None and rng.random() < 0.2:
            s.hire(at, f"emp-{rng.randrange(2000):04d}", 24.0)
        elif s.employer_id and rng.random() < 0.3:
            request_id = s.employer_request(at, "mediation")
            if rng.random() < 0.7:
                s.respond(at + timedelta(hours=30), request_id)
        else:
            s.contact(at, "interview")
        if rng.random() < 0.4:
            s.review(at)
    if not here and rng.random() < 0.35:
        s.close(at + timedelta(days=30), "goals_reached")
    return s


async def time_pages(registry_url: str, referent_email: str, coordinator_email: str, repeat: int) -> dict[str, list[float]]:
    import httpx

    from starter.settings import ServerUnreachable
    from web.app import create_app
    from web.settings import WebSettings
    from web.state import Web

    async def no_temporal():  # type: ignore[no-untyped-def]  # these pages read only the registry
        raise ServerUnreachable("not needed")

    web = Web(registry=make_engine(registry_url), connect=no_temporal, task_queue="bench", settings=WebSettings(), capacity=20)
    timings: dict[str, list[float]] = {}
    for who, email in (("référent", referent_email), ("coordinator", coordinator_email)):
        transport = httpx.ASGITransport(app=create_app(web), client=(f"10.9.0.{len(timings) + 1}", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as browser:
            form = await browser.get("/connexion")
            token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
            signed = await browser.post("/connexion", data={"csrf": token, "email": email, "password": PASSWORD})
            assert signed.status_code == 303, signed.status_code
            for path, name in (("/ma-journee", "my day"), ("/portefeuille", "my caseload")):
                samples = timings.setdefault(f"{name} ({who})", [])
                await browser.get(path)  # warm: templates compiled, connections open
                for _ in range(repeat):
                    began = time.perf_counter()
                    response = await browser.get(path)
                    samples.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200, (path, response.status_code)
    return timings


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20)[-1]


def section(timings: dict[str, list[float]], cases: int, open_here: int, events: int, command: str) -> str:
    lines = [SECTION, "",
             f"`{command}` on this machine: {cases:,} cases and {events:,} journal events in a SQLite registry, "
             f"{open_here:,} open cases on the measured structure ({REFERENTS} référents). Each page is fetched over HTTP "
             "(in-process ASGI) as a signed-in browser does, session check and access control included.", "",
             "| page | p50 | p95 | target p95 | target met |", "|---|---|---|---|---|"]  # fmt: skip
    for name, samples in timings.items():
        high = p95(samples)
        lines.append(f"| {name} | {statistics.median(samples):.1f} ms | {high:.1f} ms | < {TARGET_MS:.0f} ms | {'yes' if high < TARGET_MS else '**no**'} |")
    return "\n".join(lines) + "\n"


def replace_section(path: Path, text: str, section: str = SECTION) -> None:
    """Put a benchmark's section in PERFORMANCE.md, in place of its previous one."""
    previous = path.read_text() if path.exists() else ""
    if section in previous:
        before, _, rest = previous.partition(section)
        after = rest[rest.find("\n## "):] if "\n## " in rest else ""
        previous = before.rstrip("\n") + "\n\n" + text + after
    else:
        previous = previous.rstrip("\n") + "\n\n" + text
    path.write_text(previous)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--open-here", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--output", type=Path, default=Path("docs/PERFORMANCE.md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ea-web-bench-") as directory:
        url = f"sqlite:///{Path(directory) / 'registry.db'}"
        engine = make_engine(url)
        registry = Registry(engine)
        registry.migrate()
        upsert(engine, StructureEntry(id=STRUCTURE, name="Plateforme mesurée"))
        for n in range(REFERENTS):
            upsert(engine, ReferentEntry(id=f"ref-day-{n:03d}", name=f"Référent {n:03d}", structure_id=STRUCTURE))
        now = datetime.now(timezone.utc)
        accounts.add_account(engine, email="ref@bench.fr", name="Référent mesuré", role=accounts.StaffRole.REFERENT, password=PASSWORD,
                             now=now, referent_id="ref-day-000")  # fmt: skip
        accounts.add_account(engine, email="coord@bench.fr", name="Coordinateur mesuré", role=accounts.StaffRole.COORDINATOR,
                             password=PASSWORD, now=now, structure_id=STRUCTURE)  # fmt: skip
        rng, events, began = random.Random(5), 0, time.perf_counter()
        for start in range(0, args.cases, 1000):
            events += write(registry, [life(n, rng, args.open_here) for n in range(start, min(start + 1000, args.cases))])
        print(f"wrote {args.cases:,} cases ({events:,} events) in {time.perf_counter() - began:.0f} s")
        timings = asyncio.run(time_pages(url, "ref@bench.fr", "coord@bench.fr", args.repeat))
    command = "python -m bench.web_day" + ("" if args.cases == 20_000 else f" --cases {args.cases}")
    text = section(timings, args.cases, args.open_here, events, command)
    print(text)
    replace_section(args.output, text)
    print(f"wrote its section of {args.output}")


if __name__ == "__main__":
    main()
