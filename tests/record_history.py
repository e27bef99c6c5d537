"""Record the histories that the replay tests guard determinism with.

Run it (`make histories GENERATION=v3`) when a workflow change is meant to be incompatible,
behind `workflow.patched`, and commit the new files beside the old ones: old histories must
still replay. v1: before documents; v2: documents rendered beside the main loop; v3: référent
caseloads (an activity when assigning), support intensity, contacts, requests by the person.
v4: trainings, representatives, amendments signed by the parties. v5: the case file (evidence with
its expiry timer, adaptations decided by the employer), electronic signatures, signed texts kept.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from starter.cases import apply_step, workflow_id
from tests.builders import SECONDS, eventually
from starter.scripted import TODAY, Cases, cdaph
from tests.harness import registry_at, running_worker, temporal_environment
from workflows.case.model import Actor, ActorRole, AdaptationStage, EvidenceKind, Proposer, SignatureEvidence, AlertKind, ContactKind, ContractType, Intensity, IntensityReason, Party, Phase, RequestKind, RequestSupport, ResponseOutcome, Situation, Step, TrainingKind

HISTORIES = Path(__file__).parent / "histories"

QUICK = SECONDS.model_copy(update={"in_job_review_every": timedelta(days=90), "intensive_in_job_review_every": timedelta(days=90),
                                   "history_limit": 300})  # fmt: skip


async def full_journey(cases: Cases) -> tuple[str, str]:
    """Every step and every kind of timer once, up to a continue-as-new; returns the first run."""
    case_id = await cases.open(Situation.RQTH, settings=QUICK)
    first_run = (await cases.client.get_workflow_handle(workflow_id(case_id)).describe()).run_id
    await eventually(lambda: _has_alert(cases, case_id, AlertKind.PHASE_REMINDER))
    await cases.step(case_id, Step.GIVE_CONSENT, given_on=TODAY)
    await cases.step(case_id, Step.RECORD_PRESCRIPTION, prescription=cdaph())
    await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.BENEFICIARY, signed_on=TODAY)
    await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.STRUCTURE, signed_on=TODAY)
    await cases.step(case_id, Step.ASSIGN_REFERENT, referent_id="ref-2")
    await cases.step(case_id, Step.SUBMIT_EVALUATION, completed_on=TODAY)
    await cases.step(case_id, Step.SUBMIT_PROJECT, agreed_on=TODAY)
    await eventually(lambda: _has_alert(cases, case_id, AlertKind.REVIEW_OVERDUE))
    await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)
    await cases.step(case_id, Step.RECORD_CONTACT, on=TODAY, kind=ContactKind.PROSPECTION, employer_id="emp-1")
    await cases.step(
        case_id, Step.RECORD_HIRING, employer_id="emp-1", contract_type=ContractType.CDD, start_date=TODAY
    )
    await cases.step(case_id, Step.SET_REVIEW_CADENCE, in_job_review_every=timedelta(days=60))
    for _amendment in (1, 2):  # the hiring's, then the cadence's: every party signs
        for party in (Party.BENEFICIARY, Party.STRUCTURE, Party.EMPLOYER):
            await cases.step(case_id, Step.SIGN_AMENDMENT, party=party, signed_on=TODAY)
    await cases.step(case_id, Step.RECORD_EVIDENCE, kind=EvidenceKind.RQTH, valid_from=TODAY, valid_until=TODAY + timedelta(days=400))
    await cases.step(case_id, Step.RECORD_ADAPTATION, stage=AdaptationStage.PROPOSED, on=TODAY, description="Siège ergonomique",
                     proposed_by=Proposer.REFERENT)  # fmt: skip
    adaptation_id = (await cases.status(case_id)).adaptations[0].adaptation_id
    await cases.step(case_id, Step.RECORD_ADAPTATION, adaptation_id=adaptation_id, stage=AdaptationStage.DECIDED, on=TODAY,
                     actor=Actor(role=ActorRole.EMPLOYER, id="emp-1"))  # after signature: an amendment, signed online by the person
    electronic = SignatureEvidence(document_hash="0" * 64, document_version="0123456789ab")
    await cases.step(case_id, Step.SIGN_AMENDMENT, party=Party.BENEFICIARY, signed_on=TODAY, evidence=electronic)
    await cases.step(case_id, Step.RECORD_HIRING, employer_id="emp-3", contract_type=ContractType.CDI, start_date=TODAY,
                     weekly_hours=10, alongside=True)  # fmt: skip
    await cases.step(case_id, Step.RECORD_JOB_LOSS, ended_on=TODAY, employer_id="emp-3")
    await cases.step(case_id, Step.RECORD_TRAINING, kind=TrainingKind.TRAINING, title="CACES R489", on=TODAY)
    await cases.step(case_id, Step.SET_INTENSITY, level=Intensity.LIGHT, reason=IntensityReason.STABLE_SITUATION)
    await cases.step(case_id, Step.RECORD_CONTACT, on=TODAY, kind=ContactKind.WORKPLACE)
    await cases.step(case_id, Step.SET_INTENSITY, level=Intensity.DORMANT, reason=IntensityReason.NO_NEED_FOR_NOW)
    answered = await cases.request(case_id, "emp-1", kind="mediation")  # wakes the case up
    await cases.step(
        case_id, Step.RESPOND_TO_REQUEST, request_id=answered.request_id, outcome=ResponseOutcome.MEETING_SCHEDULED
    )
    await cases.request(case_id, "emp-1", kind="training_need")
    await eventually(lambda: _has_alert(cases, case_id, AlertKind.REQUEST_OVERDUE))
    await apply_step(cases.client, case_id, RequestSupport(kind=RequestKind.DIFFICULTY_ALERT, actor=await cases.person(case_id)))
    await cases.step(case_id, Step.RECORD_CHANGE_OF_POST, effective_on=TODAY)
    await cases.step(case_id, Step.SUBMIT_EVALUATION, completed_on=TODAY)
    await cases.step(case_id, Step.SUBMIT_PROJECT, agreed_on=TODAY)
    await cases.step(case_id, Step.RECORD_JOB_LOSS, ended_on=TODAY)
    state = await cases.status(case_id)
    while state.runs == 1:
        await cases.step(case_id, Step.COMPLETE_REVIEW, held_on=TODAY)
        state = await cases.status(case_id)
    assert state.phase is Phase.JOB_SEARCH
    return case_id, first_run


async def withdrawn_case(cases: Cases) -> tuple[str, str]:
    """A short case that ends with the person withdrawing consent: the run completes."""
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-2")
    await cases.walk_to(case_id, Phase.EVALUATION)
    await cases.step(case_id, Step.WITHDRAW_CONSENT, withdrawn_on=TODAY)
    await cases.final_state(case_id)
    return case_id, (await cases.client.get_workflow_handle(workflow_id(case_id)).describe()).run_id


async def _has_alert(cases: Cases, case_id: str, kind: AlertKind) -> bool:
    return any(alert.kind is kind for alert in (await cases.status(case_id)).alerts)


async def record(generation: str) -> None:
    """Write `<journey>-<generation>.json`; an existing file is never overwritten (it must keep replaying)."""
    async with temporal_environment() as env:
        with tempfile.TemporaryDirectory() as registry_dir:
            registry = registry_at(Path(registry_dir))
            async with running_worker(env, registry) as task_queue:
                cases = Cases(env.client, task_queue, registry.engine)
                for name, journey in (("full_journey", full_journey), ("withdrawn_case", withdrawn_case)):
                    case_id, run_id = await journey(cases)
                    history = await env.client.get_workflow_handle(workflow_id(case_id), run_id=run_id).fetch_history()
                    target = HISTORIES / f"{name}-{generation}.json"
                    if target.exists():
                        raise SystemExit(f"{target} exists: old histories are kept, choose a new generation")
                    target.write_text(history.to_json())
                    print(f"wrote {target} ({len(history.events)} events)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m tests.record_history GENERATION   (e.g. v3)")
    asyncio.run(record(sys.argv[1]))
    sys.stdout.flush()
    os._exit(0)  # the Temporal runtime's native threads can abort the interpreter's teardown (sdk-python#300)
