"""What a case costs, against raw Temporal doing the same Temporal work (issue 18), in one run.

Processes as `make run` runs them: one dev server (a SQLite file, WAL), the case worker (the code
of `ea worker --role cases`, plus the baseline's workflow and no-op activity: bench/worker.py) and
the documents worker (`ea worker --role documents`) in processes of their own, and a third process
serving the baseline's document no-ops. Sections:
1. journeys: ours, the baseline (bench/baseline.py: the same updates, activities, markers, timers,
   upserts and payload bytes, read from our own histories in this run, each activity a no-op) and
   the minimal journey (the same actions, no payload), legs alternating, each leg's documents (or
   no-ops) done before the next starts; history bytes per case; a PDF printed on first request
   (warm), then read back kept; step answers under load;
2. the latency of an employer request with many cases open (idle);
3. many cases open in in-job support: the case worker's peak memory and the time to open them;
4. a case over ten years of monthly reviews: events per run (continue-as-new keeps it bounded);
5. recovery (bench/faults.py): the case worker SIGKILLed and the dev server restarted mid-run;
6. a page of the registry's list of cases among 100,000 rows.
Prints a table and writes docs/PERFORMANCE.md (the hand-written notes below the table are kept).

    python -m bench.journeys            # the real sizes (about 15 minutes on 2 cores)
    python -m bench.journeys --quick    # small sizes, about 2 minutes (run by the tests)
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from temporalio.api.common.v1 import Payloads
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory

from activities.registry.database import make_engine
from activities.documents.rendering import Documents, Renderer
from activities.registry.migrate import migrate
from activities.registry.queries import CaseFilter
from activities.registry.journal import journal_entry
from activities.registry.schema import Document, JournalRow
from bench import registry_list
from activities.registry.people import BeneficiaryIdentity, register_beneficiary
from bench.baseline import MirrorInput, MirrorWorkflow, Script, blob
from starter.cases import apply_step, open_case, workflow_id
from starter.settings import Connection
from starter.waiting import until_polled
from workflows.case.steps import BY_STEP
from workflows.contracts import CaseInput, documents_queue
from starter.devserver import DevServer, free_port, stop
from workflows.encryption import Keyring, encrypted_converter
from starter.scripted import ADULT, CALM, COORDINATOR, TODAY, Cases, cdaph, new_case_id
from workflows.accompaniment import AccompanimentWorkflow
from workflows.case.model import Actor, ActorRole, CaseState, ContractType, Employment, Intensity, OpenCase, Party, Phase, ReviewSchedule, Situation, Step, SubmitEmployerRequest

JOURNEY = [
    (Step.GIVE_CONSENT, {"given_on": TODAY}, False),
    (Step.RECORD_PRESCRIPTION, {"prescription": cdaph()}, True),  # the convention
    (Step.SIGN_CONVENTION, {"party": Party.BENEFICIARY, "signed_on": TODAY}, False),
    (Step.SIGN_CONVENTION, {"party": Party.STRUCTURE, "signed_on": TODAY}, True),  # the signed convention (the last signature)
    (Step.SUBMIT_EVALUATION, {"completed_on": TODAY}, True),
    (Step.SUBMIT_PROJECT, {"agreed_on": TODAY}, True),
    (Step.RECORD_HIRING, {"employer_id": "emp-bench", "contract_type": ContractType.CDI, "start_date": TODAY, "weekly_hours": 24}, True),
    (Step.COMPLETE_REVIEW, {"held_on": TODAY}, True),
    (Step.COMPLETE_REVIEW, {"held_on": TODAY}, True),
    (Step.COMPLETE_REVIEW, {"held_on": TODAY}, True),
]  # fmt: skip
"""Open → consent → prescription → convention → evaluation → project → job search → hiring → reviews;
the flag: the step makes a document."""
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
    rounds: int = 6
    """Legs of each kind, in alternating order (minimal, baseline, ours, then back)."""
    history_sample: int = 20
    only_journeys: bool = False
    paced: int = 40
    fault_cases: int = 200
    """Journeys of the leg run at half our throughput, whose steps' answers are timed."""
    kinds: tuple[str, ...] = ("minimal", "baseline", "ours")

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        if quick:
            return cls(journeys=6, concurrency=6, open_for_latency=60, requests=40, scale=200, years=2, registry_rows=5_000, history_sample=3,
                       rounds=2, paced=6, fault_cases=20)
        return cls(journeys=24, concurrency=12, open_for_latency=1_000, requests=300, scale=10_000, years=10, registry_rows=100_000)


@dataclass
class Platform:
    client: Client
    task_queue: str
    cases: Cases
    worker_pid: int
    mirror_documents_queue: str = "bench-noop-documents"
    processes: dict[str, int] = field(default_factory=dict)
    """The bench's processes (workers, dev server, this driver): name → pid."""

    def mirror_input(self, script: Script) -> MirrorInput:
        """The baseline's input, padded to the size of our opening."""
        bare = MirrorInput(script=script.packed(), documents_queue=self.mirror_documents_queue)
        return bare.model_copy(update={"pad": "p" * max(0, script.start - len(bare.model_dump_json()))})


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy so far, every process counted (/proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def progress(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


async def in_parallel(count: int, concurrency: int, work) -> list:  # type: ignore[no-untyped-def]
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int):  # type: ignore[no-untyped-def]
        async with gate:
            return await work(n)

    return list(await asyncio.gather(*(one(n) for n in range(count))))


# --- 1. Full journeys against the baseline ----------------------------------------------------


@dataclass
class Leg:
    """Journeys of one kind driven `concurrency` at a time: how long their steps took, and how long
    what they left took to finish after the last step was answered (ours: its documents stored;
    the others: their no-op documents)."""

    kind: str
    ids: list[str]
    seconds: float
    drain: float = 0.0
    step_ms: list[float] = field(default_factory=list)
    others: float = 0.0
    """Share of the machine's CPU other work took meanwhile."""

    @property
    def rate(self) -> float:
        return len(self.ids) / self.seconds

    @property
    def rate_with_documents(self) -> float:
        return len(self.ids) / (self.seconds + self.drain)


async def our_journey(platform: Platform, n: int, step_ms: list[float], settled: Callable[[str], Awaitable[None]] | None = None) -> str:
    """As a coordinator at the CLI: `ea open` (the person registered, the run started, its status
    read once), then each step one update, answered by its acknowledgement; with `settled`, each
    step (the opening too) waits for it, given the case's id, before the next is sent."""
    person = BeneficiaryIdentity(structure_id="struct-bench", first_name="Camille", last_name=f"Martin {uuid.uuid4().hex[:8]}",
                                 birth_date=ADULT, situation=Situation.RQTH)  # fmt: skip
    beneficiary_id = await asyncio.to_thread(register_beneficiary, platform.cases.registry, person)
    opening = OpenCase(case_id=new_case_id(), structure_id="struct-bench", beneficiary_id=beneficiary_id, birth_date=ADULT,
                       situation=Situation.RQTH, referent_id="ref-bench", settings=CALM, actor=COORDINATOR)  # fmt: skip
    await open_case(platform.client, platform.task_queue, opening)
    person_acts = Actor(role=ActorRole.BENEFICIARY, id=beneficiary_id)
    for step, fields, _renders in JOURNEY:
        if settled is not None:
            await settled(opening.case_id)
        actor = person_acts if step is Step.GIVE_CONSENT or fields.get("party") is Party.BENEFICIARY else COORDINATOR
        began = time.perf_counter()
        await apply_step(platform.client, opening.case_id, BY_STEP[step].input(actor=actor, **fields))
        step_ms.append((time.perf_counter() - began) * 1000)
    return opening.case_id


async def mirror_journey(platform: Platform, script: Script, n: int, step_ms: list[float]) -> str:
    """The same calls with the baseline's payloads: start, one status query, one update per step."""
    handle = await platform.client.start_workflow(MirrorWorkflow.run, platform.mirror_input(script), id=f"mirror-{uuid.uuid4().hex[:12]}",
                                                  task_queue=platform.task_queue)  # fmt: skip
    await handle.query(MirrorWorkflow.status)
    for turn in script.turns[1:]:
        began = time.perf_counter()
        await handle.execute_update(MirrorWorkflow.step, blob(turn.update))
        step_ms.append((time.perf_counter() - began) * 1000)
    return handle.id


async def leg(platform: Platform, kind: str, count: int, concurrency: int, journey) -> Leg:  # type: ignore[no-untyped-def]
    step_ms: list[float] = []
    began = time.perf_counter()
    ids = await in_parallel(count, concurrency, lambda n: journey(platform, n, step_ms))
    done = Leg(kind, ids, time.perf_counter() - began, step_ms=step_ms)
    if kind == "ours":
        await documents_drained(platform, ids)
    await until_nothing_under_way(platform.client, [workflow_id(i) for i in ids] if kind == "ours" else ids)
    done.drain = time.perf_counter() - began - done.seconds
    return done


async def until_nothing_under_way(client: Client, workflow_ids: list[str], seconds: float = 300) -> None:
    """Until none of these runs has an activity or a workflow task under way: a leg's last documents
    (or no-ops) and the tasks that follow them are done before the next leg starts, so that no leg
    pays for the tail of the one before."""
    deadline = time.perf_counter() + seconds
    while True:
        described = await asyncio.gather(*(client.get_workflow_handle(i).describe() for i in workflow_ids))
        workflow_ids = [i for i, d in zip(workflow_ids, described)
                        if d.raw_description.pending_activities or d.raw_description.HasField("pending_workflow_task")]  # fmt: skip
        if not workflow_ids:
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"{len(workflow_ids)} runs still have work under way after {seconds:.0f} s")
        await asyncio.sleep(0.1)


async def paced(platform: Platform, count: int, rate: float) -> Leg:
    """Our journeys started at a steady `rate` (open loop), each step sent when the last is answered."""
    step_ms: list[float] = []
    busy, mine = machine_busy_seconds(), own_cpu(platform)
    began = time.perf_counter()
    running = []
    for n in range(count):
        running.append(asyncio.create_task(our_journey(platform, n, step_ms)))
        await asyncio.sleep(max(0.0, began + (n + 1) / rate - time.perf_counter()))
    ids = list(await asyncio.gather(*running))
    done = Leg("paced", ids, time.perf_counter() - began, step_ms=step_ms)
    await documents_drained(platform, ids)
    done.drain = time.perf_counter() - began - done.seconds
    done.others = (machine_busy_seconds() - busy - (own_cpu(platform) - mine)) / ((done.seconds + done.drain) * (os.cpu_count() or 1))
    return done


def own_cpu(platform: Platform) -> float:
    return sum(cpu_seconds(pid) for pid in platform.processes.values())


def documents_of(engine, case_ids: list[str]) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Documents stored for these cases, and how many documents failed
    (a `document_failed` event in the journal: the case got an alert instead of the document)."""
    with Session(engine) as session:
        failed = select(func.count()).where(JournalRow.case_id.in_(case_ids), JournalRow.kind == "document_failed")
        return session.scalar(select(func.count()).where(Document.case_id.in_(case_ids))) or 0, session.scalar(failed) or 0


async def documents_drained(platform: Platform, case_ids: list[str], seconds: float = 900) -> None:
    """Every document these journeys call for is stored or has failed (the documents worker's backlog is empty)."""
    expected = len(case_ids) * DOCUMENTS
    deadline = time.perf_counter() + seconds
    while True:
        stored, failed = documents_of(platform.cases.registry, case_ids)
        if stored + failed >= expected:
            return
        if time.perf_counter() > deadline:
            raise RuntimeError(f"documents not drained after {seconds:.0f} s: {stored} stored, {failed} failed, of {expected}")
        await asyncio.sleep(0.05)


def failure_reasons(engine, case_ids: list[str]) -> str:  # type: ignore[no-untyped-def]
    """The documents that failed, by template and reason (from the `document_failed` events)."""
    reasons: Counter[str] = Counter()
    with Session(engine) as session:
        for row in session.scalars(select(JournalRow).where(JournalRow.case_id.in_(case_ids), JournalRow.kind == "document_failed")):
            event = journal_entry(row).event
            reasons[f"{getattr(event, 'template', '?')}: {getattr(event, 'reason', '')}"[:160]] += 1
    return "; ".join(f"{n} × {reason}" for reason, n in reasons.most_common())


async def runs_of(client: Client, workflow_id_: str) -> list[WorkflowHistory]:
    """Every run of a workflow id (continue-as-new included), oldest first."""
    executions = [e async for e in client.list_workflows(f'WorkflowId = "{workflow_id_}"')]
    executions.sort(key=lambda e: e.start_time)
    return [await client.get_workflow_handle(e.id, run_id=e.run_id).fetch_history() for e in executions]


async def median_journey(client: Client, case_ids: list[str]) -> tuple[str, list[list[HistoryEvent]], str]:
    """The journey whose history has the median number of events, its runs' events, and the spread.
    One journey alone, or the first of a run, batches its steps otherwise than those of a loaded
    leg: a baseline copied from it made 13 activities in one run and 17 in another."""
    histories = {case_id: [list(h.events) for h in await runs_of(client, workflow_id(case_id))] for case_id in case_ids}
    ranked = sorted(histories, key=lambda case_id: sum(map(len, histories[case_id])))
    counts = [sum(map(len, histories[case_id])) for case_id in ranked]
    typical = ranked[len(ranked) // 2]
    return typical, histories[typical], f"{counts[0]}–{counts[-1]} events, the median {counts[len(ranked) // 2]}"


async def history_bytes(client: Client, workflow_ids: list[str]) -> tuple[float, float]:
    """Mean events and bytes of history per case, every run counted."""
    events = size = 0
    for workflow_id_ in workflow_ids:
        for history in await runs_of(client, workflow_id_):
            events += len(history.events)
            size += sum(event.ByteSize() for event in history.events)
    return events / len(workflow_ids), size / len(workflow_ids)


def pdf_cost(engine, case_ids: list[str]) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """A PDF asked for the first time (printed and kept: CPU seconds, warm — WeasyPrint's import and a
    first page are made before the clock starts), then asked again (the kept file: wall seconds),
    over every document of these journeys."""
    shelf = Documents(engine)
    listed = [d for case_id in case_ids for d in shelf.list(case_id)]
    Renderer.pdf(listed[0].html)
    began = time.process_time()
    printed = [shelf.printed(d) for d in listed]
    first = (time.process_time() - began) / len(listed)
    began = time.perf_counter()
    again = [shelf.printed(shelf.get(d.case_id, d.id)) for d in listed]  # type: ignore[arg-type]
    kept = (time.perf_counter() - began) / len(listed)
    assert again == printed, "a PDF asked for again is the file kept at the first request"
    return first, kept, len(listed)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


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

Row = tuple[str, str, str, bool | None]
"""measure, result, detail, target met (None: a figure without a target)."""


async def journeys(platform: Platform, sizes: Sizes, processes: dict[str, int]) -> list[Row]:
    """Ours, the baseline and the minimal journey, in alternating order, each leg alone on the machine."""
    client = platform.client
    progress(f"calibration: {sizes.concurrency} journeys of ours at once (the legs' load); the baseline's script read from the median one")
    calibration = await in_parallel(sizes.concurrency, sizes.concurrency, lambda n: our_journey(platform, n, []))
    await documents_drained(platform, calibration)
    await until_nothing_under_way(client, [workflow_id(i) for i in calibration])
    overhead = Payloads(payloads=await client.data_converter.encode([""])).ByteSize()
    typical, runs, spread = await median_journey(client, calibration)
    opened = await client.get_workflow_handle(workflow_id(typical)).query(AccompanimentWorkflow.status)
    query = Payloads(payloads=await client.data_converter.encode([opened])).ByteSize() - overhead
    script = Script.of(runs, documents_queue(platform.task_queue), overhead, query)
    assert script.counts()["documents"] == DOCUMENTS, f"the journey's history holds {script.counts()['documents']} documents, JOURNEY declares {DOCUMENTS}"
    minimal = script.minimal()
    kinds = {"minimal": lambda p, n, ms: mirror_journey(p, minimal, n, ms),
             "baseline": lambda p, n, ms: mirror_journey(p, script, n, ms),
             "ours": our_journey}  # fmt: skip
    legs: dict[str, list[Leg]] = {kind: [] for kind in kinds}
    cpu: dict[str, dict[str, float]] = {kind: dict.fromkeys(processes, 0.0) for kind in kinds}
    others: dict[str, float] = dict.fromkeys(kinds, 0.0)
    """CPU seconds used meanwhile by processes that are not the bench's (other work on the machine)."""
    order = [kind for kind in kinds if kind in sizes.kinds]
    for round_ in range(sizes.rounds):
        for kind in order if round_ % 2 == 0 else reversed(order):
            progress(f"round {round_ + 1}/{sizes.rounds}: {sizes.journeys} journeys, {kind}")
            before, busy = {name: cpu_seconds(pid) for name, pid in processes.items()}, machine_busy_seconds()
            done = await leg(platform, kind, sizes.journeys, sizes.concurrency, kinds[kind])
            used = {name: cpu_seconds(pid) - before[name] for name, pid in processes.items()}
            for name, seconds in used.items():
                cpu[kind][name] += seconds
            others[kind] += machine_busy_seconds() - busy - sum(used.values())
            progress("  CPU ms per case: " + " · ".join(f"{name} {seconds / len(done.ids) * 1000:.0f}" for name, seconds in used.items()))
            legs[kind].append(done)
            progress(f"  {done.rate:.2f} journeys/s, steps p99 {percentile(done.step_ms, 0.99):.0f} ms"
                     + (f", documents drained {done.drain:.1f} s after the last step" if kind == "ours" else
                        f", its no-op documents done {done.drain:.1f} s after the last step"))  # fmt: skip

    def rate(kind: str) -> float:
        return sum(len(l.ids) for l in legs[kind]) / sum(l.seconds for l in legs[kind])

    def per_case(kind: str) -> str:
        count = sum(len(l.ids) for l in legs[kind])
        return " · ".join(f"{name} {seconds / count * 1000:.0f}" for name, seconds in cpu[kind].items() if seconds > 0.05)

    def cpu_per_case(kind: str, without: tuple[str, ...] = ()) -> float:
        return sum(s for name, s in cpu[kind].items() if name not in without) / sum(len(l.ids) for l in legs[kind])

    def others_share(kind: str) -> str:
        """How much of the machine other work took during this kind's legs."""
        return f"{others[kind] / (sum(l.seconds + l.drain for l in legs[kind]) * (os.cpu_count() or 1)):.0%}"

    if len(order) < len(kinds):  # a diagnosis run: the rates alone
        return [(f"journeys, {kind}", f"{rate(kind):.2f} cases/s", f"CPU ms per case: {per_case(kind)}", None) for kind in order]
    ours_ids = [i for l in legs["ours"] for i in l.ids]
    ours_rate, base_rate, min_rate = rate("ours"), rate("baseline"), rate("minimal")
    with_documents = len(ours_ids) / sum(l.seconds + l.drain for l in legs["ours"])
    progress(f"step answers with journeys arriving at half our rate ({ours_rate / 2:.2f}/s)")
    paced_leg = await paced(platform, sizes.paced, ours_rate / 2)
    progress("histories: events and bytes per case")
    sample = sizes.history_sample
    ours_events, ours_bytes = await history_bytes(client, [workflow_id(i) for i in ours_ids[:sample]])
    base_events, base_bytes = await history_bytes(client, [i for l in legs["baseline"] for i in l.ids][:sample])
    min_events, min_bytes = await history_bytes(client, [i for l in legs["minimal"] for i in l.ids][:sample])
    base_shape = Script.of([h.events for h in await runs_of(client, legs["baseline"][0].ids[0])], platform.mirror_documents_queue, overhead)
    documents, failed = documents_of(platform.cases.registry, ours_ids + paced_leg.ids)
    failures = failure_reasons(platform.cases.registry, ours_ids + paced_leg.ids)
    expected = len(ours_ids + paced_leg.ids) * DOCUMENTS
    pdf_first, pdf_kept, pdf_count = pdf_cost(platform.cases.registry, ours_ids[:10])
    steps = [ms for l in legs["ours"] for ms in l.step_ms]
    paced_steps = paced_leg.step_ms
    ratio = base_rate / ours_rate
    share = ours_rate / min_rate
    cpu_ratio = cpu_per_case("ours") / cpu_per_case("baseline")
    cpu_ratio_cases = cpu_per_case("ours", ("documents worker",)) / cpu_per_case("baseline", ("no-op documents",))
    journeys_run = f"{sizes.rounds} legs of {sizes.journeys}, {sizes.concurrency} at a time"
    drains = ", ".join(f"{l.drain:.1f} s" for l in legs["ours"])
    same = ("updates", "activities", "documents", "markers", "continue-as-new")
    return [
        ("journey shape (ours, read from its history)", f"{script.counts()}", f"baseline's, read back: {base_shape.counts()} "
         f"(from the median by events of {len(calibration)} journeys of ours run at once before the legs, {spread}: how many "
         "journal batches, timers and upserts a journey makes depends on how its updates and activity completions interleave)",
         all(script.counts()[k] == base_shape.counts()[k] for k in same)),
        ("journeys, minimal (same actions, no payload, no-op activities)", f"{min_rate:.2f} cases/s",
         f"{journeys_run}; CPU ms per case: {per_case('minimal')}; other work on the machine meanwhile {others_share('minimal')}", None),
        ("journeys, baseline (same actions and payload bytes, no-op activities)", f"{base_rate:.2f} cases/s",
         f"CPU ms per case: {per_case('baseline')}; other work {others_share('baseline')}", None),
        ("journeys, ours (steps answered)", f"{ours_rate:.2f} cases/s",
         f"CPU ms per case: {per_case('ours')}; other work {others_share('ours')}; documents included: {with_documents:.2f} cases/s", None),
        ("history per case: ours · baseline · minimal", f"{ours_bytes / 1024:.1f} KiB · {base_bytes / 1024:.1f} KiB · {min_bytes / 1024:.1f} KiB",
         f"events {ours_events:.0f} · {base_events:.0f} · {min_events:.0f} (mean of {min(sample, len(ours_ids))} cases)", None),
        ("cost ratio ours/baseline (time per case)", f"{ratio:.2f}", "target <= 1.3", ratio <= 1.3),
        ("cost ratio ours/baseline (CPU per case, every process)", f"{cpu_ratio:.2f}",
         f"{cpu_per_case('ours') * 1000:.0f} ms / {cpu_per_case('baseline') * 1000:.0f} ms; without the documents workers: {cpu_ratio_cases:.2f}", None),
        ("ours / minimal (throughput)", f"{share:.0%}", "target >= 70 %", share >= 0.7),
        ("documents of the run produced by its end", f"{documents:,} of {expected:,}; {failed} failed",
         f"{len(ours_ids + paced_leg.ids)} journeys of ours, {DOCUMENTS} documents each (HTML, Markdown, "
         f"fingerprint, template version; the PDF on first request, next row); backlog drained {drains} after each "
         f"full-load leg's last step" + (f"; failed: {failures}" if failed else ""), documents >= expected and not failed),
        ("a document's PDF, first request · again", f"{pdf_first:.3f} s CPU · {pdf_kept * 1000:.1f} ms",
         f"every document of 10 journeys ({pdf_count}) printed on first request (WeasyPrint warm, import excluded) and kept; "
         "asked again, the same bytes read back", None),
        ("step answer, journeys at full load", f"p50 {percentile(steps, 0.5):.0f} ms, p99 {percentile(steps, 0.99):.0f} ms",
         f"{len(steps):,} steps of ours, {sizes.concurrency} journeys at a time, as fast as answered (a saturated machine: "
         f"latency is the queue, {sizes.concurrency} journeys / {ours_rate:.2f} per s)", None),
        ("step answer while journeys run at half our throughput", f"p50 {percentile(paced_steps, 0.5):.1f} ms, p99 {percentile(paced_steps, 0.99):.1f} ms",
         f"{len(paced_steps):,} steps, {sizes.paced} journeys started every {2 / ours_rate:.2f} s, documents rendered meanwhile "
         f"(drained {paced_leg.drain:.1f} s after the last step); other work {paced_leg.others:.0%}; target p99 < 100 ms",
         percentile(paced_steps, 0.99) < 100),
    ]  # fmt: skip


async def run(sizes: Sizes, directory: Path) -> list[Row]:
    keys = Keyring.generate("bench")
    os.environ["EA_ENCRYPTION_KEYS"] = keys.to_env()  # this process reads what the worker seals in the registry
    server = DevServer(port=free_port(), ui_port=free_port(), db_file=directory / "temporal.db")
    process = server.start()
    env = {**os.environ, "TEMPORAL_ADDRESS": server.address, "EA_TASK_QUEUE": "bench", "EA_ENCRYPTION_KEYS": keys.to_env(),
           "DATABASE_URL": f"sqlite:///{directory / 'registry.db'}", "EA_METRICS_ADDRESS": ""}  # fmt: skip
    ea = str(Path(sys.executable).parent / "ea")
    workers = {
        "case worker": subprocess.Popen([sys.executable, "-m", "bench.worker", "cases"], env=env, stderr=subprocess.DEVNULL),
        "documents worker": subprocess.Popen([ea, "worker", "--role", "documents"], env=env, stderr=subprocess.DEVNULL),
        "baseline's no-op documents worker": subprocess.Popen([sys.executable, "-m", "bench.worker", "noop", "bench-noop-documents"],
                                                             env=env, stderr=subprocess.DEVNULL),
    }  # fmt: skip
    try:
        await server.wait_until_ready(process)
        client = await Client.connect(server.address, data_converter=encrypted_converter(keys))
        engine = make_engine(env["DATABASE_URL"])
        for queue, kind in (("bench", TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW), (documents_queue("bench"), TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
                            ("bench-noop-documents", TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)):
            await until_polled(client, Connection(namespace=client.namespace, task_queue=queue), 60, 1, kind)
        platform = Platform(client, "bench", Cases(client, "bench", engine), workers["case worker"].pid)
        platform.cases.known(structure_id="struct-bench", referent_id="ref-bench", employer_id="emp-bench")
        processes = {"case worker": workers["case worker"].pid, "documents worker": workers["documents worker"].pid,
                     "no-op documents": workers["baseline's no-op documents worker"].pid, "dev server": process.pid,
                     "driver": os.getpid()}  # fmt: skip
        platform.processes = processes
        rows = await journeys(platform, sizes, processes)
        if sizes.only_journeys:
            return rows
        progress("request latency")
        p50, p99 = await request_latency(platform, sizes)
        rows.append((f"employer request, {sizes.open_for_latency:,} cases open (idle)", f"p50 {p50:.1f} ms, p99 {p99:.1f} ms",
                     "target p99 < 100 ms", p99 < 100))  # fmt: skip
        progress(f"{sizes.scale:,} cases in in-job support")
        seconds, rss = await scale(platform, sizes)
        rows.append((f"{sizes.scale:,} cases open in in-job support", f"opened in {seconds:.0f} s ({sizes.scale / seconds:.0f}/s)",
                     f"case worker peak RSS {rss:.0f} MiB, target < 1024", rss < 1024))  # fmt: skip
        progress(f"{sizes.years} years of monthly reviews")
        reviews, runs, longest = await long_life(platform, sizes)
        rows.append((f"{sizes.years} years: {reviews} reviews, requests", f"{runs} runs (continue-as-new)",
                     f"max {longest} events per run (limit setting 500)", longest < 1000))  # fmt: skip
        engine.dispose()
    finally:
        for each in workers.values():
            each.terminate()
        for each in workers.values():
            each.wait()
        stop(process)
    from bench import faults  # it borrows the journey from this module

    rows += await faults.run(directory, sizes.fault_cases)
    progress(f"registry page among {sizes.registry_rows:,} rows")
    page = registry_page(sizes.registry_rows, directory)
    rows.append((f"registry page by phase, {sizes.registry_rows:,} rows", f"{page:.2f} ms", "target < 100 ms", page < 100))
    return rows


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())  # fmt: skip
    return f"{platform.system()} {platform.release()}, {os.cpu_count()} CPU ({model}), Python {platform.python_version()}"


def verdict(met: bool | None) -> str:
    return "—" if met is None else "yes" if met else "**no**"


def report(rows: list[Row], command: str, load: tuple[str, str]) -> str:
    lines = [
        "# Performance", "",
        f"Measured by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC.", "",
        f"Machine: {machine()}. One dev server (`temporal server start-dev`, SQLite file, WAL); the case worker and the documents "
        "worker (`ea worker --role documents`) in processes of their own; "
        f"a SQLite registry. Load average (1 min) {load[0]} at the start, {load[1]} at the end: other sessions share this machine, "
        "and each journeys row says how much of its CPU they took meanwhile.", "",
        "| measure | result | detail | target met |", "|---|---|---|---|",
        *[f"| {name} | {result} | {detail} | {verdict(met)} |" for name, result, detail, met in rows],
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, under a minute")
    parser.add_argument("--output", type=Path, default=Path("docs/PERFORMANCE.md"))
    parser.add_argument("--journeys", type=int, help="journeys a leg (default 24, quick 6)")
    parser.add_argument("--concurrency", type=int, help="journeys at a time (default 12, quick 6)")
    parser.add_argument("--only-journeys", action="store_true", help="the journeys section alone (for diagnosis; writes --output)")
    parser.add_argument("--kinds", default="minimal,baseline,ours", help="which journeys (diagnosis, with --only-journeys)")
    parser.add_argument("--rounds", type=int, help="legs of each kind (default 6, quick 2)")
    args = parser.parse_args()
    sizes = Sizes.of(args.quick)
    sizes = dataclasses.replace(sizes, journeys=args.journeys or sizes.journeys, concurrency=args.concurrency or sizes.concurrency,
                                only_journeys=args.only_journeys, kinds=tuple(args.kinds.split(",")), rounds=args.rounds or sizes.rounds)  # fmt: skip
    load_at_start = Path("/proc/loadavg").read_text().split()[0]
    with tempfile.TemporaryDirectory(prefix="ea-bench-") as directory:
        rows = asyncio.run(run(sizes, Path(directory)))
    load = (load_at_start, Path("/proc/loadavg").read_text().split()[0])
    text = report(rows, "python -m bench.journeys" + (" --quick" if args.quick else ""), load)
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
