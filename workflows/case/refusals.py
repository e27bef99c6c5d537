"""Why a step is refused: a code and its parameters, never a sentence.

The core decides; each edge (the CLI, the web application) words the refusal for its reader from
a message catalogue, so a French interface is a catalogue, not a rewrite of the rules.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class RefusalCode(StrEnum):
    NO_INPUT = "no_input"
    NO_ACTOR = "no_actor"
    NOT_IN_PHASE = "not_in_phase"
    ROLE_NOT_ALLOWED = "role_not_allowed"
    NOT_THE_CASES_REFERENT = "not_the_cases_referent"
    NOT_THE_CASES_EMPLOYER = "not_the_cases_employer"
    NOT_THE_PERSON = "not_the_person"
    NOT_THE_REPRESENTATIVE = "not_the_representative"
    ALREADY_REPRESENTATIVE = "already_representative"
    NOT_A_SIGNATORY = "not_a_signatory"
    DATE_IN_FUTURE = "date_in_future"
    DATE_BEFORE = "date_before"
    BIRTH_DATE_IMPLAUSIBLE = "birth_date_implausible"
    TOO_YOUNG = "too_young"
    NO_SITUATION = "no_situation"
    SITUATION_NOT_OPEN = "situation_not_open"
    NOT_A_PARTY = "not_a_party"
    ALREADY_SIGNED = "already_signed"
    ALREADY_EMPLOYER = "already_employer"
    NO_JOB = "no_job"
    ALREADY_REFERENT = "already_referent"
    DORMANT_NEEDS_LEVEL = "dormant_needs_level"
    SAME_INTENSITY = "same_intensity"
    PROSPECTION_WHILE_EMPLOYED = "prospection_while_employed"
    NO_EMPLOYER = "no_employer"
    EMPLOYER_NOT_PARTY = "employer_not_party"
    UNKNOWN_REQUEST = "unknown_request"
    REQUEST_CLOSED = "request_closed"
    CASELOAD_FULL = "caseload_full"
    REGISTRY_UNAVAILABLE = "registry_unavailable"
    CLOSED_MEANWHILE = "closed_meanwhile"
    EMPLOYEE_WITHOUT_EMPLOYER = "employee_without_employer"
    NO_CONSENT_YET = "no_consent_yet"
    NO_JOB_WITH_EMPLOYER = "no_job_with_employer"
    WHICH_JOB = "which_job"
    NO_AMENDMENT = "no_amendment"
    DEROGATION_BY_COORDINATOR = "derogation_by_coordinator"
    DEROGATION_NOT_NEEDED = "derogation_not_needed"
    DEROGATION_NEEDS_SITUATION = "derogation_needs_situation"
    UNKNOWN_ADAPTATION = "unknown_adaptation"
    ADAPTATION_STAGE = "adaptation_stage"
    ADAPTATION_ACTOR = "adaptation_actor"
    ADAPTATION_NEEDS = "adaptation_needs"
    ALREADY_PARTNER = "already_partner"
    WHICH_PARTNER = "which_partner"


class Refusal(BaseModel):
    """A refused step: what rule (`code`) and the values it names (`params`, all text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: RefusalCode
    params: dict[str, str] = {}
    also: tuple[Refusal, ...] = ()
    """Other rules the same step fails (eligibility names every rule it fails)."""

    def __str__(self) -> str:
        """For logs and the Temporal UI: the code and its values, not a sentence."""
        values = ", ".join(f"{name}={value}" for name, value in self.params.items())
        return "; ".join([f"{self.code}({values})", *map(str, self.also)])


def refusal(code: RefusalCode, **params: object) -> Refusal:
    return Refusal(code=code, params={name: str(value) for name, value in params.items()})
