"""The rules as pure functions: eligibility, the transition table, deadlines, wording."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from workflows.case.model import AlertKind, CaseSettings, CaseState, Phase, Situation, Step
from starter.refusals import explain
from workflows.case.rules import eligibility_refusal
from workflows.case.steps import refuse
from workflows.case.model import Actor, ActorRole, RecordHiring, ContractType
from workflows.case.rules import OPEN_PHASES, TRANSITIONS, age_on, deadlines, next_phase
from workflows.wording import french_date

NOON = datetime(2027, 3, 3, 12, 0, tzinfo=timezone.utc)


def case(phase: Phase = Phase.CONSENT, **fields: object) -> CaseState:
    return CaseState(case_id="C1", structure_id="S1", birth_date=date(1990, 1, 1), situation=Situation.RQTH,
                     referent_id=None, employer_id=None, settings=CaseSettings(), opened_at=NOON,
                     phase_since=NOON, phase=phase, **fields)  # fmt: skip


@pytest.mark.parametrize(
    ("birth", "day", "age"),
    [(date(2011, 3, 3), date(2027, 3, 3), 16), (date(2011, 3, 4), date(2027, 3, 3), 15),
     (date(2008, 2, 29), date(2024, 2, 28), 15), (date(2008, 2, 29), date(2024, 2, 29), 16)],
)  # fmt: skip
def test_age_counts_whole_years_including_leap_birthdays(birth: date, day: date, age: int) -> None:
    assert age_on(birth, day) == age


def test_eligibility_names_every_rule_that_fails() -> None:
    assert eligibility_refusal(date(2000, 1, 1), Situation.ESAT, date(2027, 1, 1)) is None
    refused = eligibility_refusal(date(2012, 6, 1), None, date(2027, 1, 1))
    assert refused is not None
    assert explain(refused) == (
        "ineligible: aged 14 on 2027-01-01, the dispositif starts at 16; "
        "no situation recorded; one of employee, esat, rqth is required"
    )


def test_every_open_phase_can_be_closed_and_withdrawn_from() -> None:
    for phase in OPEN_PHASES:
        assert TRANSITIONS[(phase, Step.CLOSE)] is Phase.CLOSED
        assert TRANSITIONS[(phase, Step.WITHDRAW_CONSENT)] is Phase.CLOSED
    assert not [step for (phase, step) in TRANSITIONS if phase is Phase.CLOSED and step is not Step.REOPEN]


def test_job_search_is_skipped_only_when_employed() -> None:
    assert next_phase(Phase.PROJECT, Step.SUBMIT_PROJECT, employed=False) is Phase.JOB_SEARCH
    assert next_phase(Phase.PROJECT, Step.SUBMIT_PROJECT, employed=True) is Phase.IN_JOB_SUPPORT
    assert next_phase(Phase.IN_JOB_SUPPORT, Step.RECORD_JOB_LOSS, employed=False) is Phase.JOB_SEARCH


def test_a_refusal_lists_what_is_possible_now() -> None:
    hiring = RecordHiring(employer_id="emp-1", contract_type=ContractType.CDI, start_date=NOON.date(),
                          actor=Actor(role=ActorRole.COORDINATOR, id="coord-1"))  # fmt: skip
    refused = refuse(case(Phase.CONSENT), hiring, NOON.date())
    assert refused is not None
    assert explain(refused).startswith("`ea hire` is not possible in phase consent; possible now: consent, job-loss, name-representative, withdraw, close, assign")


def test_deadlines_follow_the_state() -> None:
    pending = deadlines(case(Phase.CONSENT, reminders_sent=1))
    assert [(d.kind, d.at) for d in pending] == [(AlertKind.PHASE_REMINDER, NOON + timedelta(days=28))]
    supported = case(Phase.IN_JOB_SUPPORT)
    supported.review.next_due = NOON + timedelta(days=90)
    assert [d.kind for d in deadlines(supported)] == [AlertKind.REVIEW_DUE, AlertKind.REVIEW_OVERDUE]
    supported.review.announced = supported.review.overdue = True
    assert deadlines(supported) == []


def test_dates_are_written_the_french_way() -> None:
    assert french_date(date(2027, 3, 3)) == "3 mars 2027"
    assert french_date(date(2027, 5, 1)) == "1er mai 2027"
    assert french_date(date(2026, 8, 15)) == "15 août 2026"
