"""What a case costs, against raw Temporal doing the same amount of work (issue: benchmarks).

In one run, on one dev server (a SQLite file, as `make run`) and one worker process:
1. full journeys, ours against a baseline workflow with the same updates, activities and timers;
2. the latency of an employer request with many cases open;
3. many cases open in in-job support: the worker's peak memory and the time to open them;
4. a case over ten years of monthly reviews: events per run (continue-as-new keeps it bounded);
5. a page of the registry's list of cases among 100,000 rows.
Prints a table and writes docs/PERFORMANCE.md.

    python -m bench.journeys            # the real sizes (about 10 minutes on 2 cores)
    python -m bench.journeys --quick    # small sizes, under a minute (run by the tests)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHistory

from activities.registry.database import make_engine
from activities.documents.rendering import Renderer
from activities.registry.migrate import migrate
from activities.registry.queries import CaseFilter
from activities.registry.schema import Document
from bench import registry_list
from bench.baseline import BaselineWorkflow
from starter.cases import apply_step, open_case, workflow_id
from starter.devserver import DevServer, free_port, stop
from workflows.encryption import Keyring, encrypted_converter
from starter.scripted import CALM, COORDINATOR, TODAY, Cases, cdaph
from workflows.accompaniment import AccompanimentWorkflow
from workflows.accompaniment import CaseInput
from workflows.case.model import Actor, ActorRole, CaseState, ContractType, Employment, Intensity, OpenCase, Party, Phase, ReviewSchedule, Situation, Step, SubmitEmployerRequest

JOURNEY = [
    (Step.GIVE_CONSENT, {"given_on": TODAY}, False),
    (Step.RECORD_PRESCRIPTION, {"prescription": cdaph()}, True),  # the convention (PDF)
    (Step.SIGN_CONVENTION, {"party": Party.BENEFICIARY, "signed_on": TODAY}, False),
    (Step.SIGN_CONVENTION, {"party": Party.STRUCTURE, "signed_on": TODAY}, False),
    (Step.SUBMIT_EVALUATION, {"completed_on": TODAY}, True),
    (Step.SUBMIT_PROJECT, {"agreed_on": TODAY}, True),
    (Step.RECORD_HIRING, {"employer_id": "emp-bench", "contract_type": ContractType.CDI, "start_date": TODAY, "weekly_hours": 24}, True),
    (Step.COMPLETE_REVIEW, {"held_on": TODAY}, True),
    (Step.COMPLETE_REVIEW, {"held_on": TODAY}, True),
    (Step.COMPLETE_REVIEW, {"held_on": TODAY}, True),
]  # fmt: skip
"""Open → consent → prescription → convention → evaluation → project → job search → hiring → reviews."""
DOCUMENTS = sum(1 for *_step, renders in JOURNEY if renders)


@dataclass(frozen=True)
class Sizes:
    journeys: int
    concurrency: int
    open_for_latency: int
    requests: int
    scale: int
    years: int
    registry_rows: int

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        if quick:
            return cls(journeys=6, concurrency=6, open_for_latency=60, requests=40, scale=200, years=2, registry_rows=5_000)
        return cls(journeys=60, concurrency=12, open_for_latency=1_000, requests=300, scale=10_000, years=10, registry_rows=100_000)


@dataclass
class Platform:
    client: Client
    task_queue: str
    cases: Cases
    worker_pid: int


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


async def in_parallel(count: int, concurrency: int, work) -> list:  # type: ignore[no-untyped-def]
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int):  # type: ignore[no-untyped-def]
        async with gate:
            return await work(n)

    return list(await asyncio.gather(*(one(n) for n in range(count))))


# --- 1. Full journeys against the baseline ----------------------------------------------------


async def our_journey(platform: Platform, n: int) -> str:
    case_id = await platform.cases.open(Situation.RQTH, referent_id="ref-bench", structure_id="struct-bench")
    for step, fields, _renders in JOURNEY:
        await platform.cases.step(case_id, step, **fields)
    await wait_for_documents(platform, case_id)
    return case_id


async def wait_for_documents(platform: Platform, case_id: str) -> None:
    """A journey is done when its paperwork is: every document rendered and stored."""
    while True:
        with Session(platform.cases.registry) as session:
            if (session.scalar(select(func.count()).where(Document.case_id == case_id)) or 0) >= DOCUMENTS:
                return
        await asyncio.sleep(0.2)


async def baseline_journey(platform: Platform, n: int) -> str:
    documents = [renders for *_step, renders in JOURNEY]
    handle = await platform.client.start_workflow(BaselineWorkflow.run, documents, id=f"baseline-{n}-{random.random()}",
                                                  task_queue=platform.task_queue)  # fmt: skip
    for step, _fields, _renders in JOURNEY:
        await handle.execute_update(BaselineWorkflow.step, step.value)
    await handle.result()
    return handle.id


async def throughput(platform: Platform, sizes: Sizes, journey) -> tuple[float, str]:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    ids = await in_parallel(sizes.journeys, sizes.concurrency, lambda n: journey(platform, n))
    return sizes.journeys / (time.perf_counter() - began), ids[0]


async def shape(client: Client, workflow_id_: str) -> dict[str, int]:
    history: WorkflowHistory = await client.get_workflow_handle(workflow_id_).fetch_history()
    kinds = [event.event_type for event in history.events]
    return {
        "events": len(kinds),
        "updates": kinds.count(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
        "activities": kinds.count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        "timers": kinds.count(EventType.EVENT_TYPE_TIMER_STARTED),
    }


def pdf_cost(engine, case_id: str) -> float:  # type: ignore[no-untyped-def]
    """Seconds of WeasyPrint for the journey's two signed documents, rendered again from their HTML."""
    with Session(engine) as session:
        pages = [d.html for d in session.scalars(select(Document).where(Document.case_id == case_id, Document.pdf.is_not(None)))]
    began = time.process_time()
    for html in pages:
        Renderer.pdf(html)
    return time.process_time() - began


# --- 2. Latency of an employer request ---------------------------------------------------------


async def request_latency(platform: Platform, sizes: Sizes) -> tuple[float, float]:
    async def idle(n: int) -> None:
        opening = OpenCase(case_id=f"L{n:05d}{random.randrange(10**6)}", structure_id="struct-bench", birth_date=date(1990, 1, 1),
                           situation=Situation.RQTH, settings=CALM, actor=COORDINATOR)  # fmt: skip
        await open_case(platform.client, platform.task_queue, opening)

    await in_parallel(sizes.open_for_latency, 20, idle)
    progress(f"{sizes.open_for_latency:,} cases open; timing {sizes.requests} employer requests")
    employed = [await platform.cases.open(Situation.EMPLOYEE, employer_id="emp-lat") for _ in range(10)]
    for case_id in employed:
        await platform.cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    employer = Actor(role=ActorRole.EMPLOYER, id="emp-lat")
    durations = []
    for n in range(sizes.requests):
        request = SubmitEmployerRequest(employer_id="emp-lat", kind="mediation", actor=employer)
        began = time.perf_counter()
        await apply_step(platform.client, employed[n % len(employed)], request)
        durations.append((time.perf_counter() - began) * 1000)
    durations.sort()
    return statistics.median(durations), durations[min(len(durations) - 1, int(len(durations) * 0.99))]


# --- 3. Many cases in in-job support -------------------------------------------------------------


def in_support(n: int, now: datetime) -> CaseState:
    """A case carried into in-job support, as an import from a former system would start it."""
    return CaseState(case_id=f"S{n:06d}x{random.randrange(10**6)}", structure_id=f"struct-{n % 12:02d}", birth_date=date(1985, 1, 1),
                     situation=Situation.EMPLOYEE, referent_id=f"ref-{n % 600:03d}", employer_id=f"emp-{n % 3000:04d}",
                     settings=CALM, opened_at=now, phase=Phase.IN_JOB_SUPPORT, phase_since=now, intensity=Intensity.LIGHT,
                     employments=[Employment(employer_id=f"emp-{n % 3000:04d}", contract_type=ContractType.CDI, start_date=date(2025, 1, 1))],
                     review=ReviewSchedule(next_due=now + timedelta(days=90)), seq=0)  # fmt: skip


async def scale(platform: Platform, sizes: Sizes) -> tuple[float, float]:
    now = datetime.now(timezone.utc)
    began = time.perf_counter()

    async def start(n: int) -> None:
        state = in_support(n, now)
        await platform.client.start_workflow(AccompanimentWorkflow.run, CaseInput(carried=state), id=workflow_id(state.case_id),
                                             task_queue=platform.task_queue)  # fmt: skip
        if n and n % 1000 == 0:
            progress(f"{n:,} cases started")

    await in_parallel(sizes.scale, 50, start)
    while (await platform.client.count_workflows('WorkflowId STARTS_WITH "case-S" AND EaPhase = "in_job_support"')).count < sizes.scale:
        await asyncio.sleep(1)
    seconds = time.perf_counter() - began
    return seconds, peak_rss_mib(platform.worker_pid)


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc")


# --- 4. Ten years of monthly reviews ------------------------------------------------------------


async def long_life(platform: Platform, sizes: Sizes) -> tuple[int, int, int]:
    settings = CALM.model_copy(update={"history_limit": 500})
    case_id = await platform.cases.open(Situation.EMPLOYEE, employer_id="emp-long", settings=settings)
    await platform.cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    for month in range(12 * sizes.years):
        await platform.cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)
        if month % 6 == 0:
            acknowledgement = await platform.cases.request(case_id, "emp-long")
            await platform.cases.step(case_id, Step.RESPOND_TO_REQUEST, request_id=acknowledgement.request_id, outcome="meeting_scheduled")
    await asyncio.sleep(2)  # the last journal batch
    lengths = []
    async for execution in platform.client.list_workflows(f'WorkflowId = "{workflow_id(case_id)}"'):
        history = await platform.client.get_workflow_handle(execution.id, run_id=execution.run_id).fetch_history()
        lengths.append(len(history.events))
    return 12 * sizes.years, len(lengths), max(lengths)


# --- 5. The registry -----------------------------------------------------------------------------


def registry_page(rows: int, directory: Path) -> float:
    engine = make_engine(f"sqlite:///{directory / 'list.db'}")
    migrate(engine)
    registry_list.fill(engine, rows)
    milliseconds, _found = registry_list.timed(engine, lambda s: registry_list.list_cases(s, CaseFilter(phase="in_job_support")), 20)
    engine.dispose()
    return milliseconds


# --- The run -------------------------------------------------------------------------------------


async def run(sizes: Sizes, directory: Path) -> list[tuple[str, str, str, bool]]:
    keys = Keyring.generate("bench")
    os.environ["EA_ENCRYPTION_KEYS"] = keys.to_env()  # this process reads what the worker seals in the registry
    server = DevServer(port=free_port(), ui_port=free_port(), db_file=directory / "temporal.db")
    process = server.start()
    env = {**os.environ, "TEMPORAL_ADDRESS": server.address, "EA_TASK_QUEUE": "bench", "EA_ENCRYPTION_KEYS": keys.to_env(),
           "DATABASE_URL": f"sqlite:///{directory / 'registry.db'}"}  # fmt: skip
    worker = subprocess.Popen([sys.executable, "-m", "bench.worker"], env=env, stderr=subprocess.DEVNULL)
    try:
        await server.wait_until_ready(process)
        client = await Client.connect(server.address, data_converter=encrypted_converter(keys))
        engine = make_engine(env["DATABASE_URL"])
        migrate(engine)
        platform = Platform(client, "bench", Cases(client, "bench", engine), worker.pid)
        rows = []
        progress(f"{sizes.journeys} baseline journeys")
        base_rate, base_id = await throughput(platform, sizes, baseline_journey)
        progress(f"{sizes.journeys} full case journeys (documents rendered, PDF included)")
        our_rate, our_id = await throughput(platform, sizes, our_journey)
        ratio = base_rate / our_rate
        ours, theirs = await shape(client, workflow_id(our_id)), await shape(client, base_id)
        rows.append(("journeys, baseline", f"{base_rate:.2f} cases/s", f"{theirs}", True))
        rows.append(("journeys, ours", f"{our_rate:.2f} cases/s", f"{ours}", True))
        rows.append(("cost ratio ours/baseline (time per case)", f"{ratio:.2f}", "target <= 1.3", ratio <= 1.3))
        pdf_seconds = pdf_cost(engine, our_id)
        rows.append(("PDF rendering, per journey (convention + amendment)", f"{pdf_seconds:.2f} s CPU",
                     f"{pdf_seconds * our_rate / (os.cpu_count() or 1):.0%} of the CPU time per case at the rate above", True))  # fmt: skip
        progress("request latency")
        p50, p99 = await request_latency(platform, sizes)
        rows.append((f"employer request, {sizes.open_for_latency:,} cases open", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                     "target p99 < 100 ms", p99 < 100))  # fmt: skip
        progress(f"{sizes.scale:,} cases in in-job support")
        seconds, rss = await scale(platform, sizes)
        rows.append((f"{sizes.scale:,} cases open in in-job support", f"opened in {seconds:.0f} s ({sizes.scale / seconds:.0f}/s)",
                     f"worker peak RSS {rss:.0f} MiB, target < 1024", rss < 1024))  # fmt: skip
        progress(f"{sizes.years} years of monthly reviews")
        reviews, runs, longest = await long_life(platform, sizes)
        rows.append((f"{sizes.years} years: {reviews} reviews, requests", f"{runs} runs (continue-as-new)",
                     f"max {longest} events per run (limit setting 500)", longest < 1000))  # fmt: skip
        engine.dispose()
    finally:
        worker.terminate()
        worker.wait()
        stop(process)
    progress(f"registry page among {sizes.registry_rows:,} rows")
    page = registry_page(sizes.registry_rows, directory)
    rows.append((f"registry page by phase, {sizes.registry_rows:,} rows", f"{page:.2f} ms", "target < 100 ms", page < 100))
    return rows


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} CPU ({model}), Python {platform.python_version()}"


def report(rows: list[tuple[str, str, str, bool]], command: str) -> str:
    lines = [
        "# Performance", "",
        f"Measured by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.", "",
        f"Machine: {machine()}. One dev server (`temporal server start-dev`, SQLite file, WAL) and one worker process.", "",
        "| measure | result | detail | target met |", "|---|---|---|---|",
        *[f"| {name} | {result} | {detail} | {'yes' if met else '**no**'} |" for name, result, detail, met in rows],
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--output", type=Path, default=Path("docs/PERFORMANCE.md"))
    args = parser.parse_args()
    sizes = Sizes.of(args.quick)
    with tempfile.TemporaryDirectory(prefix="ea-bench-") as directory:
        rows = asyncio.run(run(sizes, Path(directory)))
    text = report(rows, "python -m bench.journeys" + (" --quick" if args.quick else ""))
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if args.output.exists() and args.output.name == "PERFORMANCE.md":
        text = text + _kept_notes(args.output.read_text())
    args.output.write_text(text)
    print(f"wrote {args.output}")
    sys.stdout.flush()
    os._exit(0)  # the Temporal runtime's native threads can abort the interpreter's teardown (sdk-python#300)


def _kept_notes(previous: str) -> str:
    """The hand-written analysis below the generated table survives a new run."""
    marker = "\n## Reading the figures"
    return previous[previous.index(marker):] if marker in previous else ""


if __name__ == "__main__":
    main()
