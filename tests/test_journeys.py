"""Full journeys on the real dev server: each situation, each prescription route."""

from __future__ import annotations

import pytest

from activities.registry.journal import Registry
from tests.builders import spe
from starter.scripted import TODAY, Cases, cdaph
from workflows.case.model import Party, Phase, Prescriber, Situation, Step


@pytest.mark.parametrize(
    "prescription",
    [cdaph(), spe(Prescriber.FRANCE_TRAVAIL), spe(Prescriber.CAP_EMPLOI), spe(Prescriber.MISSION_LOCALE)],
    ids=["cdaph", "france_travail", "cap_emploi", "mission_locale"],
)
async def test_job_seeker_goes_from_consent_to_in_job_support(cases: Cases, registry: Registry, prescription) -> None:
    case_id = await cases.open(Situation.RQTH)
    state = await cases.walk_to(case_id, Phase.JOB_SEARCH, prescription)
    assert state.prescription == prescription
    state = await cases.hire(case_id)

    assert state.phase is Phase.IN_JOB_SUPPORT
    assert [t.to_phase for t in state.transitions] == [
        Phase.PRESCRIPTION,
        Phase.CONVENTION,
        Phase.EVALUATION,
        Phase.PROJECT,
        Phase.JOB_SEARCH,
        Phase.IN_JOB_SUPPORT,
    ]
    assert state.employer_id == "emp-hiring"
    assert [a.employer_id for a in state.amendments] == ["emp-hiring"]
    assert state.review.next_due is not None


async def test_esat_worker_follows_the_same_path(cases: Cases) -> None:
    case_id = await cases.open(Situation.ESAT)
    state = await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT, spe(Prescriber.CAP_EMPLOI))
    assert state.situation is Situation.ESAT
    assert Phase.JOB_SEARCH in [t.to_phase for t in state.transitions]


async def test_employed_person_skips_job_search(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    state = await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    assert Phase.JOB_SEARCH not in [t.to_phase for t in state.transitions]
    assert state.employer_id == "emp-acme"


async def test_employer_of_an_employee_signs_the_convention(cases: Cases) -> None:
    case_id = await cases.open(Situation.EMPLOYEE, employer_id="emp-acme")
    await cases.walk_to(case_id, Phase.CONVENTION)
    await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.BENEFICIARY, signed_on=TODAY)
    state = await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.STRUCTURE, signed_on=TODAY)
    assert state.phase is Phase.CONVENTION, "the employer has not signed yet"
    state = await cases.step(case_id, Step.SIGN_CONVENTION, party=Party.EMPLOYER, signed_on=TODAY)
    assert state.phase is Phase.EVALUATION
    assert set(state.signatures) == set(Party)


async def test_every_step_is_journaled_once_in_order(cases: Cases, registry: Registry) -> None:
    case_id = await cases.open(Situation.RQTH)
    await cases.walk_to(case_id, Phase.IN_JOB_SUPPORT)
    await cases.step(case_id, Step.CLOSE, reason="goals_reached")
    state = await cases.final_state(case_id)

    journal = registry.journal(case_id)
    assert [entry.seq for entry in journal] == list(range(1, state.seq + 1))
    assert journal[0].kind == "case_opened"
    closing = [entry for entry in journal if entry.kind == "close"]
    assert len(closing) == 1 and closing[0].phase_after is Phase.CLOSED
    assert not [entry.event for entry in journal if entry.kind == "document_failed"]
