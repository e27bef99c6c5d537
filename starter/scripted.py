"""Cases opened and driven from code, as a coordinator at the CLI would: the bench's journeys and
the tests' scenarios. The directory is filled with made-up names so documents are written."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Engine
from stdnum import luhn
from temporalio.client import Client

from activities.registry.directory import EmployerEntry, ReferentEntry, StructureEntry, upsert
from activities.registry.people import BeneficiaryIdentity, register_beneficiary
from starter.cases import apply_step, case_status, open_case, workflow_id
from workflows.accompaniment import AccompanimentWorkflow
from workflows.case.model import Actor, ActorRole, CaseSettings, CaseState, CdaphDecision, ContractType, OpenCase, Party, Phase, RequestAcknowledgement, Situation, SpePrescription, Step
from workflows.case.steps import BY_STEP

COORDINATOR = Actor(role=ActorRole.COORDINATOR, id="coord-test")
PERSONS_STEPS = (Step.GIVE_CONSENT, Step.WITHDRAW_CONSENT)
"""Steps only the person (or their legal representative) takes."""
TODAY = date.today()
ADULT = date(1990, 5, 17)
CALM = CaseSettings(
    reminder_after=timedelta(days=14),
    job_search_review_every=timedelta(days=30),
    in_job_review_every=timedelta(days=90),
)
"""Long durations: no timer fires while a journey runs unless it asks for it."""


def new_case_id() -> str:
    return f"T{uuid.uuid4().hex[:12]}"


def made_up_siret(employer_id: str) -> str:
    """A SIRET of the employer's own, stable, whose SIREN and whole number pass their Luhn keys."""
    digits = str(zlib.crc32(employer_id.encode())).zfill(12)  # the whole crc32: distinct ids, distinct numbers
    siren = digits[:8] + luhn.calc_check_digit(digits[:8])
    establishment = siren + digits[8:]
    return establishment + luhn.calc_check_digit(establishment)


def cdaph(on: date = TODAY) -> CdaphDecision:
    return CdaphDecision(decision_reference="CDAPH-2026-00042", decision_date=on)


def in_directory(registry: Engine, *, structure_id: str | None = None, referent_id: str | None = None,
                 employer_id: str | None = None) -> None:  # fmt: skip
    """Put these in the directory, named after their ids (the names documents print)."""
    if structure_id:
        upsert(registry, StructureEntry(id=structure_id, name=f"Plateforme emploi accompagné {structure_id}",
                                        department="75", phone="01 23 45 67 89"))  # fmt: skip
    if referent_id:
        upsert(registry, ReferentEntry(id=referent_id, name=f"Référent {referent_id}", email=f"{referent_id}@example.fr"))
    if employer_id:
        upsert(registry, EmployerEntry(id=employer_id, name=f"Entreprise {employer_id}", siret=made_up_siret(employer_id)))


@dataclass
class Cases:
    """Opens and drives cases on the test worker's task queue, as a coordinator would: the person,
    the structure, the référents and the employers are in the registry, so documents are written."""

    client: Client
    task_queue: str
    registry: Engine

    def known(self, *, structure_id: str | None = None, referent_id: str | None = None, employer_id: str | None = None) -> None:
        """Put these in the directory (the names documents print)."""
        in_directory(self.registry, structure_id=structure_id, referent_id=referent_id, employer_id=employer_id)

    async def open(
        self,
        situation: Situation | None = Situation.RQTH,
        *,
        birth_date: date = ADULT,
        employer_id: str | None = None,
        settings: CaseSettings = CALM,
        referent_id: str | None = "ref-1",
        beneficiary_id: str | None = None,
        structure_id: str = "struct-75",
    ) -> str:
        if situation is Situation.EMPLOYEE and employer_id is None:
            employer_id = "emp-current"
        self.known(structure_id=structure_id, referent_id=referent_id, employer_id=employer_id)
        if beneficiary_id is None:
            person = BeneficiaryIdentity(structure_id=structure_id, first_name="Camille", last_name=f"Martin {uuid.uuid4().hex[:8]}",
                                         birth_date=birth_date, situation=situation)  # fmt: skip
            beneficiary_id = register_beneficiary(self.registry, person)
        opening = OpenCase(
            case_id=new_case_id(),
            structure_id=structure_id,
            beneficiary_id=beneficiary_id,
            birth_date=birth_date,
            situation=situation,
            employer_id=employer_id,
            referent_id=referent_id,
            settings=settings,
            actor=COORDINATOR,
        )
        await open_case(self.client, self.task_queue, opening)
        return opening.case_id

    async def step(self, case_id: str, step: Step, **fields: Any) -> CaseState:
        """Take a step as someone allowed to: the person for consent, each party for its own
        signature, a coordinator for the rest (unless the test names the actor)."""
        self.known(referent_id=fields.get("referent_id"), employer_id=fields.get("employer_id"))
        actor = fields.pop("actor", None) or await self.actor_for(case_id, step, fields)
        await apply_step(self.client, case_id, BY_STEP[step].input(actor=actor, **fields))
        return await case_status(self.client, case_id)

    async def actor_for(self, case_id: str, step: Step, fields: dict[str, Any]) -> Actor:
        party = fields.get("party")
        if step in PERSONS_STEPS or party == Party.BENEFICIARY:
            return await self.person(case_id)
        if party == Party.EMPLOYER:
            state = await case_status(self.client, case_id)
            return Actor(role=ActorRole.EMPLOYER, id=state.employer_id or "no-employer")
        return COORDINATOR

    async def person(self, case_id: str) -> Actor:
        """The person the case is about, acting for themselves."""
        state = await case_status(self.client, case_id)
        return Actor(role=ActorRole.BENEFICIARY, id=state.beneficiary_id or "B-unregistered")

    async def request(self, case_id: str, employer_id: str, kind: str = "mediation") -> RequestAcknowledgement:
        self.known(employer_id=employer_id)
        employer = Actor(role=ActorRole.EMPLOYER, id=employer_id)
        data = BY_STEP[Step.SUBMIT_EMPLOYER_REQUEST].input(employer_id=employer_id, kind=kind, actor=employer)
        result = await apply_step(self.client, case_id, data)
        assert isinstance(result, RequestAcknowledgement)
        return result

    async def final_state(self, case_id: str) -> CaseState:
        """Wait for a closed case's run to finish (its journal is then fully written)."""
        handle = self.client.get_workflow_handle_for(AccompanimentWorkflow.run, workflow_id(case_id))
        return await handle.result()

    async def status(self, case_id: str) -> CaseState:
        return await case_status(self.client, case_id)

    async def walk_to(self, case_id: str, target: Phase, prescription: CdaphDecision | SpePrescription | None = None) -> CaseState:
        """Take a case along the usual path until it reaches `target`."""
        state = await self.status(case_id)
        while state.phase is not target:
            state = await self._next(case_id, state, prescription or cdaph())
        return state

    async def _next(self, case_id: str, state: CaseState, prescription: CdaphDecision | SpePrescription) -> CaseState:
        match state.phase:
            case Phase.CONSENT:
                return await self.step(case_id, Step.GIVE_CONSENT, given_on=TODAY)
            case Phase.PRESCRIPTION:
                return await self.step(case_id, Step.RECORD_PRESCRIPTION, prescription=prescription)
            case Phase.CONVENTION:
                unsigned = [p for p in Party if p not in state.signatures and (p is not Party.EMPLOYER or state.employer_id)]
                return await self.step(case_id, Step.SIGN_CONVENTION, party=unsigned[0], signed_on=TODAY)
            case Phase.EVALUATION:
                return await self.step(case_id, Step.SUBMIT_EVALUATION, completed_on=TODAY)
            case Phase.PROJECT:
                return await self.step(case_id, Step.SUBMIT_PROJECT, agreed_on=TODAY)
            case Phase.JOB_SEARCH:
                return await self.hire(case_id)
            case Phase.IN_JOB_SUPPORT:
                return await self.step(case_id, Step.RECORD_JOB_LOSS, ended_on=TODAY)
        raise AssertionError(f"no usual step out of {state.phase}")

    async def hire(self, case_id: str, employer_id: str = "emp-hiring") -> CaseState:
        return await self.step(
            case_id,
            Step.RECORD_HIRING,
            employer_id=employer_id,
            contract_type=ContractType.CDI,
            start_date=TODAY,
            weekly_hours=24,
        )
