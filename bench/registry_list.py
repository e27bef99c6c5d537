"""How fast the registry lists a page of cases among many (issue: queries with indexes).

Fills a fresh SQLite registry with N cases (default 100,000), then times one page (50 rows) of
cases by phase, by référent and deep in the list (keyset pagination), with our indexes and —
the baseline, in the same run, on the same rows — without them.

    python -m bench.registry_list [--rows 100000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, and_, insert, or_, select, text
from sqlalchemy.orm import Session

from activities.registry.database import make_engine
from activities.registry.migrate import migrate
from activities.registry.queries import CaseFilter
from activities.registry.schema import Case
from workflows.case.model import Phase

PHASES = [p.value for p in Phase]
OUR_INDEXES = ("ix_cases_phase_opened", "ix_cases_structure_phase", "ix_cases_referent_phase", "ix_cases_next_review")


@dataclass(frozen=True)
class PageMark:
    """Where the previous page ended: the next page starts after it."""

    opened_at: datetime
    case_id: str


def list_cases(session: Session, where: CaseFilter, *, limit: int = 50, after: PageMark | None = None) -> list[Case]:
    """One page of cases in a stable order (keyset pagination), as a case list would ask for it."""
    query = where.apply(select(Case))
    if after is not None:
        query = query.where(
            or_(Case.opened_at > after.opened_at, and_(Case.opened_at == after.opened_at, Case.id > after.case_id))
        )
    return list(session.scalars(query.order_by(Case.opened_at, Case.id).limit(limit)))


def fill(engine: Engine, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    batch = []
    with engine.begin() as connection:
        for n in range(rows):
            opened = start + timedelta(minutes=n * 3)
            batch.append({
                "id": f"C{n:07d}", "structure_id": f"struct-{n % 40:02d}", "phase": rng.choice(PHASES),
                "referent_id": f"ref-{n % 2000:04d}", "employer_id": f"emp-{n % 5000:04d}", "opened_at": opened,
                "updated_at": opened, "open_requests": 0, "overdue": False, "last_seq": 1,
            })  # fmt: skip
            if len(batch) == 5000:
                connection.execute(insert(Case), batch)
                batch.clear()
        if batch:
            connection.execute(insert(Case), batch)
        connection.execute(text("ANALYZE"))


def timed(engine: Engine, query: Callable[[Session], list[Case]], repeat: int) -> tuple[float, int]:
    """Median milliseconds of `repeat` runs, each in a fresh session (no ORM cache)."""
    durations, found = [], 0
    for _ in range(repeat):
        with Session(engine) as session:
            began = time.perf_counter()
            found = len(query(session))
            durations.append((time.perf_counter() - began) * 1000)
    return statistics.median(durations), found


def queries(engine: Engine) -> dict[str, Callable[[Session], list[Case]]]:
    with Session(engine) as session:
        middle = list_cases(session, CaseFilter(phase="in_job_support"), limit=1, after=None)[0]
    deep = PageMark(middle.opened_at + timedelta(days=100), middle.id)
    return {
        "first page, phase = in_job_support": lambda s: list_cases(s, CaseFilter(phase="in_job_support")),
        "deep page (keyset), phase = job_search": lambda s: list_cases(s, CaseFilter(phase="job_search"), after=deep),
        "first page, référent ref-0042": lambda s: list_cases(s, CaseFilter(referent_id="ref-0042")),
        "first page, structure + phase": lambda s: list_cases(s, CaseFilter(structure_id="struct-07", phase="evaluation")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'bench.db'}")
        migrate(engine)
        began = time.perf_counter()
        fill(engine, args.rows)
        print(f"filled {args.rows:,} cases in {time.perf_counter() - began:.1f} s (SQLite file, WAL)")
        indexed = {name: timed(engine, query, args.repeat) for name, query in queries(engine).items()}
        with engine.begin() as connection:
            for index in OUR_INDEXES:
                connection.execute(text(f"DROP INDEX {index}"))
        baseline = {name: timed(engine, query, args.repeat) for name, query in queries(engine).items()}
        engine.dispose()

    print(f"\n{'query (50 rows a page)':45} {'indexed ms':>11} {'no index ms':>12} {'ratio':>7}")
    for name, (ms, found) in indexed.items():
        base_ms, _ = baseline[name]
        print(f"{name:45} {ms:11.2f} {base_ms:12.2f} {ms / base_ms:7.3f}   ({found} rows)")
    worst = max(ms for ms, _ in indexed.values())
    print(f"\nslowest indexed page: {worst:.2f} ms (target < 100 ms)")


if __name__ == "__main__":
    main()
